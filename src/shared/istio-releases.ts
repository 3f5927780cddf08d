/**
 * The Istio releases akictl installs, and how each one differs from the seed's 1.20: the one place that says,
 * per supported minor release, which API versions the rendered objects use, how tracing is configured, which
 * `istioctl` arguments install and pre-check, and what istiod's debug views look like. Days, templates, gates
 * and the configuration check read it; every difference names the release note, upgrade note or source file
 * it comes from.
 */

export const SEED_ISTIO_MINOR = '1.20';

/** How the sidecars are told where to send spans. */
export type TracingMode =
  /** meshConfig.defaultConfig.tracing.zipkin: a proxy-level Zipkin tracer (the seed's). */
  | 'proxy-zipkin'
  /** meshConfig.extensionProviders (opentelemetry) enabled by a mesh-wide Telemetry resource. */
  | 'telemetry-opentelemetry';

export interface IstioApiVersions {
  /** Gateway, VirtualService, DestinationRule. */
  networking: string;
  /** PeerAuthentication. */
  security: string;
  /** Telemetry. */
  telemetry: string;
  /** cross-network-gateway, as the release's samples/multicluster/expose-services.yaml writes it. */
  exposeServices: string;
}

export interface IstioRelease {
  /** "1.26". */
  minor: string;
  apis: IstioApiVersions;
  tracing: TracingMode;
  /** `istioctl` arguments (before --context) of the pre-install check, or null when the release has none. */
  precheck: string[] | null;
  /** `istioctl` arguments (before --context) that install an IstioOperator read from stdin. */
  install: string[];
  /** debug/clusterz, hence `istioctl remote-clusters`, lists istiod's own (config) cluster as a row too. */
  clusterzListsConfigCluster: boolean;
}

/** What a release changes for this runbook compared with the seed's 1.20, and where that is documented. */
export interface ReleaseChange {
  topic: ChangeTopic;
  /** First minor release with the change. */
  since: string;
  change: string;
  source: string;
}

export type ChangeTopic = 'api-versions' | 'tracing' | 'collector' | 'expose-services' | 'east-west-gateway' | 'install' | 'precheck' | 'remote-clusters';

const INSTALL = ['install', '-y', '-f', '-'];
const PRECHECK = ['x', 'precheck', '-o', 'json'];

const SEED: IstioRelease = {
  minor: SEED_ISTIO_MINOR,
  apis: {
    networking: 'networking.istio.io/v1beta1',
    security: 'security.istio.io/v1beta1',
    telemetry: 'telemetry.istio.io/v1alpha1',
    exposeServices: 'networking.istio.io/v1alpha3',
  },
  tracing: 'proxy-zipkin',
  precheck: PRECHECK,
  install: INSTALL,
  clusterzListsConfigCluster: false,
};

/** 1.26, 1.27 and 1.28 make the same choices for everything this runbook renders or reads. */
function current(minor: string): IstioRelease {
  return {
    minor,
    apis: {
      networking: 'networking.istio.io/v1',
      security: 'security.istio.io/v1',
      telemetry: 'telemetry.istio.io/v1',
      exposeServices: 'networking.istio.io/v1',
    },
    tracing: 'telemetry-opentelemetry',
    precheck: PRECHECK,
    install: INSTALL,
    clusterzListsConfigCluster: true,
  };
}

const RELEASES: readonly IstioRelease[] = [SEED, current('1.26'), current('1.27'), current('1.28')];

