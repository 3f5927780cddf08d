import type { ClusterConfig, Config } from '../config/schema.js';
import { istiodDebugArgv, readNetworkGateways } from '../istio/debug.js';
import { addressText, EAST_WEST, readEastWestGateway } from '../istio/mesh-service.js';
import type { Probe } from '../plan/types.js';
import { shellLine } from '../render/shell.js';

/**
 * The cluster's east-west gateway has an external address on port 15443 and carries the cluster's network
 * label: without an address the other networks cannot reach this cluster's services at all, and without the
 * label istiod does not take the Service for the network's gateway.
 */
export function eastWestAddress(cluster: ClusterConfig): Probe {
  return {
    describe: `Service ${EAST_WEST.namespace}/${EAST_WEST.service} in ${cluster.name} has an external address, port ${EAST_WEST.port} and label topology.istio.io/network=${cluster.network}`,
    expected: `an external address, port ${EAST_WEST.port}, network ${cluster.network}`,
    async run(io) {
      const gateway = await readEastWestGateway(await io.kube(cluster));
      if (!gateway.found) return { ok: false, measured: 'Service not found' };
      const problems: string[] = [];
      if (gateway.addresses.length === 0) problems.push('no external address (status.loadBalancer.ingress is empty: EXTERNAL-IP <pending>)');
      if (!gateway.ports.includes(EAST_WEST.port)) problems.push(`no port ${EAST_WEST.port} (ports ${gateway.ports.join(', ') || 'none'})`);
      if (gateway.network !== cluster.network) problems.push(`label topology.istio.io/network=${gateway.network ?? '(missing)'}`);
      const addresses = gateway.addresses.map(addressText).join(', ');
      return {
        ok: problems.length === 0,
        measured: problems.length === 0 ? `${addresses}:${EAST_WEST.port} on network ${gateway.network}` : problems.join('; '),
      };
    },
  };
}

/**
 * Each istiod's network gateway configuration (debug/networkz) points at every cluster's east-west address:
 * for each configured cluster, a gateway of that cluster's network at its east-west Service's external
 * address(es) (host-name addresses are resolved by istiod, so any address of that cluster's network counts)
 * on 15443. This is what sidecars are told to send cross-network traffic to.
 */
export function networkGatewaysPointAtEastWest(config: Config, cluster: ClusterConfig): Probe {
  return {
    describe: `every istiod in ${cluster.name} has, for each cluster's network, that cluster's east-west address on ${EAST_WEST.port} as network gateway (${shellLine(istiodDebugArgv(config, cluster, '<istiod pod>', 'debug/networkz'))})`,
    expected: config.clusters.map((other) => `${other.network} → ${other.name}'s east-west address:${EAST_WEST.port}`).join(', '),
    async run(io) {
      const gateways = new Map<string, { addresses: string[]; hostnames: boolean }>();
      for (const other of config.clusters) {
        const gateway = await readEastWestGateway(await io.kube(other));
        gateways.set(other.name, { addresses: gateway.addresses.flatMap((a) => (a.ip ? [a.ip] : [])), hostnames: gateway.addresses.some((a) => a.hostname) });
      }
      const views = await readNetworkGateways(io, config, cluster);
      const problems: string[] = [];
      const found: string[] = [];
      for (const [pod, known] of views) {
        for (const other of config.clusters) {
          const mine = known.filter((gateway) => gateway.network === other.network && gateway.port === EAST_WEST.port);
          const expected = gateways.get(other.name)!;
          const match = mine.find((gateway) => expected.addresses.includes(gateway.address) || (expected.hostnames && gateway.cluster === other.name));
          if (match) found.push(`${other.network} ${match.address}:${match.port}`);
          else if (expected.addresses.length === 0 && !expected.hostnames)
            problems.push(`${pod}: ${other.network} has no gateway (${other.name}'s east-west gateway has no external address)`);
          else
            problems.push(
              `${pod}: ${other.network} → ${mine.map((gateway) => `${gateway.address}:${gateway.port}`).join(', ') || 'no gateway'}, expected ${expected.addresses.join(', ') || `${other.name}'s host name`}:${EAST_WEST.port}`,
            );
        }
      }
      return { ok: problems.length === 0, measured: problems.length === 0 ? [...new Set(found)].join(', ') : problems.join('; ') };
    },
  };
}
