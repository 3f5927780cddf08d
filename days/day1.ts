import path from 'node:path';
import type { Config } from '../src/config/schema.js';
import { contextsReachable, parseIstioctlVersion, parseKubectlVersion, toolVersion } from '../src/actions/preflight.js';
import { filesExist } from '../src/gates/files.js';
import { deploymentAvailable, peerAuthenticationMode, podsHaveContainer, rolloutComplete, secretsPresent } from '../src/gates/kube.js';
import { applyManifest, istioctl, kubectl, kubectlApply, manifest, pipe, readOnly } from '../src/plan/builders.js';
import type { Action, DayDef, ExecAction, LocalMaterial, StepContext } from '../src/plan/types.js';

const CA_FILES = ['ca-cert.pem', 'ca-key.pem', 'root-cert.pem', 'cert-chain.pem'];

function pkiDir(ctx: StepContext): string {
  return ctx.config.mesh.pki.dir ?? ctx.paths.pkiDir;
}

/** The root CA: its key never leaves the machine that made it (or the folder mesh.pki.dir names). */
function rootMaterial(ctx: StepContext): LocalMaterial[] {
  return [
    { path: path.join(pkiDir(ctx), 'root-key.pem'), what: 'the root CA key', madeBy: 'day1.root-ca' },
    { path: path.join(pkiDir(ctx), 'root-cert.pem'), what: 'the root CA certificate', madeBy: 'day1.root-ca' },
  ];
}

/** A cluster's intermediate CA, signed by the root on the machine that holds it. */
function intermediateMaterial(ctx: StepContext): LocalMaterial[] {
  return CA_FILES.map((file) => ({ path: path.join(pkiDir(ctx), ctx.cluster.name, file), what: `${ctx.cluster.name}'s intermediate CA file ${file}`, madeBy: `day1.intermediate-ca@${ctx.cluster.name}` }));
}

/**
 * An openssl `-subj` value. "/" separates attributes and "\\" escapes, so both are escaped in values: an
 * organization such as "Evil Corp/CN=attacker" stays one O= attribute instead of adding a CN. (`-utf8` makes
 * openssl read the value as UTF-8 rather than Latin-1.)
 */
function subject(attributes: Array<[string, string]>): string {
  return attributes.map(([type, value]) => `/${type}=${value.replace(/[\\/]/g, (c) => `\\${c}`)}`).join('');
}

function openssl(config: Config, args: string[]): ExecAction {
  return { kind: 'exec', argv: [config.tools.openssl, ...args] };
}

const REMOTE_SECRET_LABEL = 'istio/multiCluster=true';

// Restarting by setting a pod-template annotation is idempotent: the same value twice is no change, no rollout.
const RESTART_ANNOTATION = 'akidb.io/sidecars-for-istio';

function restartPatch(istioVersion: string): string {
  return JSON.stringify({ spec: { template: { metadata: { annotations: { [RESTART_ANNOTATION]: istioVersion } } } } });
}

