/**
 * Ids of the steps whose outputs other steps and domain modules read: the day that declares the step and every
 * reader take the id from here, so no day file imports another.
 */

/** Day 2: publishes each region's ingress address (`address`, `kind`, `aliasHostedZoneId`) per cluster. */
export const DISCOVER_STEP = 'day2.discover-ingress';

/** Day 2: publishes each region's Route 53 health check id (`healthCheckId`) per cluster. */
export const HEALTH_CHECK_STEP = 'day2.health-checks';

/** Day 4: publishes Jaeger's load-balancer `address`, read by the collectors of the other clusters and by Day 5's Grafana. */
export const JAEGER_ADDRESS_STEP = 'day4.jaeger-address';

/** Day 5: publishes Thanos query's load-balancer `address`, read by its gate and the chaos drill. */
export const THANOS_ADDRESS_STEP = 'day5.thanos-address';
