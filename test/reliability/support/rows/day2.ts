// Day 2 on the fakes: each region's ingress gateway gets a loopback address (127.0.0.1, 127.0.0.2) where a
// health endpoint answers for app.host, the Gateway's TLS credential exists in us-west and is piped from files
// into eu-central (its private key is secret), and Route 53 is the loopback AWS (akictl's SDK reaches it through
// AWS_ENDPOINT_URL_ROUTE_53, with fake credentials).
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import type { DayRow } from '../days.js';
import type { Scenario } from '../scenario.js';
import { fastExecution, serveOnAddresses, startAws } from './common.js';

const ADDRESSES: Record<string, string> = { 'us-west': '127.0.0.1', 'eu-central': '127.0.0.2' };
const HOST = 'api.akidb.io';
const TLS_SECRET = { namespace: 'istio-system', name: 'akidb-tls-cert' };
/** A client address per continent (TestDNSAnswer), and where Route 53's geo database places it. */
const CLIENT_SUBNETS = { NA: '3.80.0.0', EU: '3.120.0.0', SA: '18.228.0.0' };

/**
 * A private key as akictl meets it: PEM text it never parses, only pipes into a Secret. Random, so that any of its
 * lines found in an output is a leak.
 */
function privateKeyPem(): string {
  const body = randomBytes(600)
    .toString('base64')
    .match(/.{1,64}/g)!
    .join('\n');
  return `-----BEGIN PRIVATE KEY-----\n${body}\n-----END PRIVATE KEY-----\n`;
}

const base64 = (text: string) => Buffer.from(text).toString('base64');

function tlsSecret(cert: string, key: string) {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    type: 'kubernetes.io/tls',
    metadata: { ...TLS_SECRET },
    data: { 'tls.crt': base64(cert), 'tls.key': base64(key) },
  };
}

function keySecrets(label: string, pem: string): Record<string, string> {
  const secrets: Record<string, string> = {};
  pem
    .split('\n')
    .filter((line) => line.length >= 40 && !line.startsWith('-----'))
    .forEach((line, i) => {
      secrets[`${label} line ${i + 1}`] = line;
    });
  // Past the PEM header: the key material as a Secret's data value holds it.
  secrets[`${label} as base64`] = base64(pem).slice(120, 168);
  return secrets;
}