const day1: DayDef = {
  day: 1,
  title: 'Istio installation & multi-cluster setup',
  objective: 'Install Istio on every cluster as a multi-primary mesh across networks, with sidecars injected and mTLS strict.',
  success: 'Istio mesh operational, sidecars injected, mTLS enabled',
  steps: [
    {
      id: 'day1.preflight',
      title: 'Preflight: tools and clusters',
      why: 'Fail before changing anything when istioctl is missing or of another version than the mesh, kubectl is missing, or a context cannot be reached. Replaces the seed\'s "download Istio" step: akictl never installs tools itself.',
      scope: 'once',
      actions: (ctx) => {
        const { config } = ctx;
        const actions: Action[] = [
          toolVersion({
            tool: 'istioctl',
            argv: [config.tools.istioctl, 'version', '--remote=false', '-o', 'json'],
            expected: config.mesh.istioVersion,
            parse: parseIstioctlVersion,
            install: `Install istioctl ${config.mesh.istioVersion} (curl -L https://istio.io/downloadIstio | ISTIO_VERSION=${config.mesh.istioVersion} sh -) and put its bin/ first on PATH, or set tools.istioctl; or change mesh.istioVersion.`,
          }),
          toolVersion({
            tool: 'kubectl',
            argv: [config.tools.kubectl, 'version', '--client', '-o', 'json'],
            parse: parseKubectlVersion,
            install: 'Install kubectl (https://kubernetes.io/docs/tasks/tools/) or set tools.kubectl to its path.',
          }),
        ];
        if (!config.mesh.pki.dir) {
          actions.push(
            toolVersion({
              tool: 'openssl',
              argv: [config.tools.openssl, 'version'],
              parse: (out) => /\d+\.\d+\.\d+/.exec(out)?.[0],
              install: 'Install OpenSSL 3 (apt-get install openssl), or set mesh.pki.dir to an existing CA folder.',
            }),
          );
        }
        actions.push(contextsReachable(config));
        return actions;
      },
    },
    {
      id: 'day1.istio-system-namespace',
      title: 'Namespace istio-system labelled with the cluster network',
      why: 'Multi-network meshes need topology.istio.io/network on istio-system before istiod starts (missing from the seed). Applied as a manifest, so it is created when absent and relabelled when present.',
      scope: 'per-cluster',
      actions: (ctx) => [applyManifest(ctx, 'day1.istio-system-namespace', ['day1/istio-system-namespace.yaml'])],
    },
    {
      id: 'day1.root-ca',
      title: 'Shared root CA',
      why: 'Without one root of trust every istiod signs with its own self-signed root and cross-cluster mTLS fails (missing from the seed). The root key stays on this machine (0600); with mesh.pki.dir set, the existing CA is used instead.',
      scope: 'once',
      done: (ctx) => filesExist(['root-cert.pem', 'root-key.pem'].map((file) => path.join(pkiDir(ctx), file))),
      localMaterial: rootMaterial,
      actions: (ctx) => {
        const dir = pkiDir(ctx);
        if (ctx.config.mesh.pki.dir) return [readOnly({ kind: 'exec', argv: ['test', '-s', path.join(dir, 'root-cert.pem')], note: 'mesh.pki.dir is set: the root CA must already exist there' })];
        const { pki } = ctx.config.mesh;
        return [
          { kind: 'exec', argv: ['mkdir', '-p', '-m', '700', dir] },
          openssl(ctx.config, [
            'req', '-x509', '-newkey', `rsa:${pki.keyBits}`, '-sha256', '-nodes', '-days', String(pki.rootDays), '-utf8',
            '-subj', subject([['O', pki.organization], ['CN', `${pki.organization} Root CA`]]),
            '-addext', 'basicConstraints=critical,CA:true',
            '-addext', 'keyUsage=critical,digitalSignature,nonRepudiation,keyEncipherment,keyCertSign',
            '-keyout', path.join(dir, 'root-key.pem'), '-out', path.join(dir, 'root-cert.pem'),
          ]),
          { kind: 'exec', argv: ['chmod', '600', path.join(dir, 'root-key.pem')] },
        ];
      },
    },
    {
      id: 'day1.intermediate-ca',
      title: 'Intermediate CA per cluster, signed by the root',
      why: 'Each istiod signs workload certificates with its own intermediate, all chaining to the shared root (Istio "Plug in CA certificates"). Keys are written 0600 and never printed.',
      scope: 'per-cluster',
      done: (ctx) => filesExist(CA_FILES.map((file) => path.join(pkiDir(ctx), ctx.cluster.name, file))),
      localMaterial: (ctx) => [...rootMaterial(ctx), ...intermediateMaterial(ctx)],
      actions: (ctx) => {
        const root = pkiDir(ctx);
        const dir = path.join(root, ctx.cluster.name);
        if (ctx.config.mesh.pki.dir) return [readOnly({ kind: 'exec', argv: ['test', '-s', path.join(dir, 'ca-key.pem')], note: 'mesh.pki.dir is set: the intermediate CA must already exist there' })];
        const { pki } = ctx.config.mesh;
        return [
          { kind: 'exec', argv: ['mkdir', '-p', '-m', '700', dir] },
          openssl(ctx.config, [
            'req', '-new', '-newkey', `rsa:${pki.keyBits}`, '-sha256', '-nodes', '-utf8',
            '-subj', subject([['O', pki.organization], ['CN', 'Intermediate CA'], ['L', ctx.cluster.name]]),
            '-addext', 'basicConstraints=critical,CA:true,pathlen:0',
            '-addext', 'keyUsage=critical,digitalSignature,nonRepudiation,keyEncipherment,keyCertSign',
            '-addext', `subjectAltName=DNS:istiod.istio-system.svc`,
            '-keyout', path.join(dir, 'ca-key.pem'), '-out', path.join(dir, 'cluster-ca.csr'),
          ]),
          // A serial file per cluster, made afresh (openssl then picks a random serial): with the root's shared
          // root-cert.srl, the clusters' signings ran side by side on one file, and a signing stopped mid-write left
          // it unreadable ("Unable to load number") for every later attempt.
          { kind: 'exec', argv: ['rm', '-f', path.join(dir, 'ca-cert.srl')] },
          openssl(ctx.config, [
            'x509', '-req', '-in', path.join(dir, 'cluster-ca.csr'), '-CA', path.join(root, 'root-cert.pem'), '-CAkey', path.join(root, 'root-key.pem'),
            '-CAserial', path.join(dir, 'ca-cert.srl'), '-CAcreateserial', '-days', String(pki.intermediateDays), '-sha256', '-copy_extensions', 'copyall', '-out', path.join(dir, 'ca-cert.pem'),
          ]),
          { kind: 'exec', argv: ['chmod', '600', path.join(dir, 'ca-key.pem')] },
          { kind: 'file', path: path.join(dir, 'root-cert.pem'), mode: 0o644, concat: [path.join(root, 'root-cert.pem')] },
          { kind: 'file', path: path.join(dir, 'cert-chain.pem'), mode: 0o644, concat: [path.join(dir, 'ca-cert.pem'), path.join(root, 'root-cert.pem')] },
        ];
      },
    },
    {
      id: 'day1.cacerts-secret',
      title: 'Install the intermediate CA as secret cacerts',
      why: 'istiod picks up istio-system/cacerts at start-up, so it must exist before `istioctl install` (if it changes later, restart istiod). The Secret manifest holds the CA key: it is piped from `kubectl create --dry-run=client` into `kubectl apply`, in memory only.',
      scope: 'per-cluster',
      localMaterial: intermediateMaterial,
      actions: (ctx) => {
        const dir = path.join(pkiDir(ctx), ctx.cluster.name);
        const create: ExecAction = {
          kind: 'exec',
          argv: [
            ctx.config.tools.kubectl, 'create', 'secret', 'generic', 'cacerts', '-n', 'istio-system',
            ...CA_FILES.map((file) => `--from-file=${file}=${path.join(dir, file)}`),
            '--dry-run=client', '-o', 'yaml',
          ],
        };
        return [pipe(create, kubectlApply(ctx.config, ctx.cluster), 'the Secret holds ca-key.pem: kept in memory, never printed', { kind: 'local' })];
      },
    },
    {
      id: 'day1.install-istio',
      title: 'Install the Istio control plane',
      why: 'The seed\'s IstioOperator, rendered per cluster (meshID, clusterName, network, tracing). `-y` is required: without it a non-interactive istioctl answers "Cancelled." and exits 1. istioctl 1.20 prints an end-of-life warning on stdout, so akictl never parses install output: gates read the Deployments instead.',
      scope: 'per-cluster',
      timeoutSeconds: 1200,
      actions: (ctx) => [
        istioctl(ctx.config, ctx.cluster, ['install', '-y', '-f', '-'], {
          stdin: { kind: 'manifest', manifest: manifest(ctx, 'day1.install-istio', ['day1/istio-operator.yaml'], { name: `istio-${ctx.cluster.name}` }) },
          effect: { kind: 'istio-install', cluster: ctx.cluster.name },
        }),
      ],
      gates: [
        {
          id: 'day1.istiod-available',
          title: 'istiod is Available',
          hint: 'kubectl get pods -n istio-system --context=<context>; kubectl describe deployment istiod -n istio-system. A missing or bad cacerts secret keeps istiod from starting.',
          probe: (ctx) => deploymentAvailable(ctx.cluster, 'istio-system', 'istiod'),
        },
        {
          id: 'day1.ingressgateway-available',
          title: 'istio-ingressgateway is Available',
          hint: 'kubectl get deployment istio-ingressgateway -n istio-system --context=<context>; the default profile installs it.',
          probe: (ctx) => deploymentAvailable(ctx.cluster, 'istio-system', 'istio-ingressgateway'),
        },
      ],
    },
    {
      id: 'day1.eastwest-gateway',
      title: 'East-west gateway',
      why: 'Clusters on different networks reach each other only through an east-west gateway on 15443 (missing from the seed). Same IstioOperator as Istio\'s samples/multicluster/gen-eastwest-gateway.sh.',
      scope: 'per-cluster',
      timeoutSeconds: 1200,
      actions: (ctx) => [
        istioctl(ctx.config, ctx.cluster, ['install', '-y', '-f', '-'], {
          stdin: { kind: 'manifest', manifest: manifest(ctx, 'day1.eastwest-gateway', ['day1/eastwest-gateway.yaml']) },
          effect: { kind: 'istio-install', cluster: ctx.cluster.name },
        }),
      ],
      gates: [
        {
          id: 'day1.eastwestgateway-available',
          title: 'istio-eastwestgateway is Available',
          hint: 'kubectl get deployment,service istio-eastwestgateway -n istio-system --context=<context>; its Service needs an external address reachable from the other clusters.',
          probe: (ctx) => deploymentAvailable(ctx.cluster, 'istio-system', 'istio-eastwestgateway'),
        },
      ],
    },
    {
      id: 'day1.expose-services',
      title: 'Expose *.local services on the east-west gateway',
      why: 'Gateway cross-network-gateway (TLS 15443, AUTO_PASSTHROUGH, hosts *.local) lets the other networks reach this cluster\'s services (Istio\'s samples/multicluster/expose-services.yaml; missing from the seed).',
      scope: 'per-cluster',
      actions: (ctx) => [applyManifest(ctx, 'day1.expose-services', ['day1/cross-network-gateway.yaml'])],
    },
    {
      id: 'day1.remote-secrets',
      title: 'Remote secrets for every ordered pair of clusters',
      why: 'Each istiod watches the API servers of the other clusters through a remote secret. The seed\'s `istioctl x create-remote-secret` was removed in Istio 1.19: `istioctl create-remote-secret` is used, for every ordered pair (N×(N−1)), piped in memory into `kubectl apply` with both exit codes checked.',
      scope: 'per-pair',
      actions: (ctx) => {
        const from = ctx.target.cluster!;
        const to = ctx.target.peer!;
        return [
          pipe(
            istioctl(ctx.config, from, ['create-remote-secret', `--name=${from.name}`]),
            kubectlApply(ctx.config, to),
            `lets istiod in ${to.name} discover endpoints in ${from.name}; the secret holds a service-account token and is never shown`,
            // istioctl may create a service-account token in the source cluster: the plan compares presence only.
            { kind: 'cluster', produces: [{ apiVersion: 'v1', kind: 'Secret', namespace: 'istio-system', name: `istio-remote-secret-${from.name}` }] },
          ),
        ];
      },
      gates: [
        {
          id: 'day1.remote-secrets-present',
          title: 'every cluster holds the remote secret of every other cluster',
          scope: 'per-cluster',
          hint: 'kubectl get secrets -n istio-system -l istio/multiCluster=true --context=<context>; then `istioctl remote-clusters --context=<context>` should list every other cluster as synced.',
          probe: (ctx) =>
            secretsPresent(
              ctx.cluster,
              'istio-system',
              ctx.config.clusters.filter((other) => other.name !== ctx.cluster.name).map((other) => `istio-remote-secret-${other.name}`),
              REMOTE_SECRET_LABEL,
            ),
        },
      ],
    },
    {
      id: 'day1.injection-label',
      title: 'Enable sidecar injection in the app namespace',
      why: '`--overwrite` makes the label idempotent: the seed\'s plain `kubectl label` fails on a second run even with the same value.',
      scope: 'per-cluster',
      actions: (ctx) => [
        kubectl(ctx.config, ctx.cluster, ['label', 'namespace', ctx.config.app.namespace, 'istio-injection=enabled', '--overwrite'], {
          effect: { kind: 'kube-labels', cluster: ctx.cluster.name, target: { apiVersion: 'v1', kind: 'Namespace', name: ctx.config.app.namespace }, labels: { 'istio-injection': 'enabled' } },
        }),
      ],
    },
    {
      id: 'day1.restart-workloads',
      title: 'Restart the workloads so they get sidecars',
      why: `Pods get a sidecar only when created. The seed ran \`kubectl rollout restart\`, which restarts every time it runs: a run resumed after a crash that had restarted some Deployments restarted them again. akictl instead sets the pod-template annotation ${RESTART_ANNOTATION} to the Istio version: Kubernetes rolls out only when the template changes, so repeating the step never restarts twice, and a new Istio version restarts once more. Skipped while every pod already has istio-proxy.`,
      scope: 'per-cluster',
      done: (ctx) => podsHaveContainer(ctx.cluster, ctx.config.app.namespace, 'istio-proxy'),
      actions: (ctx) =>
        ctx.config.app.deployments.map((name) =>
          kubectl(ctx.config, ctx.cluster, ['patch', `deployment/${name}`, '-n', ctx.config.app.namespace, '--type=merge', `--patch=${restartPatch(ctx.config.mesh.istioVersion)}`], {
            note: `restarts ${name} once for Istio ${ctx.config.mesh.istioVersion}; repeating it changes nothing`,
            effect: {
              kind: 'kube-merge-patch',
              cluster: ctx.cluster.name,
              target: { apiVersion: 'apps/v1', kind: 'Deployment', namespace: ctx.config.app.namespace, name },
              patch: JSON.parse(restartPatch(ctx.config.mesh.istioVersion)) as Record<string, unknown>,
            },
          }),
        ),
    },
    {
      id: 'day1.wait-rollout',
      title: 'Wait for the restarted workloads to roll out',
      why: 'The seed never waited for its restart. `kubectl rollout status` only watches, so it is safe to repeat on resume without restarting anything again.',
      scope: 'per-cluster',
      timeoutSeconds: 900,
      actions: (ctx) =>
        ctx.config.app.deployments.map((name) =>
          readOnly(kubectl(ctx.config, ctx.cluster, ['rollout', 'status', `deployment/${name}`, '-n', ctx.config.app.namespace, `--timeout=${ctx.config.execution.stepTimeoutSeconds}s`])),
        ),
      gates: [
        {
          id: 'day1.rollout-complete',
          title: 'the app Deployments finished rolling out',
          hint: 'kubectl rollout status deployment/<name> -n <namespace> --context=<context>; kubectl describe deployment <name>.',
          probe: (ctx) => rolloutComplete(ctx.cluster, ctx.config.app.namespace, ctx.config.app.deployments),
        },
        {
          id: 'day1.sidecars-injected',
          title: 'every app pod has an istio-proxy container',
          hint: 'kubectl get pods -n <namespace> -o jsonpath="{.items[*].spec.containers[*].name}" --context=<context>; check the istio-injection label and that istiod\'s injector webhook is up.',
          probe: (ctx) => podsHaveContainer(ctx.cluster, ctx.config.app.namespace, 'istio-proxy'),
        },
      ],
    },
    {
      id: 'day1.mtls-strict',
      title: 'mTLS STRICT mesh-wide',
      why: 'PeerAuthentication default in istio-system. The seed verified it with `istioctl authn tls-check`, removed in Istio 1.6: the gate reads the policy instead.',
      scope: 'per-cluster',
      actions: (ctx) => [applyManifest(ctx, 'day1.mtls-strict', ['day1/peer-authentication.yaml'])],
      gates: [
        {
          id: 'day1.mtls-strict-policy',
          title: 'PeerAuthentication default is STRICT',
          hint: 'kubectl get peerauthentication default -n istio-system -o yaml --context=<context>',
          probe: (ctx) => peerAuthenticationMode(ctx.cluster, 'istio-system', 'default', 'STRICT'),
        },
      ],
    },
  ],
};

export default day1;
