import { discoverLoadBalancer } from '../src/actions/discover.js';
import { awaitChaosInjected, awaitFailover, confirmDeleted, loadTest, recordReplicas, restoreReplicas, sampleP95 } from '../src/actions/drills.js';
import { crdExists, prometheusExternalLabel, thanosEndpointsConfigured } from '../src/actions/prerequisites.js';
import { globalUrl } from '../src/actions/traffic.js';
import { deploymentAvailable } from '../src/gates/kube.js';
import { grafanaPresent, thanosLabelValues } from '../src/gates/observability.js';
import { grafanaDatasources } from '../src/observability/grafana.js';
import { thanosArgs, thanosQueryUrl } from '../src/observability/thanos.js';
import { applyManifest, kubectl, readOnly } from '../src/plan/builders.js';
import { FAILOVER_LOAD_TARGET } from '../src/plan/measurements.js';
import { chaosCluster, observabilityCluster, onCluster, primaryCluster } from '../src/plan/roles.js';
import { THANOS_ADDRESS_STEP } from '../src/plan/step-ids.js';
import type { DayDef } from '../src/plan/types.js';

const FAILOVER_DRILL_STEP = 'day5.failover-drill';

const CHAOS_CRD = 'networkchaos.chaos-mesh.org';

const day5: DayDef = {
  day: 5,
  title: 'Multi-cluster observability and drills',
  objective: "Query every cluster's metrics through Thanos, then measure load, failover and network chaos.",
  success: 'Thanos sees every cluster; load, failover and chaos measured; `akictl report` writes the completion report from those measurements',
  steps: [
    {
      id: 'day5.prometheus-external-labels',
      title: 'Prerequisite: every Prometheus carries external label cluster',
      why: "Thanos' `cluster` label values exist only if each Prometheus sets external_labels {cluster: <name>} (the Thanos sidecar refuses to start without external labels). Each Prometheus' configuration is read through the API server's service proxy; the run stops here when the label is missing.",
      correction: 'The seed assumed the label was there.',
      scope: 'per-cluster',
      actions: (ctx) => [prometheusExternalLabel(ctx.config, ctx.cluster)],
    },
    {
      id: 'day5.thanos-endpoints',
      title: 'Prerequisite: a reachable StoreAPI address for every cluster',
      why: 'Every cluster other than the Thanos cluster needs a StoreAPI address reachable from the Thanos cluster, from observability.thanos.endpoints: the run stops here until each is set.',
      correction: "The seed's --store=prometheus-eu-central.observability:10901 cannot resolve from us-west.",
      scope: 'once',
      actions: (ctx) => [thanosEndpointsConfigured(ctx.config)],
    },
    {
      id: 'day5.observability-namespace',
      title: 'Observability namespace in the Thanos cluster',
      why: 'The observability namespace in the Thanos cluster, applied as a Namespace manifest (safe to repeat): Day 4 created it already when tracing and observability share a namespace.',
      scope: 'once',
      actions: (ctx) => [
        applyManifest(onCluster(ctx, observabilityCluster(ctx.config)), 'day5.observability-namespace', ['day4/observability-namespace.yaml'], {
          namespace: ctx.config.observability.namespace,
        }),
      ],
    },
    {
      id: 'day5.thanos-query',
      title: "Thanos query over every cluster's Prometheus",
      why: "Thanos query in the observability cluster, over every cluster's Prometheus through the StoreAPI addresses from the configuration.",
      correction: "The seed's --store is deprecated since Thanos 0.24: --endpoint replaces it.",
      scope: 'once',
      actions: (ctx) => {
        const home = observabilityCluster(ctx.config);
        const { image, version } = ctx.config.observability.thanos;
        return [
          {
            ...applyManifest(onCluster(ctx, home), 'day5.thanos-query', ['day5/thanos-query.yaml'], {
              thanosImage: `${image}:${version}`,
              thanosArgs: thanosArgs(ctx.config),
            }),
            note: `in the observability cluster ${home.name}`,
          },
        ];
      },
      gates: [
        {
          id: 'day5.thanos-available',
          title: 'Thanos query is Available',
          hint: 'kubectl logs -n <observability namespace> deployment/thanos-query --context=<context>: unreachable endpoints are logged.',
          probe: (ctx) => deploymentAvailable(observabilityCluster(ctx.config), ctx.config.observability.namespace, 'thanos-query'),
        },
      ],
    },
    {
      id: THANOS_ADDRESS_STEP,
      title: "Discover Thanos query's address and check it sees every cluster",
      why: "Reads and publishes Thanos query's LoadBalancer address (or uses observability.thanos.queryUrl); the gate reads /api/v1/label/cluster/values.",
      correction: 'The seed curled http://thanos-query:9090, a name that resolves only inside the cluster.',
      scope: 'once',
      actions: (ctx) => [
        discoverLoadBalancer({
          kubectl: ctx.config.tools.kubectl,
          cluster: observabilityCluster(ctx.config),
          namespace: ctx.config.observability.namespace,
          service: 'thanos-query',
          timeoutSeconds: ctx.config.execution.gateTimeoutSeconds,
          pollMs: ctx.config.execution.pollIntervalMs,
        }),
      ],
      gates: [
        {
          id: 'day5.thanos-sees-every-cluster',
          title: 'Thanos label cluster has every cluster',
          hint: "A missing cluster: its endpoint is unreachable from the Thanos cluster (see thanos-query logs and its /stores page), or its Prometheus lacks the external label. Thanos' address comes from day5.thanos-address, or observability.thanos.queryUrl.",
          probe: (ctx) =>
            thanosLabelValues(
              thanosQueryUrl(ctx.config, ctx.outputs),
              ctx.config.observability.prometheus.externalLabel,
              ctx.config.clusters.map((c) => c.name),
              ctx.config.traffic.requestTimeoutMs,
            ),
        },
      ],
    },
    {
      id: 'day5.grafana-datasources',
      title: 'Grafana datasources: Thanos and Jaeger',
      why: "Grafana's datasources, Thanos (the default) and Jaeger, as a ConfigMap rendered on the document model; Jaeger is addressed by its load-balancer address when it lives in another cluster.",
      correction: 'The seed updates the datasources of a Grafana it never deploys: akictl checks for one, and a gate warns when it is missing.',
      scope: 'once',
      actions: (ctx) => [
        applyManifest(onCluster(ctx, observabilityCluster(ctx.config)), 'day5.grafana-datasources', ['day5/grafana-datasources.yaml'], {
          datasources: grafanaDatasources(ctx),
        }),
      ],
      gates: [
        {
          id: 'day5.grafana-present',
          title: 'Grafana is deployed',
          hint: 'Deploy Grafana (e.g. the grafana Helm chart with its datasource sidecar) in the observability namespace, or set observability.grafana.deployment.',
          probe: (ctx) => grafanaPresent(ctx.config),
        },
      ],
    },
    {
      id: 'day5.load-test',
      title: 'Load test',
      why: 'Runs wrk with a generated Lua script whose done() hook prints p50/p95/p99 and requests/s as numbers (autocannon when wrk is missing), and stores them as measurements.',
      correction: 'The seed ran wrk without --latency and reported a P95 that wrk never prints (with --latency it prints 50/75/90/99%).',
      scope: 'once',
      timeoutSeconds: 3600,
      actions: (ctx) => ctx.config.load.targets.map((target) => loadTest(ctx.config, target.name, target.url ?? globalUrl(ctx.config), ctx.config.load.run)),
    },
    {
      id: FAILOVER_DRILL_STEP,
      title: 'Failover drill: drain the primary region',
      why: 'Drains the primary region: records its replica count first (saved before the scale-down), scales it to 0, measures the time until the other regions serve every request (bounded probe loop) and runs the reduced load test. day5.failover-restore puts the recorded count back whatever happens: failure, failed gate or Ctrl-C; `akictl resume` after a crash restores first.',
      correction: 'The seed scaled the primary to 0, slept 45 s, and restored a hard-coded 2 replicas only if nothing failed in between.',
      scope: 'once',
      destructive: true,
      restoredBy: 'day5.failover-restore',
      timeoutSeconds: 3600,
      actions: (ctx) => {
        const { config } = ctx;
        const primary = primaryCluster(config);
        return [
          recordReplicas({ kubectl: config.tools.kubectl, cluster: primary, namespace: config.app.namespace, deployment: config.failover.deployment }),
          kubectl(config, primary, ['scale', `deployment/${config.failover.deployment}`, '--replicas=0', '-n', config.app.namespace]),
          awaitFailover(config, primary),
          loadTest(config, FAILOVER_LOAD_TARGET, globalUrl(config), config.load.reduced),
        ];
      },
    },
    {
      id: 'day5.failover-restore',
      title: "Restore the primary region's replicas",
      why: 'Scales the primary back to the count recorded before the drill and waits for the rollout. Runs even when the drill fails or is interrupted.',
      correction: 'The seed restored a hard-coded 2 replicas, and only when nothing had failed.',
      scope: 'once',
      actions: (ctx) => {
        const { config } = ctx;
        const primary = primaryCluster(config);
        const { deployment, rolloutTimeoutSeconds } = config.failover;
        return [
          restoreReplicas({
            kubectl: config.tools.kubectl,
            cluster: primary,
            namespace: config.app.namespace,
            deployment,
            drillStep: FAILOVER_DRILL_STEP,
            recorded: ctx.outputs.get(FAILOVER_DRILL_STEP, 'replicas', {}),
          }),
          readOnly(
            kubectl(config, primary, ['rollout', 'status', `deployment/${deployment}`, '-n', config.app.namespace, `--timeout=${rolloutTimeoutSeconds}s`]),
          ),
        ];
      },
      gates: [
        {
          id: 'day5.primary-available',
          title: "the primary's app is Available again",
          hint: 'kubectl rollout status deployment/<failover.deployment> -n <app namespace> --context=<primary context>',
          probe: (ctx) => deploymentAvailable(primaryCluster(ctx.config), ctx.config.app.namespace, ctx.config.failover.deployment),
        },
      ],
    },
    {
      id: 'day5.chaos-precheck',
      title: 'Prerequisite: Chaos Mesh is installed',
      why: 'Checks first, in the chaos cluster, that Chaos Mesh is installed (CRD networkchaos.chaos-mesh.org).',
      correction: 'The seed applied a NetworkChaos without Chaos Mesh: without its CRD the apply fails.',
      scope: 'once',
      actions: (ctx) => [
        crdExists(
          ctx.config,
          chaosCluster(ctx.config),
          CHAOS_CRD,
          'Install Chaos Mesh (helm install chaos-mesh chaos-mesh/chaos-mesh -n chaos-mesh), or skip the chaos steps with --only/--from.',
        ),
      ],
    },
    {
      id: 'day5.chaos-inject',
      title: "Network chaos: delay the app's traffic and sample p95",
      why: "Delays the app's traffic with a NetworkChaos in the chaos cluster, waits for AllInjected=True (bounded) and samples p95 from Thanos a bounded number of times; day5.chaos-cleanup deletes it and confirms it is gone, also on failure.",
      correction: 'The seed applied the NetworkChaos without --context, never checked that it took effect, and watched a query forever.',
      scope: 'once',
      destructive: true,
      restoredBy: 'day5.chaos-cleanup',
      actions: (ctx) => {
        const { config } = ctx;
        const cluster = chaosCluster(config);
        return [
          { ...applyManifest(onCluster(ctx, cluster), 'day5.chaos-inject', ['day5/network-chaos.yaml']), note: `in the chaos cluster ${cluster.name}` },
          awaitChaosInjected({
            kubectl: config.tools.kubectl,
            cluster,
            namespace: config.app.namespace,
            name: config.chaos.name,
            timeoutSeconds: config.chaos.injectTimeoutSeconds,
            pollMs: config.execution.pollIntervalMs,
          }),
          sampleP95({
            queryUrl: thanosQueryUrl(config, ctx.outputs),
            query: config.chaos.p95Query,
            samples: config.chaos.samples,
            intervalMs: config.chaos.sampleIntervalMs,
            timeoutMs: config.traffic.requestTimeoutMs,
          }),
        ];
      },
    },
    {
      id: 'day5.chaos-cleanup',
      title: 'Delete the NetworkChaos and confirm it is gone',
      why: 'Deletes the NetworkChaos with --ignore-not-found (safe to repeat); the object must then disappear (Chaos Mesh removes the delay before its finalizer lets go).',
      correction: 'The seed left the fault running (duration 5m) and never checked it ended.',
      scope: 'once',
      actions: (ctx) => {
        const { config } = ctx;
        const cluster = chaosCluster(config);
        return [
          kubectl(config, cluster, ['delete', 'networkchaos', config.chaos.name, '-n', config.app.namespace, '--ignore-not-found', '--wait=false'], {
            effect: {
              kind: 'kube-delete',
              cluster: cluster.name,
              target: { apiVersion: 'chaos-mesh.org/v1alpha1', kind: 'NetworkChaos', namespace: config.app.namespace, name: config.chaos.name },
            },
          }),
          confirmDeleted({
            kubectl: config.tools.kubectl,
            cluster,
            apiVersion: 'chaos-mesh.org/v1alpha1',
            kind: 'NetworkChaos',
            namespace: config.app.namespace,
            name: config.chaos.name,
            timeoutSeconds: config.chaos.deleteTimeoutSeconds,
            pollMs: config.execution.pollIntervalMs,
          }),
        ];
      },
    },
  ],
};

export default day5;
