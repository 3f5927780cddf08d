// What each fake tool prints when no rule matches. These need no fake API: with
// AKICTL_FAKE_KUBE_URL set, the server's answer (real cluster state) overrides them.
import { dryRunMode, typeAndNames } from './argv.mjs';
import { defaultRemoteSecretToken, installOutput, installPrompt, istioComponents, precheckClean, readIstioOperator, remoteSecretYaml } from './istio.mjs';
import { buildNamespace, buildSecret, readManifestSources, ToolError, toYaml } from './manifests.mjs';
import { ResourceRegistry, singularRef } from './resources.mjs';

const registry = new ResourceRegistry();
const ok = (stdout = '') => ({ stdout, stderr: '', exit: 0 });

function refFor(typeWord) {
  const def = registry.resolveCliType(typeWord);
  return def ? singularRef(def) : (typeWord ?? '').toLowerCase();
}

function dryRunSuffix(parsed) {
  const mode = dryRunMode(parsed);
  return mode === 'server' ? ' (server dry run)' : mode === 'client' ? ' (dry run)' : '';
}

function kubectl(parsed, stdin) {
  const [verb, ...rest] = parsed.positionals;
  switch (verb) {
    case 'version':
      return parsed.get('output') === 'json'
        ? ok(`${JSON.stringify({ clientVersion: { major: '1', minor: '29', gitVersion: 'v1.29.0' } })}\n`)
        : ok('Client Version: v1.29.0\nKustomize Version: v5.0.4-0.20230601165947-6ce0bf390ce3\n');
    case 'apply': {
      const objects = readManifestSources(parsed.all('filename'), stdin);
      const suffix = dryRunSuffix(parsed);
      const verb = parsed.has('server-side') && parsed.get('server-side') !== 'false' ? 'serverside-applied' : 'configured';
      return ok(objects.map((o) => `${o.kind.toLowerCase()}/${o.metadata.name} ${verb}${suffix}\n`).join(''));
    }
    case 'create': {
      if (rest[0] === 'secret') {
        const secret = buildSecret(parsed);
        if (dryRunMode(parsed) && parsed.get('output') === 'yaml') return ok(toYaml(secret));
        return ok(`secret/${secret.metadata.name} created${dryRunSuffix(parsed)}\n`);
      }
      if (rest[0] === 'namespace' || rest[0] === 'ns') {
        if (dryRunMode(parsed) && parsed.get('output') === 'yaml') return ok(toYaml(buildNamespace(rest[1])));
        return ok(`namespace/${rest[1]} created${dryRunSuffix(parsed)}\n`);
      }
      return ok('');
    }
    case 'label': {
      const { type, names } = typeAndNames(rest.filter((w) => !w.includes('=') && !w.endsWith('-')));
      return ok(`${refFor(type)}/${names[0] ?? ''} labeled\n`);
    }
    case 'rollout': {
      const { type, names } = typeAndNames(rest.slice(1));
      if (rest[0] === 'restart') return ok(`${refFor(type)}/${names[0]} restarted\n`);
      if (rest[0] === 'status') return ok(`${(type ?? '').split('.')[0].replace(/s$/, '')} "${names[0]}" successfully rolled out\n`);
      return ok('');
    }
    case 'scale': {
      const { type, names } = typeAndNames(rest);
      return ok(`${refFor(type)}/${names[0]} scaled\n`);
    }
    case 'delete': {
      if (parsed.all('filename').length > 0) {
        const objects = readManifestSources(parsed.all('filename'), stdin);
        return ok(objects.map((o) => `${o.kind.toLowerCase()} "${o.metadata.name}" deleted\n`).join(''));
      }
      const { type, names } = typeAndNames(rest);
      return ok(names.map((n) => `${refFor(type)} "${n}" deleted\n`).join(''));
    }
    case 'wait': {
      const { type, names } = typeAndNames(rest);
      return ok(names.map((n) => `${refFor(type)}/${n} condition met\n`).join(''));
    }
    default:
      return ok('');
  }
}

function istioctl(parsed, stdin, env) {
  const version = env.AKICTL_FAKE_ISTIO_VERSION || '1.20.0';
  const [verb] = parsed.positionals;
  switch (verb) {
    case 'version':
      if (parsed.get('output') === 'json') {
        return ok(`${JSON.stringify({ clientVersion: { version, revision: 'fake', golang_version: 'go1.21', status: 'Clean', tag: version } })}\n`);
      }
      return ok(`client version: ${version}\n`);
    case 'create-remote-secret': {
      const name = parsed.get('name') ?? parsed.get('context') ?? 'cluster';
      const server = parsed.get('server') ?? `https://${name}.k8s.fake.invalid:6443`;
      const token = env.AKICTL_FAKE_SECRET_TOKEN || defaultRemoteSecretToken();
      return ok(remoteSecretYaml({ name, server, token }));
    }
    case 'install': {
      const components = istioComponents(readIstioOperator(parsed, stdin));
      if (!parsed.has('skip-confirmation')) return { stdout: installPrompt(components, version), stderr: '', exit: 1 };
      return ok(installOutput(components, version));
    }
    case 'remote-clusters':
      return ok('NAME     SECRET     STATUS     ISTIOD\n');
    case 'proxy-config':
      // No cluster behind it: a proxy with no endpoints, as `-o json` prints it.
      return ok(parsed.get('output') === 'json' ? '[]\n' : 'ENDPOINT     STATUS     OUTLIER CHECK     CLUSTER\n');
    case 'x':
    case 'experimental':
      if (parsed.positionals[1] === 'precheck') return { stdout: '', stderr: precheckClean(version), exit: 0 };
      return ok('');
    default:
      return ok('');
  }
}

function aws(parsed) {
  if (parsed.has('version')) return ok('aws-cli/2.15.0 Python/3.11.6 Linux/6.5.0 exe/x86_64.ubuntu.22 prompt/off\n');
  return ok('');
}

/** Default result for one invocation; ToolErrors become the real tool's error text and exit code. */
export function defaultResult(tool, parsed, stdin, env) {
  try {
    if (tool === 'kubectl') return kubectl(parsed, stdin);
    if (tool === 'istioctl') return istioctl(parsed, stdin, env);
    if (tool === 'aws') return aws(parsed);
    return ok('');
  } catch (e) {
    if (e instanceof ToolError) return { stdout: '', stderr: `${e.message}\n`, exit: e.exit };
    throw e;
  }
}
