import type { ClusterConfig, Config } from '../config/schema.js';
import type { HealthCheckConfig } from '../dns/records.js';
import { ActionFailedError, hintOf } from '../errors.js';
import { findByReference, listHealthChecks } from '../gates/route53.js';
import type { BuiltinAction } from '../plan/types.js';
import { shellLine } from '../render/shell.js';
import { awsClient, awsErrorName, awsRetryOptions, callAws, describeAwsError } from './aws.js';

/**
 * The hosted zone must exist, be public (TestDNSAnswer and the internet only see public zones) and hold
 * app.host. The built-in default's Z123456 is the seed's placeholder: this is where it is caught.
 */
export function hostedZoneCheck(config: Config): BuiltinAction {
  const { hostedZoneId } = config.dns;
  const host = config.app.host.toLowerCase();
  return {
    kind: 'builtin',
    name: 'hosted-zone',
    readOnly: true,
    describe: `Route 53 hosted zone ${hostedZoneId} exists, is public and holds ${host}`,
    equivalent: [shellLine(['aws', 'route53', 'get-hosted-zone', '--id', hostedZoneId])],
    params: { hostedZoneId, host },
    async run(io) {
      let zone: { HostedZone?: { Name?: string; Config?: { PrivateZone?: boolean } } };
      try {
        zone = await callAws(io, 'route53', 'GetHostedZone', { Id: hostedZoneId });
      } catch (error) {
        throw new ActionFailedError(
          `hosted zone ${hostedZoneId}: ${describeAwsError(error)}`,
          `Set dns.hostedZoneId to the public zone holding ${host} (aws route53 list-hosted-zones-by-name --dns-name ${host}); Z123456 in the built-in default is the seed's placeholder. Credentials come from AWS_PROFILE or the AWS_* variables.`,
        );
      }
      const name = (zone.HostedZone?.Name ?? '').toLowerCase().replace(/\.$/, '');
      io.log(`hosted zone ${hostedZoneId}: ${name || '?'}${zone.HostedZone?.Config?.PrivateZone ? ' (private)' : ''}`);
      if (zone.HostedZone?.Config?.PrivateZone) {
        throw new ActionFailedError(
          `hosted zone ${hostedZoneId} (${name}) is private`,
          'Geo-routing for internet clients needs the public zone: set dns.hostedZoneId to it.',
        );
      }
      if (host !== name && !host.endsWith(`.${name}`)) {
        throw new ActionFailedError(
          `hosted zone ${hostedZoneId} is ${name}, which does not hold ${host}`,
          `Set dns.hostedZoneId to the zone of ${host}, or app.host to a name in ${name}.`,
        );
      }
    },
  };
}

/**
 * Wait until the record change is INSYNC on every Route 53 name server (the SDK's waiter polls GetChange),
 * bounded by dns.insync.maxWaitSeconds. The change id is read when the wait starts: the
 * ChangeResourceRecordSets action before it published it.
 */
export function waitInsync(config: Config, stepId: string, shownChangeId: string): BuiltinAction {
  const { minDelaySeconds, maxDelaySeconds, maxWaitSeconds } = config.dns.insync;
  return {
    kind: 'builtin',
    name: 'wait-insync',
    readOnly: true,
    describe: `wait until the change is INSYNC (GetChange every ${minDelaySeconds}-${maxDelaySeconds}s, at most ${maxWaitSeconds}s)`,
    equivalent: [shellLine(['aws', 'route53', 'wait', 'resource-record-sets-changed', '--id', shownChangeId])],
    params: { minDelaySeconds, maxDelaySeconds, maxWaitSeconds },
    async run(io) {
      if (!io.outputs.known(stepId, 'changeId')) throw new Error(`no change id was published by ${stepId}`);
      const id = io.outputs.get(stepId, 'changeId');
      const { waitUntilResourceRecordSetsChanged } = await import('@aws-sdk/client-route-53');
      const client = (await awsClient('route53', awsRetryOptions(config))) as unknown as Parameters<typeof waitUntilResourceRecordSetsChanged>[0]['client'];
      const started = Date.now();
      try {
        await waitUntilResourceRecordSetsChanged(
          { client, minDelay: minDelaySeconds, maxDelay: Math.max(minDelaySeconds, maxDelaySeconds), maxWaitTime: maxWaitSeconds, abortSignal: io.signal },
          { Id: id },
        );
      } catch (error) {
        if (io.signal.aborted) throw error;
        const name = (error as Error).name;
        throw new ActionFailedError(
          name === 'TimeoutError' ? `change ${id} was not INSYNC after ${maxWaitSeconds}s` : `waiting for change ${id}: ${describeAwsError(error)}`,
          `Route 53 usually propagates within 60 s. Check with: aws route53 get-change --id ${id}; then akictl resume (dns.insync.maxWaitSeconds bounds the wait).`,
        );
      }
      io.log(`change ${id} INSYNC after ${((Date.now() - started) / 1000).toFixed(1)}s`);
    },
  };
}

