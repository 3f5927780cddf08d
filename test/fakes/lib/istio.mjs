// What `istioctl install` would create for an IstioOperator, and the text the
// real istioctl 1.20 prints. Shared by the fake istioctl (stdout) and the fake
// API server (cluster state), so both always agree.
import crypto from 'node:crypto';
import fs from 'node:fs';
import YAML from 'yaml';
import { parseManifests, ToolError } from './manifests.mjs';

const PROFILE_GATEWAYS = {
  default: { pilot: true, ingress: ['istio-ingressgateway'], egress: [] },
  demo: { pilot: true, ingress: ['istio-ingressgateway'], egress: ['istio-egressgateway'] },
  minimal: { pilot: true, ingress: [], egress: [] },
  empty: { pilot: false, ingress: [], egress: [] },
  ambient: { pilot: true, ingress: [], egress: [] },
};

const DEFAULT_GATEWAY_PORTS = {
  'istio-ingressgateway': [
    { name: 'status-port', port: 15021, targetPort: 15021 },
    { name: 'http2', port: 80, targetPort: 8080 },
    { name: 'https', port: 443, targetPort: 8443 },
  ],
  'istio-egressgateway': [
    { name: 'http2', port: 80, targetPort: 8080 },
    { name: 'https', port: 443, targetPort: 8443 },
  ],
};

/** Reads the IstioOperator from `-f` input; istioctl rejects anything else. */
export function parseIstioOperator(text, source = 'STDIN') {
  let docs;
  try {
    docs = parseManifests(text ?? '', source, { requireName: false });
  } catch (e) {
    throw new ToolError(`Error: generate config: could not parse ${source}: ${e.message}`);
  }
  const iop = docs.find((d) => d.kind === 'IstioOperator');
  if (!iop || docs.length !== 1) {
    throw new ToolError(`Error: generate config: ${source} must contain exactly one IstioOperator, found ${docs.map((d) => d.kind).join(', ') || 'nothing'}`);
  }
  return iop;
}

/** The IstioOperator named by `-f` (a file or `-` for stdin); none means the default profile. */
export function readIstioOperator(parsed, stdin) {
  const file = parsed.get('filename');
  if (!file) return undefined;
  if (file === '-') return parseIstioOperator(stdin, 'STDIN');
  let text;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    throw new ToolError(`Error: generate config: open ${file}: no such file or directory`);
  }
  return parseIstioOperator(text, file);
}

function mergeGateways(profileNames, declared = []) {
  const byName = new Map(profileNames.map((name) => [name, { name, enabled: true }]));
  for (const gw of declared) byName.set(gw.name, { ...byName.get(gw.name), ...gw });
  return [...byName.values()]
    .filter((gw) => gw.enabled !== false)
    .map((gw) => {
      const short = gw.name.replace(/^istio-/, '');
      const labels = { app: gw.name, istio: short, ...(gw.label ?? {}) };
      return {
        name: gw.name,
        namespace: gw.namespace ?? 'istio-system',
        labels,
        ports: gw.k8s?.service?.ports ?? DEFAULT_GATEWAY_PORTS[gw.name] ?? [{ name: 'status-port', port: 15021, targetPort: 15021 }],
      };
    });
}

/** Components an IstioOperator turns on, after applying its profile. */
export function istioComponents(iop) {
  const spec = iop?.spec ?? {};
  const profileName = spec.profile ?? 'default';
  const profile = PROFILE_GATEWAYS[profileName] ?? PROFILE_GATEWAYS.default;
  const components = spec.components ?? {};
  return {
    profile: profileName,
    revision: spec.revision,
    pilot: components.pilot?.enabled ?? profile.pilot,
    ingressGateways: mergeGateways(profile.ingress, components.ingressGateways),
    egressGateways: mergeGateways(profile.egress, components.egressGateways),
    network: spec.values?.global?.network,
    clusterName: spec.values?.global?.multiCluster?.clusterName,
  };
}

export function eolWarning(version) {
  return `WARNING: Istio ${version} may be out of support (EOL) already: see https://istio.io/latest/docs/releases/supported-releases/ for supported releases`;
}

