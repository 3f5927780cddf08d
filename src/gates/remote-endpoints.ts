import type { ClusterConfig, Config } from '../config/schema.js';
import { type EnvoyHost, gatewayAddresses, proxyEndpointArgv, readProxyEndpoints } from '../istio/debug.js';
import { EAST_WEST, meshService, otherClusters, readEastWestGateway, servicePodIps } from '../istio/mesh-service.js';
import type { Probe } from '../plan/types.js';
import { shellLine } from '../render/shell.js';

/** The workload whose sidecar is asked: the first app Deployment (any of its pods holds the same endpoints). */
export function sidecarWorkload(config: Config): string {
  return `deployment/${config.app.deployments[0]}.${config.app.namespace}`;
}

function hostText(host: EnvoyHost): string {
  return `${host.address}:${host.port} ${host.health}${host.weight !== 1 ? ` weight ${host.weight}` : ''}`;
}

/**
 * A sidecar in this cluster holds endpoints of the app in every other cluster: for a cluster on another
 * network, its east-west gateway's address on 15443 (Istio puts one gateway endpoint per remote network,
 * weighted by the endpoints behind it); for a cluster on the same network, that cluster's pod IPs. Read from
 * the proxy's own configuration, so it shows what traffic will really use.
 */
export function remoteEndpoints(config: Config, cluster: ClusterConfig): Probe {
  const service = meshService(config);
  const workload = sidecarWorkload(config);
  const others = otherClusters(config, cluster);
  return {
    describe: `the sidecar of ${workload} in ${cluster.name} holds endpoints of ${service.host}:${service.port} in ${others.map((o) => o.name).join(', ') || 'no other cluster'} (${shellLine(proxyEndpointArgv(config, cluster, workload, service.envoyCluster))})`,
    expected:
      others
        .map((other) => (other.network === cluster.network ? `${other.name}: its pod IPs` : `${other.name}: its east-west address:${EAST_WEST.port} HEALTHY`))
        .join(', ') || 'nothing to check',
    async run(io) {
      const hosts = await readProxyEndpoints(io, config, cluster, workload, service.envoyCluster);
      const problems: string[] = [];
      const found: string[] = [];
      for (const other of others) {
        const kube = await io.kube(other);
        if (other.network === cluster.network) {
          const ips = await servicePodIps(kube, service);
          const mine = hosts.filter((host) => ips.includes(host.address) && host.health === 'HEALTHY');
          if (mine.length > 0) found.push(`${other.name}: ${mine.map(hostText).join(', ')}`);
          else problems.push(`${other.name}: none of its ${ips.length} pod IP(s) among the ${hosts.length} endpoint(s)`);
          continue;
        }
        const gateway = await readEastWestGateway(kube);
        const ips = await gatewayAddresses(io, config, cluster, other, gateway.addresses);
        const viaGateway = hosts.filter((host) => host.port === EAST_WEST.port && ips.includes(host.address));
        const healthy = viaGateway.filter((host) => host.health === 'HEALTHY');
        if (healthy.length > 0) found.push(`${other.name}: ${healthy.map(hostText).join(', ')}`);
        else if (viaGateway.length > 0) problems.push(`${other.name}: ${viaGateway.map(hostText).join(', ')} (not HEALTHY)`);
        else
          problems.push(
            `${other.name}: no endpoint at ${ips.length > 0 ? ips.map((ip) => `${ip}:${EAST_WEST.port}`).join(', ') : 'its east-west gateway (it has no external address)'} among ${hosts.length} endpoint(s)${hosts.length > 0 ? ` (${hosts.map(hostText).join(', ')})` : ''}`,
          );
      }
      return { ok: problems.length === 0, measured: problems.length === 0 ? found.join('; ') || 'no other cluster' : problems.join('; ') };
    },
  };
}