/** How many fresh references to try when Route 53 refuses one that a deleted check used. */
const REFERENCE_RETRIES = 5;

/**
 * Find the region's health check by its CallerReference, or create it. CreateHealthCheck with a reference
 * is idempotent while the check lives, but Route 53 refuses for a while the reference of a *deleted* check
 * (HealthCheckAlreadyExists, whatever the settings): then `<reference>:2`, `:3`… are used, and the done
 * check finds those too. Publishes `healthCheckId`, the id Route 53 returned.
 */
export function ensureHealthCheck(cluster: ClusterConfig, reference: string, check: HealthCheckConfig): BuiltinAction {
  const input = { CallerReference: reference, HealthCheckConfig: check };
  return {
    kind: 'builtin',
    name: 'ensure-health-check',
    describe: `reuse the Route 53 health check with CallerReference ${reference}, or create it: ${check.Type} ${check.IPAddress ?? check.FullyQualifiedDomainName}:${check.Port}${check.ResourcePath} (${cluster.name})`,
    requests: [{ kind: 'aws', service: 'route53', operation: 'CreateHealthCheck', input, note: 'only when no check has this CallerReference' }],
    params: { request: input },
    async run(io) {
      const existing = findByReference(await listHealthChecks(io), reference);
      if (existing?.Id) {
        io.log(`reusing health check ${existing.Id} (${existing.CallerReference})`);
        return { outputs: { healthCheckId: existing.Id } };
      }
      for (let n = 1; n <= REFERENCE_RETRIES; n += 1) {
        const attempt = n === 1 ? reference : `${reference}:${n}`;
        try {
          const created = await callAws<{ HealthCheck?: { Id?: string } }>(io, 'route53', 'CreateHealthCheck', { ...input, CallerReference: attempt });
          const id = created.HealthCheck?.Id;
          if (!id) throw new Error('CreateHealthCheck returned no HealthCheck.Id');
          io.log(`health check ${id} (CallerReference ${attempt})`);
          return { outputs: { healthCheckId: id } };
        } catch (error) {
          if (awsErrorName(error) !== 'HealthCheckAlreadyExists' || io.signal.aborted) {
            throw new ActionFailedError(
              `CreateHealthCheck for ${cluster.name}: ${describeAwsError(error)}`,
              awsErrorName(error) === 'TooManyHealthChecks'
                ? 'The account reached its health check quota: delete unused checks (aws route53 list-health-checks) or ask AWS for more.'
                : hintOf(error) ||
                    'Check the credentials (route53:CreateHealthCheck) and the discovered address (Route 53 refuses private and reserved IPs); then akictl resume.',
            );
          }
          io.log(`CallerReference ${attempt} belongs to a deleted health check; trying another`);
        }
      }
      throw new ActionFailedError(
        `no free CallerReference for ${cluster.name}'s health check after ${REFERENCE_RETRIES} tries`,
        'Delete the stale health checks of this cluster (aws route53 list-health-checks) or change dns.healthCheck, then akictl resume.',
      );
    },
  };
}
