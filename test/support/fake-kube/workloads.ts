// Deployments, their pods and sidecar injection: the parts of a cluster that
// change over time. Availability is computed when an object is read (no
// timers), so a Deployment "becomes Available at T" deterministically.
import { randomBytes } from 'node:crypto';
import { matchLabels } from './selectors.js';
import type { KubeObject, ObjectStore } from './store.js';

export const SIDECAR_IMAGE = 'docker.io/istio/proxyv2:1.20.0';
export type LoadBalancerMode = 'ip' | 'hostname' | 'pending';

export interface DeploymentSettings {
  /** spec.replicas (default: current value, or 1 for a new Deployment). */
  replicas?: number;
  /** Available replicas now: a number, or true for all of them (default true). */
  available?: number | boolean;
  /** Epoch ms at which every replica becomes available (until then `available` applies, default 0). */
  availableAt?: number;
  labels?: Record<string, string>;
  containers?: Array<string | { name: string; image?: string }>;
}

export interface PodSettings {
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  containers?: Array<string | { name: string; image?: string }>;
  phase?: string;
}

const rand = (n: number) => randomBytes(n).toString('hex').slice(0, n);

/** Status as the deployment controller writes it; zero counts are omitted (Go omitempty), as kubectl shows them. */
export function deploymentStatus(replicas: number, available: number, generation = 1): Record<string, any> {
  const done = available >= replicas;
  const status: Record<string, any> = {
    observedGeneration: generation,
    conditions: [
      {
        type: 'Available',
        status: done ? 'True' : 'False',
        reason: done ? 'MinimumReplicasAvailable' : 'MinimumReplicasUnavailable',
        message: done ? 'Deployment has minimum availability.' : 'Deployment does not have minimum availability.',
      },
      { type: 'Progressing', status: 'True', reason: done ? 'NewReplicaSetAvailable' : 'ReplicaSetUpdated' },
    ],
  };
  if (replicas > 0) Object.assign(status, { replicas, updatedReplicas: replicas });
  if (available > 0) Object.assign(status, { readyReplicas: available, availableReplicas: available });
  if (replicas - available > 0) status.unavailableReplicas = replicas - available;
  return status;
}

function toContainers(list: DeploymentSettings['containers'], fallback: string): Array<{ name: string; image: string }> {
  const items = list && list.length > 0 ? list : [fallback];
  return items.map((c) =>
    typeof c === 'string' ? { name: c, image: `registry.fake.invalid/${c}:latest` } : { image: `registry.fake.invalid/${c.name}:latest`, ...c },
  );
}

export class Workloads {
  private readonly pending = new Map<string, number>();
  /** Pod IPs handed out so far, per cluster. */
  private readonly podIps = new Map<string, number>();

  constructor(
    private readonly store: ObjectStore,
    private readonly rolloutDelayMs: number,
    private readonly loadBalancers: LoadBalancerMode,
  ) {
    store.beforeRead.push((cluster, def, obj) => {
      if (def.group === 'apps' && def.kind === 'Deployment') this.refresh(cluster, obj);
    });
  }

  private key(cluster: string, ns: string, name: string) {
    return `${cluster}/${ns}/${name}`;
  }

  /** Runs on the stored object before each read: flips a scheduled Deployment to Available. */
  private refresh(cluster: string, stored: KubeObject) {
    const key = this.key(cluster, stored.metadata.namespace!, stored.metadata.name);
    const at = this.pending.get(key);
    if (at === undefined || Date.now() < at) return;
    this.pending.delete(key);
    const replicas = stored.spec?.replicas ?? 1;
    stored.status = deploymentStatus(replicas, replicas, stored.metadata.generation);
  }

  /**
   * Stores a Deployment, then its status for the generation that write produced:
   * computing status first would leave observedGeneration behind metadata.generation,
   * which correct "rollout observed" checks read as a rollout that never finishes.
   */
  private writeDeployment(cluster: string, deployment: KubeObject, available: number): KubeObject {
    const stored = this.store.put(cluster, deployment).object;
    stored.status = deploymentStatus(stored.spec?.replicas ?? 1, available, stored.metadata.generation);
    return this.store.put(cluster, stored).object;
  }

  /** Schedules availability after a rollout; 0 ms means available at once. */
  private startRollout(cluster: string, deployment: KubeObject, delayMs = this.rolloutDelayMs) {
    const replicas = deployment.spec?.replicas ?? 1;
    const key = this.key(cluster, deployment.metadata.namespace!, deployment.metadata.name);
    if (delayMs <= 0 || replicas === 0) this.pending.delete(key);
    else this.pending.set(key, Date.now() + delayMs);
    this.writeDeployment(cluster, deployment, this.pending.has(key) ? 0 : replicas);
  }