/** Minor release of a version, as a number pair: atLeast('1.26.3', '1.22') is true. */
export function atLeast(version, since) {
  const [a, b] = version.split('.').map(Number);
  const [c, d] = since.split('.').map(Number);
  return a > c || (a === c && b >= d);
}

/**
 * stdout of a successful `istioctl install -y`: the EOL line (printed when the release is past its support
 * date: 1.20 here), then one line per component; from 1.24 each ends with the component's icon
 * (operator/pkg/util/progress/progress.go, component.Icons).
 */
export function installOutput(components, version) {
  const icons = atLeast(version, '1.24');
  const done = (name, icon) => `✔ ${name} installed${icons ? ` ${icon}` : ''}`;
  const lines = atLeast(version, '1.26') ? [] : [eolWarning(version)];
  lines.push(done('Istio core', '⛵️'));
  if (components.pilot) lines.push(done('Istiod', '🧠'));
  if (components.egressGateways.length > 0) lines.push(done('Egress gateways', '🛫'));
  if (components.ingressGateways.length > 0) lines.push(done('Ingress gateways', '🛬'));
  lines.push('✔ Installation complete');
  // Printed up to 1.23; the rewritten installer of 1.24 no longer does.
  if (components.pilot && !components.revision && !icons) lines.push('Made this installation the default for injection and validation.');
  return `${lines.join('\n')}\n`;
}

/** Prompt printed without `-y`; a non-interactive run answers it with "Cancelled." (its wording changed in 1.24). */
export function installPrompt(components, version) {
  if (atLeast(version, '1.24')) return `This will install the Istio ${version} profile "${components.profile}" into the cluster. Proceed? (y/N) Cancelled.\n`;
  const names = ['Istio core'];
  if (components.pilot) names.push('Istiod');
  if (components.ingressGateways.length > 0) names.push('Ingress gateways');
  const list = names.length > 1 ? `${names.slice(0, -1).join(', ')}, and ${names.at(-1)}` : names[0];
  return `This will install the Istio ${version} "${components.profile}" profile (with components: ${list}) into the cluster. Proceed? (y/N) Cancelled.\n`;
}

/**
 * stderr of `istioctl x precheck` with nothing to report (stdout stays empty, exit 0): istioctl/pkg/precheck/
 * precheck.go at 1.20.0 and at 1.26.0 (which ends the second line with a period).
 */
export function precheckClean(version) {
  const end = atLeast(version, '1.21') ? '.' : '';
  return `✔ No issues found when checking the cluster. Istio is safe to install or upgrade!\n  To get started, check out https://istio.io/latest/docs/setup/getting-started/${end}\n`;
}

export function defaultRemoteSecretToken() {
  return `fake-sa-token-DO-NOT-LEAK-${crypto.randomBytes(8).toString('hex')}`;
}

/** Output of `istioctl create-remote-secret`, trailing `---` included as the real one prints it. */
export function remoteSecretYaml({ name, server, token }) {
  const ca = Buffer.from(`-----BEGIN CERTIFICATE-----\nMIIFAKE${name}CA\n-----END CERTIFICATE-----\n`).toString('base64');
  const kubeconfig = {
    apiVersion: 'v1',
    clusters: [{ cluster: { 'certificate-authority-data': ca, server }, name }],
    contexts: [{ context: { cluster: name, user: name }, name }],
    'current-context': name,
    kind: 'Config',
    preferences: {},
    users: [{ name, user: { token } }],
  };
  const secret = {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: {
      annotations: { 'networking.istio.io/cluster': name },
      creationTimestamp: null,
      labels: { 'istio/multiCluster': 'true' },
      name: `istio-remote-secret-${name}`,
      namespace: 'istio-system',
    },
    stringData: { [name]: YAML.stringify(kubeconfig, { lineWidth: 0 }) },
  };
  return `# This file is autogenerated, do not edit.\n${YAML.stringify(secret, { lineWidth: 0 })}---\n`;
}
