import { createHash } from 'node:crypto';
import { stringify } from 'yaml';
import { collectorReceivers } from '../istio/tracing.js';
import { templateValues } from '../plan/builders.js';
import { tracingCluster } from '../plan/roles.js';
import type { StepContext } from '../plan/types.js';
import { renderTemplate } from '../render/template.js';
import { jaegerAddress } from './jaeger.js';

/**
 * The collector configuration as a document (rendered from its own template on the document model), then
 * serialised once into the ConfigMap value: never YAML pasted together as text. The collector exports to Jaeger
 * by its in-cluster name in the tracing cluster, and by its load-balancer address everywhere else.
 */
export function collectorConfig(ctx: StepContext): string {
  const inTracingCluster = ctx.cluster.name === tracingCluster(ctx.config).name;
  const exporterEndpoint = inTracingCluster ? `jaeger.${ctx.config.tracing.namespace}.svc.cluster.local:4317` : `${jaegerAddress(ctx.outputs)}:4317`;
  const { receivers, names } = collectorReceivers(ctx.config);
  const [doc] = renderTemplate('day4/otel-collector-config.yaml', templateValues(ctx, { exporterEndpoint, receivers, receiverNames: names }));
  return stringify(doc, { lineWidth: 0 });
}

/** The values templates/day4/otel-collector.yaml uses; the configuration's hash rolls the pods when it changes. */
export function collectorValues(ctx: StepContext) {
  const config = collectorConfig(ctx);
  const { image, version } = ctx.config.tracing.collector;
  const ports = collectorReceivers(ctx.config).ports;
  return {
    collectorConfig: config,
    collectorConfigHash: createHash('sha256').update(config).digest('hex').slice(0, 16),
    collectorImage: `${image}:${version}`,
    collectorContainerPorts: ports.map((port) => ({ name: port.name, containerPort: port.port })),
    collectorServicePorts: ports.map((port) => ({ name: port.name, port: port.port, targetPort: port.port })),
  };
}
