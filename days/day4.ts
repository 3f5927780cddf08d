import { createHash } from 'node:crypto';
import { stringify } from 'yaml';
import { discoverLoadBalancer } from '../src/actions/discover.js';
import { bumpValuesTag, commitIfChanged } from '../src/actions/gitops.js';
import { curlEquivalent, globalUrl, regionalTarget, sendTrafficRequest } from '../src/actions/traffic.js';
import type { Config } from '../src/config/schema.js';
import { throwIfAborted } from '../src/errors.js';
import { deploymentAvailable } from '../src/gates/kube.js';
import { jaegerListsService, serviceNames, tracesCoverClusters } from '../src/gates/observability.js';
import { changeNotes, planNotes } from '../src/istio/releases.js';
import { collectorReceivers } from '../src/istio/tracing.js';
import { applyManifest, templateValues } from '../src/plan/builders.js';
import { onCluster, tracingCluster } from '../src/plan/roles.js';
import type { Action, BuiltinAction, DayDef, OutputReader, StepContext } from '../src/plan/types.js';
import { shellLine } from '../src/render/shell.js';
import { renderTemplate } from '../src/render/template.js';

/** In the tracing cluster Jaeger has an in-cluster name; everywhere else only its load-balancer address works. */
export const JAEGER_ADDRESS_STEP = 'day4.jaeger-address';

function jaegerAddress(outputs: OutputReader): string {
  return outputs.get(JAEGER_ADDRESS_STEP, 'address', {});
}

/** Jaeger's query API as akictl reaches it: configured, or the discovered load-balancer address. */
export function jaegerQueryUrl(config: Config, outputs: OutputReader): string {
  return config.tracing.jaeger.queryUrl ?? `http://${jaegerAddress(outputs)}:16686`;
}

function jaegerValues(config: Config) {
  const { jaeger } = config.tracing;
  const env = [
    // Default since Jaeger 1.46; explicit for older images.
    { name: 'COLLECTOR_OTLP_ENABLED', value: 'true' },
    { name: 'SPAN_STORAGE_TYPE', value: jaeger.storage },
  ];
  if (jaeger.storage !== 'badger') return { image: `${jaeger.image}:${jaeger.version}`, env, volumeMounts: undefined, volumes: undefined };
  env.push({ name: 'BADGER_EPHEMERAL', value: 'false' }, { name: 'BADGER_DIRECTORY_KEY', value: '/badger/key' }, { name: 'BADGER_DIRECTORY_VALUE', value: '/badger/data' });
  const volume = jaeger.claimName ? { name: 'badger', persistentVolumeClaim: { claimName: jaeger.claimName } } : { name: 'badger', emptyDir: {} };
  return { image: `${jaeger.image}:${jaeger.version}`, env, volumeMounts: [{ name: 'badger', mountPath: '/badger' }], volumes: [volume] };
}

/**
 * The collector configuration as a document (rendered from its own template on the document model), then
 * serialised once into the ConfigMap value: never YAML pasted together as text.
 */
export function collectorConfig(ctx: StepContext): string {
  const inTracingCluster = ctx.cluster.name === tracingCluster(ctx.config).name;
  const exporterEndpoint = inTracingCluster ? `jaeger.${ctx.config.tracing.namespace}.svc.cluster.local:4317` : `${jaegerAddress(ctx.outputs)}:4317`;
  const { receivers, names } = collectorReceivers(ctx.config);
  const [doc] = renderTemplate('day4/otel-collector-config.yaml', templateValues(ctx, { exporterEndpoint, receivers, receiverNames: names }));
  return stringify(doc, { lineWidth: 0 });
}

function testTraffic(config: Config): BuiltinAction {
  const { count } = config.tracing.testRequests;
  return {
    kind: 'builtin',
    name: 'test-traffic',
    describe: `send ${count} ${config.traffic.method} ${config.traffic.path} request(s) to each region (${config.clusters.map((c) => c.name).join(', ')}), each through its own ingress gateway`,
    equivalent: config.clusters.map((cluster) => {
      const url = config.traffic.regional.urls[cluster.name];
      return `for i in $(seq ${count}); do ${shellLine(curlEquivalent(config, url ?? globalUrl(config), url ? undefined : `<${config.ingress.service} address of ${cluster.name}>`))}; done`;
    }),
    params: { count, clusters: config.clusters.map((c) => c.name), urls: config.traffic.regional.urls },
    async run(io) {
      const unreachable: string[] = [];
      for (const cluster of config.clusters) {
        const target = await regionalTarget(config, cluster, io);
        const statuses: string[] = [];
        for (let n = 0; n < count && !io.signal.aborted; n += 1) {
          try {
            statuses.push(String((await sendTrafficRequest(config, target, io.signal)).status));
          } catch (error) {
            statuses.push(`error (${(error as Error).message})`);
          }
        }
        io.log(`${cluster.name}: ${target.describe}: ${statuses.join(', ')}`);
        if (!statuses.some((status) => /^\d+$/.test(status))) unreachable.push(`${cluster.name} (${target.describe}: ${statuses[0] ?? 'no request sent'})`);
      }
      throwIfAborted(io.signal);
      // Error answers still make traces; a region that never answered cannot.
      if (unreachable.length > 0) throw new Error(`no answer from ${unreachable.join('; ')}`);
    },
  };
}

