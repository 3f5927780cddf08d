import { discoverLoadBalancer } from '../src/actions/discover.js';
import { gitopsBump } from '../src/actions/gitops.js';
import { rebuildImage } from '../src/actions/rebuild.js';
import { testTraffic } from '../src/actions/traffic.js';
import { deploymentAvailable } from '../src/gates/kube.js';
import { jaegerListsService, serviceNames, tracesCoverClusters } from '../src/gates/observability.js';
import { applyManifest } from '../src/plan/builders.js';
import { onCluster, tracingCluster } from '../src/plan/roles.js';
import { JAEGER_ADDRESS_STEP } from '../src/plan/step-ids.js';
import type { DayDef } from '../src/plan/types.js';
import { changeNotes, planNotes } from '../src/shared/istio-releases.js';
import { collectorValues } from '../src/tracing/collector.js';
import { jaegerQueryUrl, jaegerValues } from '../src/tracing/jaeger.js';

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
      why: 'The namespace of Jaeger and the collectors, in every cluster, applied as a Namespace manifest (safe to repeat).',
      correction:
        'The seed created `observability` only in us-west, with `kubectl create namespace`, which fails when it exists, then applied the collector to eu-central too.',
      scope: 'per-cluster',
      actions: (ctx) => [
        applyManifest(ctx, 'day4.observability-namespace', ['day4/observability-namespace.yaml'], { namespace: ctx.config.tracing.namespace }),
      ],
    },
    {
      id: 'day4.jaeger',
      title: 'Jaeger all-in-one in the tracing cluster',
      why: "Jaeger all-in-one (version from tracing.jaeger.version) in the tracing cluster, with a LoadBalancer for the other clusters' collectors and for the query API. Badger keeps spans on a volume (emptyDir unless tracing.jaeger.claimName names a claim).",
      correction: "The seed's badger storage had no volume and lost every span on restart.",
      scope: 'once',
      actions: (ctx) => {
        const cluster = tracingCluster(ctx.config);
        return [
          {
            ...applyManifest(onCluster(ctx, cluster), 'day4.jaeger', ['day4/jaeger.yaml'], { jaeger: jaegerValues(ctx.config) }),
            note: `in the tracing cluster ${cluster.name}`,
          },
        ];
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
      title: "Discover Jaeger's load-balancer address",
      why: "Reads the address the cloud assigns to Jaeger's LoadBalancer (client-node, status.loadBalancer.ingress[0]) and publishes it for the collectors of the other clusters and for the gates.",
      correction: "The seed's eu-central collector exported to jaeger.observability.svc.cluster.local, a name that exists only in us-west.",
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
      why: "An OpenTelemetry collector in every cluster: a resource processor stamps k8s.cluster.name, and spans go to Jaeger by its in-cluster name in the tracing cluster and by its load-balancer address elsewhere. The configuration's hash rolls the pods when it changes.",
      correction:
        "With the seed's Istio 1.20, Istio's tracer sends Zipkin spans to otel-collector.observability:9411, but the seed's collector had only an OTLP receiver and its Service only 4317: every mesh span was dropped. For that release akictl adds the zipkin receiver (endpoint 0.0.0.0:9411, explicit because newer collectors listen on localhost) and port 9411 on the Service.",
      notes: (config) => changeNotes(config.mesh.istioVersion, ['collector']),
      scope: 'per-cluster',
      actions: (ctx) => [applyManifest(ctx, 'day4.otel-collector', ['day4/otel-collector.yaml'], collectorValues(ctx))],
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
      why: "Rebuilds and pushes the instrumented service's image. Commands come from build.rebuild (argument lists, no shell); without them this is a manual step: the run pauses until `akictl resume --confirm day4.rebuild-service`.",
      scope: 'once',
      timeoutSeconds: 3600,
      actions: (ctx) => rebuildImage(ctx.config),
    },
    {
      id: 'day4.gitops-bump',
      title: 'Bump the image tag in the GitOps repository',
      why: 'Sets the image tag in the GitOps repository on the YAML document model, commits only when the file changed, and pushes (safe to repeat). Without build.gitops this is a manual step.',
      correction: "The seed's sed rewrote every `tag:` line of the file, and its `git commit -am` exits 1 when there is nothing to commit.",
      scope: 'once',
      actions: (ctx) => gitopsBump(ctx.config),
    },
    {
      id: 'day4.test-traffic',
      title: 'Send test requests to every region and check the traces',
      why: "Sends tracing.testRequests.count requests to each region, each through its own ingress gateway, then reads Jaeger's API: the service is listed, and traces carry the k8s.cluster.name of every cluster.",
      correction: 'The seed sent one curl to the geo-routed name, which reaches one region only, and checked the Jaeger UI by eye.',
      scope: 'once',
      actions: (ctx) => [testTraffic(ctx.config)],
      gates: [
        {
          id: 'day4.jaeger-lists-service',
          title: 'Jaeger lists the service',
          hint: "Check the collector logs for export errors, that the mesh sends spans to the collector (Istio 1.20: meshConfig.defaultConfig.tracing.zipkin to otel-collector.<namespace>:9411, mesh.tracing.zipkinAddress; Istio 1.26+: the otel-tracing extension provider, mesh.tracing.opentelemetry, enabled by Telemetry istio-system/mesh-default), and the sampling rate (mesh.tracing.sampling). Jaeger's query address comes from day4.jaeger-address, or tracing.jaeger.queryUrl.",
          probe: (ctx) =>
            jaegerListsService(
              jaegerQueryUrl(ctx.config, ctx.outputs),
              serviceNames(ctx.config.tracing.service, ctx.config.app.namespace),
              ctx.config.traffic.requestTimeoutMs,
            ),
        },
        {
          id: 'day4.traces-cover-clusters',
          title: 'traces carry the name of every cluster',
          hint: "A cluster missing here exports nowhere: check its collector's exporter endpoint (Jaeger's load-balancer address, port 4317 reachable from that cluster) and its logs. Jaeger's query address comes from day4.jaeger-address, or tracing.jaeger.queryUrl.",
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