const CHANGES: readonly ReleaseChange[] = [
  {
    topic: 'api-versions',
    since: '1.22',
    change:
      'Gateway, VirtualService and DestinationRule are rendered as networking.istio.io/v1, PeerAuthentication as security.istio.io/v1 and Telemetry as telemetry.istio.io/v1: Istio promoted these APIs to v1 in 1.22 (1.20 serves networking v1alpha3/v1beta1, security v1beta1 and telemetry v1alpha1 only), and gates read the objects at those versions.',
    source:
      'Istio 1.22 release announcement, "Istio APIs promoted to v1" (https://istio.io/latest/news/releases/1.22.x/announcing-1.22/); served versions from manifests/charts/base/files/crd-all.gen.yaml at each release tag',
  },
  {
    topic: 'tracing',
    since: '1.22',
    change:
      "Tracing goes through the Telemetry API: meshConfig.extensionProviders declares an `opentelemetry` provider (OTLP/gRPC to mesh.tracing.opentelemetry), and a telemetry.istio.io/v1 Telemetry `mesh-default` in istio-system enables it for the whole mesh at mesh.tracing.sampling percent. The seed's proxy-level meshConfig.defaultConfig.tracing.zipkin is not rendered: 1.22 removed the implicit zipkin.istio-system tracer, and tracing is now configured explicitly through the Telemetry API and extension providers.",
    source:
      'Istio 1.22 upgrade notes, "Default tracing to zipkin.istio-system.svc removed" (https://istio.io/latest/news/releases/1.22.x/announcing-1.22/upgrade-notes/); task "OpenTelemetry" (https://istio.io/latest/docs/tasks/observability/distributed-tracing/opentelemetry/)',
  },
  {
    topic: 'collector',
    since: '1.22',
    change:
      'The OpenTelemetry collector keeps only its otlp receiver (and its Service only port 4317): the sidecars export OTLP through the opentelemetry extension provider, and nothing sends Zipkin spans to 9411 any more.',
    source:
      'follows the tracing change (Istio 1.22 upgrade notes; task "OpenTelemetry", https://istio.io/latest/docs/tasks/observability/distributed-tracing/opentelemetry/)',
  },
  {
    topic: 'expose-services',
    since: '1.24',
    change:
      "cross-network-gateway is rendered as networking.istio.io/v1, as the release's samples/multicluster/expose-services.yaml writes it (v1alpha3 in 1.20); the Gateway itself (TLS 15443, AUTO_PASSTHROUGH, *.local) is unchanged.",
    source: 'istio/istio samples/multicluster/expose-services.yaml at tags 1.20.0 and 1.26.0 (commit 86057475 "Update to read CRDs from v1")',
  },
  {
    topic: 'east-west-gateway',
    since: '1.28',
    change:
      'gen-eastwest-gateway.sh gained an --ambient mode (a Gateway API gateway of class istio-east-west on HBONE 15008) for ambient meshes; for this sidecar mesh it generates the same IstioOperator as in 1.20 (profile empty, label topology.istio.io/network, ISTIO_META_REQUESTED_NETWORK_VIEW, ports 15021/15443/15012/15017), which is what akictl renders.',
    source:
      'istio/istio samples/multicluster/gen-eastwest-gateway.sh at tags 1.20.0, 1.26.0 and 1.28.0 (commit 6112e0cf "Fix gen-eastwest-gateway.sh for ambient multi-cluster")',
  },
  {
    topic: 'install',
    since: '1.21',
    change:
      "`istioctl install -y -f -` takes the same flags as in 1.20 (filename, skip-confirmation, set, revision, readiness-timeout...), but no longer writes the `installed-state` IstioOperator nor installs the IstioOperator CRD: akictl reads the installed version from istiod's image, not from that object.",
    source: 'operator/cmd/mesh/install.go at tags 1.20.0 and 1.26.0; istio/istio#47860 (release note "Removed the installed-state IstioOperator", 1.21)',
  },
  {
    topic: 'precheck',
    since: '1.21',
    change:
      "`istioctl x precheck` no longer checks the data plane's listeners and gained --from-version for upgrades (compatibility versions); akictl runs it without --from-version, since this is a fresh installation.",
    source: 'istioctl/pkg/precheck/precheck.go at tags 1.20.0 and 1.26.0; istio/istio#48449 "Introduce compatibility versions" (1.21)',
  },
  {
    topic: 'remote-clusters',
    since: '1.22',
    change: "`istioctl remote-clusters` (istiod's debug/clusterz) also lists istiod's own cluster as a row: the sync gate requires that row to be synced too.",
    source: 'pkg/kube/multicluster/secretcontroller.go, istio/istio#49271 "debug: include config cluster in clusterz" (1.22)',
  },
];