function rebuildActions(config: Config): Action[] {
  const { rebuild, image, tag } = config.build;
  if (!rebuild) {
    return [
      {
        kind: 'manual',
        instructions: [
          'Instrument the Rust services (Cargo.toml and main.rs, see the PRD), then rebuild and push the image:',
          '  cargo build --release --target aarch64-unknown-linux-gnu',
          `  docker build -t ${image}:${tag} .`,
          `  docker push ${image}:${tag}`,
          'Or set build.rebuild in the configuration to let akictl run these commands.',
        ].join('\n'),
      },
    ];
  }
  return rebuild.commands.map((argv) => ({ kind: 'exec', argv, cwd: rebuild.dir }));
}

function gitopsActions(config: Config): Action[] {
  const { gitops, tag, git } = config.build;
  if (!gitops) {
    return [
      {
        kind: 'manual',
        instructions: [
          `In the GitOps repository (akidb-deploy), set the image tag to ${tag} in envs/prod/values.yaml, commit and push:`,
          `  git commit -m "Enable OpenTelemetry tracing" -- envs/prod/values.yaml && git push`,
          'Then let the GitOps controller roll out the new image. Or set build.gitops in the configuration.',
        ].join('\n'),
      },
    ];
  }
  const actions: Action[] = [
    bumpValuesTag({ dir: gitops.dir, valuesFile: gitops.valuesFile, tagKey: gitops.tagKey, tag }),
    commitIfChanged({ git, dir: gitops.dir, file: gitops.valuesFile, message: gitops.commitMessage }),
  ];
  // Pushing an up-to-date branch succeeds ("Everything up-to-date"): safe to repeat.
  if (gitops.push) actions.push({ kind: 'exec', argv: [git, '-C', gitops.dir, 'push'] });
  return actions;
}

