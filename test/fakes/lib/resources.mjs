// Resource types known to the fakes. Shared by the fake kubectl (to print
// `deployment.apps/x configured` like the real one) and the fake API server
// (to map REST paths to kinds). Unknown kinds are registered on first use.

export const BUILTIN_RESOURCES = [
  { group: '', versions: ['v1'], kind: 'Namespace', plural: 'namespaces', namespaced: false, shortNames: ['ns'] },
  { group: '', versions: ['v1'], kind: 'Pod', plural: 'pods', namespaced: true, shortNames: ['po'] },
  { group: '', versions: ['v1'], kind: 'Service', plural: 'services', namespaced: true, shortNames: ['svc'] },
  { group: '', versions: ['v1'], kind: 'Secret', plural: 'secrets', namespaced: true, shortNames: [] },
  { group: '', versions: ['v1'], kind: 'ConfigMap', plural: 'configmaps', namespaced: true, shortNames: ['cm'] },
  { group: '', versions: ['v1'], kind: 'ServiceAccount', plural: 'serviceaccounts', namespaced: true, shortNames: ['sa'] },
  { group: 'apps', versions: ['v1'], kind: 'Deployment', plural: 'deployments', namespaced: true, shortNames: ['deploy'] },
  { group: 'batch', versions: ['v1'], kind: 'CronJob', plural: 'cronjobs', namespaced: true, shortNames: ['cj'] },
  { group: 'batch', versions: ['v1'], kind: 'Job', plural: 'jobs', namespaced: true, shortNames: [] },
  {
    group: 'apiextensions.k8s.io',
    versions: ['v1'],
    kind: 'CustomResourceDefinition',
    plural: 'customresourcedefinitions',
    namespaced: false,
    shortNames: ['crd', 'crds'],
  },
  // Istio serves several versions of one stored object (Gateway v1alpha3 and v1beta1 in 1.20).
  {
    group: 'security.istio.io',
    versions: ['v1beta1', 'v1'],
    kind: 'PeerAuthentication',
    plural: 'peerauthentications',
    namespaced: true,
    shortNames: ['pa'],
    crd: 'istio',
  },
  {
    group: 'networking.istio.io',
    versions: ['v1alpha3', 'v1beta1', 'v1'],
    kind: 'Gateway',
    plural: 'gateways',
    namespaced: true,
    shortNames: ['gw'],
    crd: 'istio',
  },
  {
    group: 'networking.istio.io',
    versions: ['v1alpha3', 'v1beta1', 'v1'],
    kind: 'VirtualService',
    plural: 'virtualservices',
    namespaced: true,
    shortNames: ['vs'],
    crd: 'istio',
  },
  {
    group: 'networking.istio.io',
    versions: ['v1alpha3', 'v1beta1', 'v1'],
    kind: 'DestinationRule',
    plural: 'destinationrules',
    namespaced: true,
    shortNames: ['dr'],
    crd: 'istio',
  },
  {
    group: 'networking.istio.io',
    versions: ['v1alpha3', 'v1beta1', 'v1'],
    kind: 'ServiceEntry',
    plural: 'serviceentries',
    namespaced: true,
    shortNames: ['se'],
    crd: 'istio',
  },
  {
    group: 'telemetry.istio.io',
    versions: ['v1alpha1', 'v1'],
    kind: 'Telemetry',
    plural: 'telemetries',
    namespaced: true,
    shortNames: ['telemetry'],
    crd: 'istio',
  },
  {
    group: 'install.istio.io',
    versions: ['v1alpha1'],
    kind: 'IstioOperator',
    plural: 'istiooperators',
    namespaced: true,
    shortNames: ['iop', 'io'],
    crd: 'istio',
  },
  { group: 'chaos-mesh.org', versions: ['v1alpha1'], kind: 'NetworkChaos', plural: 'networkchaos', namespaced: true, shortNames: [], crd: 'chaos-mesh' },
];

export function splitApiVersion(apiVersion) {
  const slash = apiVersion.indexOf('/');
  return slash < 0 ? { group: '', version: apiVersion } : { group: apiVersion.slice(0, slash), version: apiVersion.slice(slash + 1) };
}

/** `deployment.apps` as kubectl prints it in `deployment.apps/x created`. */
export function singularRef(def) {
  const singular = def.kind.toLowerCase();
  return def.group ? `${singular}.${def.group}` : singular;
}

/** `deployments.apps` as the API server prints it in NotFound messages. */
export function pluralRef(def) {
  return def.group ? `${def.plural}.${def.group}` : def.plural;
}

/** CRD object name: `<plural>.<group>`. */
export function crdName(def) {
  return `${def.plural}.${def.group}`;
}

export class ResourceRegistry {
  constructor(defs = BUILTIN_RESOURCES) {
    this.defs = defs.map((d) => ({ ...d, versions: [...d.versions], shortNames: [...(d.shortNames ?? [])] }));
  }

  register(def) {
    const existing = this.byGroupKind(def.group, def.kind);
    if (existing) {
      for (const v of def.versions) if (!existing.versions.includes(v)) existing.versions.push(v);
      return existing;
    }
    const added = { shortNames: [], ...def, versions: [...def.versions] };
    this.defs.push(added);
    return added;
  }

  byGroupKind(group, kind) {
    return this.defs.find((d) => d.group === group && d.kind === kind);
  }

  /**
   * Looks a kind up by apiVersion; an unknown kind is registered as namespaced
   * with a naive plural, which is what a CRD without `names.plural` overrides gets.
   */
  forApiVersionKind(apiVersion, kind) {
    const { group, version } = splitApiVersion(apiVersion);
    const found = this.byGroupKind(group, kind);
    if (found) {
      if (!found.versions.includes(version)) found.versions.push(version);
      return found;
    }
    return this.register({ group, versions: [version], kind, plural: `${kind.toLowerCase()}s`, namespaced: true });
  }

  byPath(group, version, plural) {
    return this.defs.find((d) => d.group === group && d.plural === plural && d.versions.includes(version));
  }

  forGroupVersion(group, version) {
    return this.defs.filter((d) => d.group === group && d.versions.includes(version));
  }

  /** Resolves a kubectl type word: `deploy`, `deployments`, `Deployment`, `deployment.apps`. */
  resolveCliType(word) {
    if (!word) return undefined;
    const lower = word.toLowerCase();
    const dot = lower.indexOf('.');
    const name = dot < 0 ? lower : lower.slice(0, dot);
    const group = dot < 0 ? undefined : lower.slice(dot + 1);
    return this.defs.find(
      (d) => (group === undefined || d.group === group) && (d.kind.toLowerCase() === name || d.plural === name || d.shortNames.includes(name)),
    );
  }
}
