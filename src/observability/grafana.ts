import { stringify } from 'yaml';
import { templateValues } from '../plan/builders.js';
import { observabilityCluster, tracingCluster } from '../plan/roles.js';
import type { StepContext } from '../plan/types.js';
import { renderTemplate } from '../render/template.js';
import { jaegerAddress } from '../tracing/jaeger.js';

/**
 * Grafana's datasources (Thanos, and Jaeger by its in-cluster name when it runs in the same cluster, by its
 * load-balancer address otherwise), rendered on the document model and serialised into the ConfigMap value.
 */
export function grafanaDatasources(ctx: StepContext): string {
  const { config } = ctx;
  const sameCluster = tracingCluster(config).name === observabilityCluster(config).name;
  const jaegerUrl = sameCluster ? `http://jaeger.${config.tracing.namespace}:16686` : `http://${jaegerAddress(ctx.outputs)}:16686`;
  const [doc] = renderTemplate(
    'day5/grafana-datasources-provisioning.yaml',
    templateValues(ctx, { thanosUrl: `http://thanos-query.${config.observability.namespace}:9090`, jaegerUrl }),
  );
  return stringify(doc, { lineWidth: 0 });
}