const day2: DayRow = {
  day: 2,
  clusters: ['us-west', 'eu-central'],
  applyArgs: [],
  async prepare(scenario) {
    const { kube, vars } = scenario;
    for (const cluster of kube.clusters) {
      kube.installIstio(cluster);
      kube.ensureNamespace(cluster, 'akidb', { 'istio-injection': 'enabled' });
      kube.setLoadBalancer(cluster, 'istio-system', 'istio-ingressgateway', { ip: ADDRESSES[cluster]! });
    }
    vars.cert = '-----BEGIN CERTIFICATE-----\nMIIBfake\n-----END CERTIFICATE-----\n';
    vars.usWestKey = privateKeyPem();
    vars.euCentralKey = privateKeyPem();
    kube.put('us-west', tlsSecret(vars.cert, vars.usWestKey));
    vars.certFile = path.join(scenario.dir, 'tls.crt');
    vars.keyFile = path.join(scenario.dir, 'tls.key');
    writeFileSync(vars.certFile, vars.cert);
    writeFileSync(vars.keyFile, vars.euCentralKey, { mode: 0o600 });
    // Like the Gateway: only app.host is routed, /health answers 200.
    vars.healthPort = String(
      await serveOnAddresses(scenario, Object.values(ADDRESSES), () => (req, res) => {
        req.resume();
        res.writeHead(req.headers.host === HOST && req.url === '/health' ? 200 : 404).end();
      }),
    );
    await startAws(scenario, { route53: { subnets: Object.fromEntries(Object.entries(CLIENT_SUBNETS).map(([continent, ip]) => [ip, continent])) } });
  },
  configure(raw, scenario) {
    fastExecution(raw);
    const { vars } = scenario;
    raw.app.host = HOST;
    raw.ingress = { ...raw.ingress, waitSeconds: 5 };
    raw.routing.gateway = { ...raw.routing.gateway, certFile: vars.certFile, keyFile: vars.keyFile };
    raw.routing.healthProbe = { ...raw.routing.healthProbe, scheme: 'http', port: Number(vars.healthPort), timeoutMs: 2000 };
    raw.dns.clientSubnets = CLIENT_SUBNETS;
    raw.dns.insync = { minDelaySeconds: 0.05, maxDelaySeconds: 0.1, maxWaitSeconds: 10 };
  },
  snapshot(scenario) {
    const { kube } = scenario;
    const route53 = scenario.aws!.route53;
    const clusterOf = (reference: string) => reference.split(':')[1];
    const checks = new Map([...route53.healthChecks.values()].map((check) => [check.Id, clusterOf(check.CallerReference)]));
    return {
      records: route53.records
        .map(
          (r) =>
            `${r.SetIdentifier} ${JSON.stringify(r.GeoLocation)} ${r.ResourceRecords?.map((v) => v.Value).join(',')} health check ${r.HealthCheckId ? checks.get(r.HealthCheckId) : 'none'}`,
        )
        .sort(),
      healthChecks: [...route53.healthChecks.values()].map((check) => `${clusterOf(check.CallerReference)} ${check.HealthCheckConfig.IPAddress}`).sort(),
      clusters: Object.fromEntries(
        kube.clusters.map((cluster) => [
          cluster,
          {
            istio: ['Gateway', 'VirtualService', 'DestinationRule']
              .flatMap((kind) => kube.list(cluster, 'networking.istio.io/v1beta1', kind, 'akidb').map((o) => `${kind} ${o.metadata.name}`))
              .sort(),
            tlsSecret: Object.keys(kube.get(cluster, 'v1', 'Secret', TLS_SECRET.namespace, TLS_SECRET.name)?.data ?? {}).sort(),
          },
        ]),
      ),
    };
  },
  verifyEnd(scenario) {
    const problems: string[] = [];
    const aws = scenario.aws!;
    for (const cluster of scenario.kube.clusters) {
      const checks = [...aws.route53.healthChecks.values()].filter((check) => check.CallerReference.startsWith(`akictl:${cluster}:`));
      if (checks.length !== 1) problems.push(`${cluster} has ${checks.length} health checks, not 1`);
    }
    for (const record of aws.route53.records) {
      if (record.HealthCheckId && !aws.route53.healthChecks.has(record.HealthCheckId))
        problems.push(`record ${record.SetIdentifier} uses health check ${record.HealthCheckId}, which does not exist`);
    }
    for (const request of aws.requests.filter((r) => r.code === 'NotImplemented'))
      problems.push(`akictl called ${request.operation}, which the loopback AWS does not implement`);
    return problems;
  },
  hangs: [
    { step: 'day2.destination-rule', tool: 'kubectl', match: ['apply', '--context=eu-central'] },
    { step: 'day2.geo-records', service: 'route53', operation: 'ChangeResourceRecordSets' },
  ],
  timeoutTarget: { step: 'day2.gateway-routes', tool: 'kubectl', match: ['apply', '--context=us-west'] },
  retryTarget: { step: 'day2.gateway-routes', tool: 'kubectl', match: ['apply', '--context=eu-central'] },
  secretCommands: [
    {
      step: 'day2.tls-credential',
      tool: 'kubectl',
      match: ['apply', '-f', '-', '--context=eu-central'],
      carries: "the Gateway's TLS private key (Secret akidb-tls-cert)",
      rearm: (scenario: Scenario) => void scenario.kube.remove('eu-central', 'v1', 'Secret', TLS_SECRET.namespace, TLS_SECRET.name),
    },
  ],
  apiRead: { only: ['day2.preflight'], aws: { service: 'route53', operation: 'GetHostedZone' } },
  apiDoneCheck: { step: 'day2.health-checks', aws: { service: 'route53', operation: 'ListHealthChecks' } },
  kubeGateStep: 'day2.destination-rule',
  quickStep: 'day2.gateway-routes',
  secrets: (scenario) => ({
    ...keySecrets("eu-central's TLS key (piped from routing.gateway.keyFile)", scenario.vars.euCentralKey!),
    ...keySecrets("us-west's TLS key (in its Secret)", scenario.vars.usWestKey!),
    'AWS secret key of the scenario': scenario.env.AWS_SECRET_ACCESS_KEY!,
  }),
};

export default day2;