  namespaceInjected(cluster: string, ns: string): boolean {
    return this.store.get(cluster, 'v1', 'Namespace', undefined, ns)?.metadata.labels?.['istio-injection'] === 'enabled';
  }

  private wantsSidecar(cluster: string, ns: string, meta: { labels?: Record<string, string>; annotations?: Record<string, string> } | undefined) {
    const optOut = meta?.annotations?.['sidecar.istio.io/inject'] === 'false' || meta?.labels?.['sidecar.istio.io/inject'] === 'false';
    return this.namespaceInjected(cluster, ns) && !optOut;
  }

  /**
   * A pod spec as the injector would leave it: sidecar added or removed depending
   * on the namespace label. Only an injected sidecar (marked by istio-init) is
   * removed: gateway pods run istio-proxy as their own container.
   */
  private podSpec(
    cluster: string,
    ns: string,
    meta: KubeObject['metadata'] | undefined,
    containers: Array<{ name: string; image?: string }>,
    wasInjected = false,
  ) {
    const app = wasInjected ? containers.filter((c) => c.name !== 'istio-proxy') : containers;
    if (!this.wantsSidecar(cluster, ns, meta) || app.some((c) => c.name === 'istio-proxy')) return { containers: app };
    return { initContainers: [{ name: 'istio-init', image: SIDECAR_IMAGE }], containers: [...app, { name: 'istio-proxy', image: SIDECAR_IMAGE }] };
  }

  /** A pod IP from the cluster's own range (10.<cluster>.x.y): what endpoints on a flat network are. */
  private nextPodIp(cluster: string): string {
    const n = (this.podIps.get(cluster) ?? 0) + 1;
    this.podIps.set(cluster, n);
    return `10.${this.store.clusters.indexOf(cluster) + 1}.${Math.floor(n / 250)}.${(n % 250) + 1}`;
  }