function minorOf(version: string): string {
  return version.split('.').slice(0, 2).join('.');
}

function atLeast(minor: string, since: string): boolean {
  const [a, b] = minor.split('.').map(Number) as [number, number];
  const [c, d] = since.split('.').map(Number) as [number, number];
  return a > c || (a === c && b >= d);
}

/** Supported minor releases, the seed's first. */
export function supportedIstioMinors(): string[] {
  return RELEASES.map((release) => release.minor);
}

/** "1.20 (the seed's), 1.26, 1.27 or 1.28" for messages. */
export function supportedIstioText(): string {
  const names = RELEASES.map((release) => (release.minor === SEED_ISTIO_MINOR ? `${release.minor} (the seed's)` : release.minor));
  return `${names.slice(0, -1).join(', ')} or ${names.at(-1)}`;
}

/** A pattern accepting every patch release of a supported minor (used by the configuration schema). */
export const SUPPORTED_ISTIO_VERSION = new RegExp(`^(?:${RELEASES.map((release) => release.minor.replace('.', '\\.')).join('|')})\\.\\d+$`);

export function isSupportedIstioVersion(version: string): boolean {
  return SUPPORTED_ISTIO_VERSION.test(version);
}

/** The release of a configured version; the configuration schema has already refused unsupported ones. */
export function istioRelease(version: string): IstioRelease {
  const release = RELEASES.find((candidate) => candidate.minor === minorOf(version));
  // Configurations are validated before anything compiles a plan: reaching here is a bug, not bad input.
  if (!release) throw new Error(`Istio ${version} is not a supported release (${supportedIstioText()})`);
  return release;
}

/** What this release renders or reads differently from the seed's 1.20, optionally only some topics. */
export function changesFromSeed(version: string, topics?: readonly ChangeTopic[]): ReleaseChange[] {
  const { minor } = istioRelease(version);
  return CHANGES.filter((change) => atLeast(minor, change.since) && (!topics || topics.includes(change.topic)));
}

/** Step text for those changes: one line each, the change then its source. */
export function changeNotes(version: string, topics: readonly ChangeTopic[]): string[] {
  return changesFromSeed(version, topics).map(
    (change) => `Istio ${minorOf(version)} (differs from the seed's ${SEED_ISTIO_MINOR}, since ${change.since}): ${change.change} Source: ${change.source}.`,
  );
}

/** The head of a printed plan: which Istio release the day works with, and in what its rendering differs from the seed's. */
export function planNotes(version: string, topics?: readonly ChangeTopic[]): string[] {
  const { minor } = istioRelease(version);
  if (minor === SEED_ISTIO_MINOR) {
    return [
      `Istio ${version} (mesh.istioVersion): the seed's release, rendered as the seed intends (corrected where the seed was wrong); it is out of support upstream, and ${supportedIstioMinors()
        .filter((m) => m !== SEED_ISTIO_MINOR)
        .join(', ')} are supported too.`,
    ];
  }
  const changed = [...new Set(changesFromSeed(version, topics).map((change) => change.topic))];
  if (changed.length === 0) return [`Istio ${version} (mesh.istioVersion), not the seed's ${SEED_ISTIO_MINOR}: this day renders the same for both.`];
  return [
    `Istio ${version} (mesh.istioVersion), not the seed's ${SEED_ISTIO_MINOR}: the rendering differs in ${changed.join(', ')}; the steps concerned say what changed, why, and where Istio documents it.`,
  ];
}