const day4: DayDef = {
  day: 4,
  title: 'Distributed tracing with OpenTelemetry and Jaeger',
  objective: 'Collect traces from every cluster, stamped with their cluster name, in one Jaeger.',
  success: 'Traces visible in Jaeger, with spans from every cluster',
  notes: (config) => planNotes(config.mesh.istioVersion, ['collector']),
  steps: [
    {
      id: 'day4.observability-namespace',
      title: 'Namespace for Jaeger and the collectors',
      why: 'The seed created `observability` only in us-west with `kubectl create namespace` (fails when it exists), then applied the collector to eu-central too. A Namespace manifest is applied in every cluster.',
      scope: 'per-cluster',
      actions: (ctx) => [applyManifest(ctx, 'day4.observability-namespace', ['day4/observability-namespace.yaml'], { namespace: ctx.config.tracing.namespace })],
    },
    {
      id: 'day4.jaeger',
      title: 'Jaeger all-in-one in the tracing cluster',
      why: 'The seed\'s Jaeger (version from tracing.jaeger.version), with a LoadBalancer for the other clusters\' collectors and for the query API. Badger keeps spans on a volume (emptyDir unless tracing.jaeger.claimName names a claim): the seed\'s badger without a volume lost every span on restart.',
      scope: 'once',
      actions: (ctx) => {
        const cluster = tracingCluster(ctx.config);
        return [{ ...applyManifest(onCluster(ctx, cluster), 'day4.jaeger', ['day4/jaeger.yaml'], { jaeger: jaegerValues(ctx.config) }), note: `in the tracing cluster ${cluster.name}` }];
      },
      gates: [
        {
          id: 'day4.jaeger-available',
          title: 'Jaeger is Available',
          hint: 'kubectl get pods -n <tracing namespace> -l app=jaeger --context=<tracing context>; kubectl describe deployment jaeger. A 2Gi memory request needs room on a node.',
          probe: (ctx) => deploymentAvailable(tracingCluster(ctx.config), ctx.config.tracing.namespace, 'jaeger'),
        },
      ],
    },
    {
      id: JAEGER_ADDRESS_STEP,
      title: 'Discover Jaeger\'s load-balancer address',
      why: 'The seed\'s eu-central collector exported to jaeger.observability.svc.cluster.local, a name that exists only in us-west. The address the cloud assigns to Jaeger\'s LoadBalancer is read (client-node, status.loadBalancer.ingress[0]) and published for the collectors and the gates.',
      scope: 'once',
      actions: (ctx) => [
        discoverLoadBalancer({
          kubectl: ctx.config.tools.kubectl,
          cluster: tracingCluster(ctx.config),
          namespace: ctx.config.tracing.namespace,
          service: 'jaeger',
          timeoutSeconds: ctx.config.execution.gateTimeoutSeconds,
          pollMs: ctx.config.execution.pollIntervalMs,
        }),
      ],
    },
    {
      id: 'day4.otel-collector',
      title: 'OpenTelemetry collector in every cluster',
      why: 'With the seed\'s Istio 1.20, Istio\'s tracer sends Zipkin spans to otel-collector.observability:9411, but the seed\'s collector had only an OTLP receiver and its Service only 4317: every mesh span was dropped. For that release akictl adds the zipkin receiver (endpoint 0.0.0.0:9411, explicit because newer collectors listen on localhost) and port 9411 on the Service. In every case: a resource processor stamping k8s.cluster.name, and exports to Jaeger by in-cluster name in the tracing cluster and by load-balancer address elsewhere. The configuration\'s hash rolls the pods when it changes.',
      notes: (config) => changeNotes(config.mesh.istioVersion, ['collector']),
      scope: 'per-cluster',
      actions: (ctx) => {
        const config = collectorConfig(ctx);
        const { image, version } = ctx.config.tracing.collector;
        const ports = collectorReceivers(ctx.config).ports;
        return [
          applyManifest(ctx, 'day4.otel-collector', ['day4/otel-collector.yaml'], {
            collectorConfig: config,
            collectorConfigHash: createHash('sha256').update(config).digest('hex').slice(0, 16),
            collectorImage: `${image}:${version}`,
            collectorContainerPorts: ports.map((port) => ({ name: port.name, containerPort: port.port })),
            collectorServicePorts: ports.map((port) => ({ name: port.name, port: port.port, targetPort: port.port })),
          }),
        ];
      },
      gates: [
        {
          id: 'day4.collector-available',
          title: 'the OpenTelemetry collector is Available',
          hint: 'kubectl logs -n <tracing namespace> deployment/otel-collector --context=<context>: a configuration error is printed at start.',
          probe: (ctx) => deploymentAvailable(ctx.cluster, ctx.config.tracing.namespace, 'otel-collector'),
        },
      ],
    },
    {
      id: 'day4.rebuild-service',
      title: 'Rebuild and push the instrumented service',
      why: 'The seed\'s cargo build and docker build/push. Commands come from build.rebuild (argument lists, no shell); without them this is a manual step: the run pauses until `akictl resume --confirm day4.rebuild-service`.',
      scope: 'once',
      timeoutSeconds: 3600,
      actions: (ctx) => rebuildActions(ctx.config),
    },
    {
      id: 'day4.gitops-bump',
      title: 'Bump the image tag in the GitOps repository',
      why: 'The seed\'s sed + `git commit -am` + push. The tag is set on the YAML document model (the seed\'s sed rewrote every `tag:` line), the commit happens only when the file changed (`git commit` exits 1 with nothing to commit), and the push is safe to repeat. Without build.gitops this is a manual step.',
      scope: 'once',
      actions: (ctx) => gitopsActions(ctx.config),
    },
    {
      id: 'day4.test-traffic',
      title: 'Send test requests to every region and check the traces',
      why: 'The seed sent one curl to the geo-routed name, which reaches one region only, and checked the UI by eye. akictl sends tracing.testRequests.count requests to each region, then reads Jaeger\'s API: the service is listed, and traces carry the k8s.cluster.name of every cluster.',
      scope: 'once',
      actions: (ctx) => [testTraffic(ctx.config)],
      gates: [
        {
          id: 'day4.jaeger-lists-service',
          title: 'Jaeger lists the service',
          hint: 'Check the collector logs for export errors, that the mesh sends spans to the collector (Istio 1.20: meshConfig.defaultConfig.tracing.zipkin to otel-collector.<namespace>:9411, mesh.tracing.zipkinAddress; Istio 1.26+: the otel-tracing extension provider, mesh.tracing.opentelemetry, enabled by Telemetry istio-system/mesh-default), and the sampling rate (mesh.tracing.sampling). Jaeger\'s query address comes from day4.jaeger-address, or tracing.jaeger.queryUrl.',
          probe: (ctx) => jaegerListsService(jaegerQueryUrl(ctx.config, ctx.outputs), serviceNames(ctx.config.tracing.service, ctx.config.app.namespace), ctx.config.traffic.requestTimeoutMs),
        },
        {
          id: 'day4.traces-cover-clusters',
          title: 'traces carry the name of every cluster',
          hint: 'A cluster missing here exports nowhere: check its collector\'s exporter endpoint (Jaeger\'s load-balancer address, port 4317 reachable from that cluster) and its logs. Jaeger\'s query address comes from day4.jaeger-address, or tracing.jaeger.queryUrl.',
          probe: (ctx) =>
            tracesCoverClusters({
              queryUrl: jaegerQueryUrl(ctx.config, ctx.outputs),
              names: serviceNames(ctx.config.tracing.service, ctx.config.app.namespace),
              clusters: ctx.config.clusters.map((cluster) => cluster.name),
              lookback: ctx.config.tracing.traceLookback,
              limit: ctx.config.tracing.traceLimit,
              timeoutMs: ctx.config.traffic.requestTimeoutMs,
            }),
        },
      ],
    },
  ],
};

export default day4;
