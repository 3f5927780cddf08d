import type { ClusterConfig, Config } from '../config/schema.js';
import { ActionFailedError } from '../errors.js';
import { externalLabelsOf } from '../gates/observability.js';
import { observabilityCluster, perCluster } from '../plan/roles.js';
import type { BuiltinAction } from '../plan/types.js';
import { shellLine } from '../render/shell.js';
import { lastOutputLine } from './exec.js';

/** Day 5's prerequisite checks: they change nothing and stop the run before anything is deployed. */

/**
 * Each Prometheus must carry external label cluster=<its name>: Thanos' `cluster` label values come from it
 * (and the Thanos sidecar refuses to start without external labels). Read through the API server's service
 * proxy, so nothing needs to be exposed or port-forwarded.
 */
export function prometheusExternalLabel(config: Config, cluster: ClusterConfig): BuiltinAction {
  const { namespace, prometheus } = config.observability;
  const service = perCluster(prometheus.service, cluster);
  const argv = [
    config.tools.kubectl,
    'get',
    '--raw',
    `/api/v1/namespaces/${namespace}/services/${service}:${prometheus.port}/proxy/api/v1/status/config`,
    `--context=${cluster.context}`,
  ];
  return {
    kind: 'builtin',
    name: 'prometheus-external-label',
    readOnly: true,
    describe: `Prometheus ${namespace}/${service} in ${cluster.name} has external label ${prometheus.externalLabel}=${cluster.name}`,
    equivalent: [shellLine(argv)],
    params: { argv, label: prometheus.externalLabel },
    async run(io) {
      const result = await io.exec(argv);
      const hint = `Set global.external_labels.${prometheus.externalLabel}: ${cluster.name} in that Prometheus (prometheus-operator: spec.externalLabels), or point observability.prometheus.service at it.`;
      if (result.exitCode !== 0)
        throw new ActionFailedError(
          `cannot read the configuration of Prometheus ${namespace}/${service} in ${cluster.name}: ${lastOutputLine(result) || `exit ${result.exitCode}`}`,
          hint,
        );
      let labels: Record<string, string>;
      try {
        labels = externalLabelsOf(result.stdout);
      } catch (error) {
        throw new ActionFailedError(
          `Prometheus ${namespace}/${service} in ${cluster.name}: unexpected /api/v1/status/config answer (${(error as Error).message})`,
          hint,
        );
      }
      const value = labels[prometheus.externalLabel];
      io.log(`${cluster.name}: external_labels ${JSON.stringify(labels)}`);
      if (value !== cluster.name) {
        throw new ActionFailedError(
          `Prometheus ${namespace}/${service} in ${cluster.name} has external label ${prometheus.externalLabel}=${value ?? '(missing)'}, expected ${cluster.name}`,
          hint,
        );
      }
    },
  };
}

/** --endpoint addresses, one per cluster: the Thanos cluster's own sidecar by in-cluster name, the others from config. */
export function thanosEndpoints(config: Config): Array<{ cluster: string; address: string | undefined }> {
  const home = observabilityCluster(config);
  return config.clusters.map((cluster) => ({
    cluster: cluster.name,
    address:
      cluster.name === home.name
        ? (config.observability.thanos.endpoints[cluster.name] ?? perCluster(config.observability.thanos.localEndpoint, cluster))
        : config.observability.thanos.endpoints[cluster.name],
  }));
}

/** The seed's prometheus-eu-central.observability:10901 cannot resolve from us-west: refuse to deploy without real addresses. */
export function thanosEndpointsConfigured(config: Config): BuiltinAction {
  const home = observabilityCluster(config);
  const endpoints = thanosEndpoints(config);
  return {
    kind: 'builtin',
    name: 'thanos-endpoints-configured',
    readOnly: true,
    describe: `every cluster other than ${home.name} has a StoreAPI address reachable from ${home.name} in observability.thanos.endpoints`,
    params: { endpoints },
    async run(io) {
      const missing = endpoints.filter((endpoint) => endpoint.address === undefined).map((endpoint) => endpoint.cluster);
      io.log(endpoints.map((endpoint) => `${endpoint.cluster}: ${endpoint.address ?? '(not configured)'}`).join('\n'));
      if (missing.length > 0) {
        throw new ActionFailedError(
          `observability.thanos.endpoints has no address for ${missing.join(', ')}: Thanos query in ${home.name} cannot reach their Prometheus sidecars by in-cluster name (the seed's prometheus-<cluster>.observability:10901 does not resolve across clusters)`,
          `Expose each sidecar's gRPC port 10901 (a LoadBalancer Service, or the east-west gateway) and set observability.thanos.endpoints.<cluster>: <address>:10901.`,
        );
      }
    },
  };
}

export function crdExists(config: Config, cluster: ClusterConfig, crd: string, install: string): BuiltinAction {
  return {
    kind: 'builtin',
    name: 'crd-exists',
    readOnly: true,
    describe: `CustomResourceDefinition ${crd} exists in ${cluster.name}`,
    equivalent: [shellLine([config.tools.kubectl, 'get', 'crd', crd, `--context=${cluster.context}`])],
    params: { cluster: cluster.name, crd },
    async run(io) {
      const kube = await io.kube(cluster);
      const found = await kube.get('apiextensions.k8s.io/v1', 'CustomResourceDefinition', undefined, crd);
      if (!found) throw new ActionFailedError(`CustomResourceDefinition ${crd} is not installed in ${cluster.name}`, install);
      io.log(`${crd}: present in ${cluster.name}`);
    },
  };
}
