import { discoverIngress } from '../src/actions/ingress.js';
import { ensureHealthCheck, hostedZoneCheck, waitInsync } from '../src/actions/route53.js';
import { gatewayCredential } from '../src/actions/tls-credential.js';
import { callerReference, geoRecordSets, healthCheckConfig, regionAddress } from '../src/dns/records.js';
import { regionHealth } from '../src/gates/http.js';
import { objectsExist, tlsSecretPresent } from '../src/gates/objects.js';
import { continentAnswer, defaultAnswer, healthCheckByReference, recordsMatch } from '../src/gates/route53.js';
import { trafficPolicyObjects, trafficPolicyValues } from '../src/istio/traffic-policy.js';
import { applyManifest } from '../src/plan/builders.js';
import { DISCOVER_STEP, HEALTH_CHECK_STEP } from '../src/plan/step-ids.js';
import type { DayDef } from '../src/plan/types.js';
import { changeNotes, planNotes } from '../src/shared/istio-releases.js';

const GEO_RECORDS_STEP = 'day2.geo-records';

const day2: DayDef = {
  day: 2,
  title: 'Traffic management & geo-routing',
  objective: 'Route clients to their nearest region with Route 53 geolocation records and health checks, and apply the Istio traffic policy in every cluster.',
  success: 'Geo-routing working, traffic distributed by region',
  notes: (config) => planNotes(config.mesh.istioVersion, ['api-versions']),
  steps: [
    {
      id: 'day2.preflight',
      title: 'Preflight: the Route 53 hosted zone',
      why: 'Checks the AWS credentials and dns.hostedZoneId before anything changes: TestDNSAnswer only answers for a public zone that holds the host.',
      correction: 'The seed sent its records to Z123456, a placeholder zone id, unchecked.',
      scope: 'once',
      actions: (ctx) => [hostedZoneCheck(ctx.config)],
    },
    {
      id: DISCOVER_STEP,
      title: "Discover each region's ingress address",
      why: "Reads each region's address from its ingress gateway Service (status.loadBalancer.ingress[0]) and publishes it: an IP gives an A record, an AWS load balancer host name an alias record.",
      correction: "The seed hard-coded 1.2.3.4 and 5.6.7.8 as the regions' addresses.",
      scope: 'per-cluster',
      actions: (ctx) => [discoverIngress(ctx.config, ctx.cluster)],
    },
    {
      id: 'day2.tls-credential',
      title: 'TLS credential of the Gateway',
      why: "The Gateway's credentialName must name a Secret in the ingress gateway's namespace (istio-system), or HTTPS fails. Skipped when it exists; created from routing.gateway.certFile/keyFile when set, otherwise the run pauses for an operator.",
      correction: "The seed's Gateway names credentialName akidb-tls-cert, but the seed never creates that Secret.",
      scope: 'per-cluster',
      done: (ctx) => tlsSecretPresent(ctx.cluster, ctx.config.ingress.namespace, ctx.config.routing.gateway.credentialName),
      actions: gatewayCredential,
      gates: [
        {
          id: 'day2.tls-credential-present',
          title: "the Gateway's TLS Secret exists",
          hint: 'kubectl get secret <credentialName> -n istio-system --context=<context>; it needs tls.crt and tls.key for app.host.',
          probe: (ctx) => tlsSecretPresent(ctx.cluster, ctx.config.ingress.namespace, ctx.config.routing.gateway.credentialName),
        },
      ],
    },
    {
      id: 'day2.gateway-routes',
      title: 'Gateway and VirtualService',
      why: 'The Gateway and the VirtualService routes (retries, per-try timeout, timeout) in every cluster, with a route for the health path the gates and the health checks request.',
      correction: 'The seed curled /health, a path its VirtualService never routed: akictl adds that route.',
      notes: (config) => changeNotes(config.mesh.istioVersion, ['api-versions']),
      scope: 'per-cluster',
      actions: (ctx) => [applyManifest(ctx, 'day2.gateway-routes', ['day2/gateway.yaml', 'day2/virtual-service.yaml'], trafficPolicyValues(ctx.config))],
    },
    {
      id: 'day2.destination-rule',
      title: 'DestinationRule: least request, locality, circuit breaking',
      why: "Least-request load balancing with locality, a connection pool and outlier detection (circuit breaking) for the app's service, in every cluster.",
      correction:
        "The seed's outlierDetection.consecutiveErrors is deprecated since Istio 1.5 and ignored by istiod 1.20, so the seed had no circuit breaker: consecutive5xxErrors replaces it. Source: Istio's DestinationRule reference (OutlierDetection).",
      notes: (config) => changeNotes(config.mesh.istioVersion, ['api-versions']),
      scope: 'per-cluster',
      actions: (ctx) => [applyManifest(ctx, 'day2.destination-rule', ['day2/destination-rule.yaml'], trafficPolicyValues(ctx.config))],
      gates: [
        {
          id: 'day2.istio-objects',
          title: 'Gateway, VirtualService and DestinationRule exist',
          hint: 'kubectl get gateway,virtualservice,destinationrule -n <namespace> --context=<context>; istioctl analyze -n <namespace> --context=<context>',
          probe: (ctx) => objectsExist(ctx.cluster, trafficPolicyObjects(ctx.config)),
        },
        {
          id: 'day2.region-health',
          title: "the region's health endpoint answers 200 through its gateway",
          hint: 'curl -v --resolve <host>:443:<address> https://<host>/health; check the TLS Secret, the VirtualService and the akidb-rest pods.',
          probe: (ctx) => regionHealth(ctx.config, regionAddress(ctx.outputs, ctx.cluster)),
        },
      ],
    },
    {
      id: HEALTH_CHECK_STEP,
      title: 'Route 53 health check per region',
      why: "One Route 53 health check per region, found by its CallerReference (derived from the record and its settings) and reused, otherwise created with it. An IP is checked over HTTPS with Host and SNI app.host; a load balancer host name on the gateway's status port, since Route 53 would send the load balancer's own name, which the Gateway refuses.",
      correction:
        'The seed put names (us-west-health) where Route 53 needs the id CreateHealthCheck returns. Source: Route 53 API reference, ResourceRecordSet.HealthCheckId.',
      scope: 'per-cluster',
      done: (ctx) => {
        const check = healthCheckConfig(ctx.config, regionAddress(ctx.outputs, ctx.cluster));
        return healthCheckByReference(ctx.cluster, callerReference(ctx.config, ctx.cluster, check));
      },
      actions: (ctx) => {
        const check = healthCheckConfig(ctx.config, regionAddress(ctx.outputs, ctx.cluster));
        return [ensureHealthCheck(ctx.cluster, callerReference(ctx.config, ctx.cluster, check), check)];
      },
    },
    {
      id: GEO_RECORDS_STEP,
      title: 'Geolocation records (UPSERT) and wait until INSYNC',
      why: "The geolocation records of app.host, one per continent a region serves plus a default record for everyone else, each with its region's health check (alias records for load balancer host names); then a bounded wait until the change is INSYNC.",
      correction:
        'UPSERT instead of the seed\'s CREATE, which fails with InvalidChangeBatch on a second run; the default record is CountryCode "*", since the seed\'s ContinentCode "*" is invalid (a continent code has two letters); real health check ids instead of the seed\'s names. Source: Route 53 API reference, ChangeResourceRecordSets and GeoLocation.',
      scope: 'once',
      done: (ctx) => recordsMatch(ctx.config, geoRecordSets(ctx.config, ctx.outputs)),
      actions: (ctx) => {
        const { config } = ctx;
        const records = geoRecordSets(config, ctx.outputs);
        return [
          {
            kind: 'aws',
            service: 'route53',
            operation: 'ChangeResourceRecordSets',
            input: {
              HostedZoneId: config.dns.hostedZoneId,
              ChangeBatch: {
                Comment: `akictl day 2: geolocation records of ${config.app.host}`,
                Changes: records.map((record) => ({ Action: 'UPSERT', ResourceRecordSet: record })),
              },
            },
            capture: { changeId: 'ChangeInfo.Id' },
            errorHints: {
              NoSuchHealthCheck:
                'A health check id from an earlier run no longer exists: run `akictl day 2 --apply --from health-checks`, whose done check finds or recreates it.',
              InvalidChangeBatch:
                "Route 53 rejected the batch (see its message). Records made by hand for the same name and location (the seed's US-Geo, EU-Geo, Default) conflict with akictl's: delete them, then run akictl resume.",
              NoSuchHostedZone: "Set dns.hostedZoneId to the public zone of app.host (Z123456 is the seed's placeholder).",
            },
          },
          waitInsync(config, GEO_RECORDS_STEP, ctx.outputs.get(GEO_RECORDS_STEP, 'changeId')),
        ];
      },
      gates: [
        {
          id: 'day2.records-match',
          title: 'Route 53 holds the expected geolocation records',
          hint: 'aws route53 list-resource-record-sets --hosted-zone-id <zone> --query "ResourceRecordSets[?Name==\'<host>.\']"; records made by hand with the same location make UPSERT fail.',
          probe: (ctx) => recordsMatch(ctx.config, geoRecordSets(ctx.config, ctx.outputs)),
        },
        {
          id: 'day2.geo-answer',
          title: "clients of each continent get their region's address",
          scope: 'per-cluster',
          hint: 'aws route53 test-dns-answer --hosted-zone-id <zone> --record-name <host> --record-type A --edns0-client-subnet-ip <ip>; an unhealthy health check sends clients to the default record.',
          probe: (ctx) => continentAnswer(ctx.config, ctx.outputs, ctx.cluster),
        },
        {
          id: 'day2.default-answer',
          title: 'clients elsewhere get the primary region (default record)',
          hint: 'The default record is GeoLocation CountryCode "*"; check it with aws route53 test-dns-answer and a client subnet from another continent.',
          probe: (ctx) => defaultAnswer(ctx.config, ctx.outputs),
        },
      ],
    },
  ],
};

export default day2;