  private podStatus(cluster: string, spec: { containers: Array<{ name: string; image?: string }> }, phase = 'Running', podIP?: string) {
    const ready = phase === 'Running';
    return {
      phase,
      conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }],
      containerStatuses: spec.containers.map((c) => ({ name: c.name, image: c.image, ready, started: ready, restartCount: 0 })),
      ...(ready ? { podIP: podIP ?? this.nextPodIp(cluster) } : {}),
    };
  }

  /**
   * A Pod applied as it is (the cross-cluster client): the injector adds a sidecar when the namespace asks for
   * one, then it runs and is Ready.
   */
  preparePod(cluster: string, pod: KubeObject, existing: KubeObject | undefined): KubeObject {
    if (existing) return { ...pod, spec: existing.spec, status: existing.status };
    const ns = pod.metadata.namespace ?? 'default';
    const spec = { ...pod.spec, ...this.podSpec(cluster, ns, pod.metadata, pod.spec?.containers ?? []) };
    return { ...pod, spec, status: this.podStatus(cluster, spec) };
  }

  podsOf(cluster: string, deployment: KubeObject | undefined, ns: string, name: string): KubeObject[] {
    const selector = deployment?.spec?.selector?.matchLabels ?? { app: name };
    const matches = matchLabels(selector);
    return this.store.list(cluster, 'v1', 'Pod', ns).filter((p) => matches(p.metadata.labels ?? {}));
  }

  /** Creates or deletes pods so a Deployment has spec.replicas of them, built from its template. */
  syncPods(cluster: string, deployment: KubeObject, recreate = false) {
    const { namespace: ns, name } = deployment.metadata;
    const template = deployment.spec?.template ?? {};
    const replicas = deployment.spec?.replicas ?? 1;
    let pods = this.podsOf(cluster, deployment, ns!, name);
    if (recreate) {
      for (const p of pods) this.store.remove(cluster, 'v1', 'Pod', ns, p.metadata.name);
      pods = [];
    }
    for (const extra of pods.slice(replicas)) this.store.remove(cluster, 'v1', 'Pod', ns, extra.metadata.name);
    const hash = rand(10);
    for (let i = pods.length; i < replicas; i++) {
      const spec = this.podSpec(cluster, ns!, template.metadata, template.spec?.containers ?? [{ name }]);
      this.store.put(cluster, {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: {
          name: `${name}-${hash}-${rand(5)}`,
          namespace: ns,
          labels: { ...(template.metadata?.labels ?? {}) },
          annotations: { ...(template.metadata?.annotations ?? {}) },
        },
        spec,
        status: this.podStatus(cluster, spec),
      });
    }
  }

  /** After `kubectl apply` of a Deployment: pods follow the template and a rollout starts when it changed. */
  onDeploymentApplied(cluster: string, deployment: KubeObject, changed: boolean) {
    if (changed) this.startRollout(cluster, deployment);
    this.syncPods(cluster, deployment, changed);
  }

  /**
   * `kubectl rollout restart`: pods are re-created by the injector, so they gain
   * (or lose) istio-proxy according to the namespace label at this moment.
   * Pods without a Deployment (tests' addPod) are matched by app=NAME.
   */
  restart(cluster: string, ns: string, name: string): boolean {
    const deployment = this.store.get(cluster, 'apps/v1', 'Deployment', ns, name);
    const pods = this.podsOf(cluster, deployment, ns, name);
    if (!deployment && pods.length === 0) return false;
    for (const pod of pods) {
      const { initContainers, ...rest } = pod.spec ?? {};
      const wasInjected = (initContainers ?? []).some((c: { name: string }) => c.name === 'istio-init');
      pod.spec = { ...rest, ...this.podSpec(cluster, ns, pod.metadata, pod.spec?.containers ?? [], wasInjected) };
      pod.status = this.podStatus(cluster, pod.spec, pod.status?.phase, pod.status?.podIP);
      this.store.put(cluster, pod);
    }
    if (deployment) {
      deployment.spec.template ??= {};
      const template = deployment.spec.template;
      template.metadata = {
        ...template.metadata,
        annotations: { ...template.metadata?.annotations, 'kubectl.kubernetes.io/restartedAt': new Date().toISOString() },
      };
      this.startRollout(cluster, deployment);
    }
    return true;
  }

  scale(cluster: string, ns: string, name: string, replicas: number): boolean {
    const deployment = this.store.get(cluster, 'apps/v1', 'Deployment', ns, name);
    if (!deployment) return false;
    const growing = replicas > (deployment.spec?.replicas ?? 1);
    deployment.spec = { ...deployment.spec, replicas };
    this.startRollout(cluster, deployment, growing ? this.rolloutDelayMs : 0);
    this.syncPods(cluster, deployment);
    return true;
  }

  /** Whether `kubectl rollout status` would report success now. */
  isRolledOut(cluster: string, ns: string, name: string): boolean | undefined {
    const d = this.store.get(cluster, 'apps/v1', 'Deployment', ns, name);
    if (!d) return undefined;
    return (d.status?.availableReplicas ?? 0) >= (d.spec?.replicas ?? 1);
  }

  setDeployment(cluster: string, ns: string, name: string, settings: DeploymentSettings = {}): KubeObject {
    const existing = this.store.get(cluster, 'apps/v1', 'Deployment', ns, name);
    const labels = settings.labels ?? existing?.spec?.selector?.matchLabels ?? { app: name };
    const deployment: KubeObject = existing ?? {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name, namespace: ns, labels: { ...labels } },
      spec: { selector: { matchLabels: labels }, template: { metadata: { labels }, spec: { containers: toContainers(settings.containers, name) } } },
    };
    const replicas = settings.replicas ?? deployment.spec.replicas ?? 1;
    deployment.spec.replicas = replicas;
    const availableNow =
      settings.available === undefined
        ? settings.availableAt === undefined
          ? replicas
          : 0
        : settings.available === true
          ? replicas
          : settings.available === false
            ? 0
            : settings.available;
    const key = this.key(cluster, ns, name);
    if (settings.availableAt !== undefined) this.pending.set(key, settings.availableAt);
    else this.pending.delete(key);
    const stored = this.writeDeployment(cluster, deployment, availableNow);
    this.syncPods(cluster, stored);
    return this.store.get(cluster, 'apps/v1', 'Deployment', ns, name)!;
  }

  addPod(cluster: string, ns: string, name: string, settings: PodSettings = {}): KubeObject {
    const spec = { containers: toContainers(settings.containers, name) };
    return this.store.put(cluster, {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name, namespace: ns, labels: settings.labels ?? { app: name }, annotations: settings.annotations ?? {} },
      spec,
      status: this.podStatus(cluster, spec, settings.phase),
    }).object;
  }

  /** A LoadBalancer Service gets an address the way a cloud controller would assign one. */
  assignLoadBalancer(cluster: string, service: KubeObject): KubeObject {
    if (service.spec?.type !== 'LoadBalancer' || service.status?.loadBalancer?.ingress?.length || this.loadBalancers === 'pending') return service;
    const clusterIndex = this.store.clusters.indexOf(cluster) + 1;
    const ordinal = this.store.list(cluster, 'v1', 'Service').filter((s) => s.status?.loadBalancer?.ingress?.length).length + 1;
    const ingress =
      this.loadBalancers === 'hostname'
        ? { hostname: `a${rand(8)}-${clusterIndex}${ordinal}.elb.fake-${cluster}.amazonaws.com` }
        : // Loopback: whatever akictl sends to a discovered address stays on this machine.
          { ip: `127.0.${clusterIndex * 20 + ordinal}.1` };
    return { ...service, status: { ...service.status, loadBalancer: { ingress: [ingress] } } };
  }
}
