import type { ObjectRef } from '../plan/types.js';

/**
 * What `akictl plan` finds for one step instance: the third interpreter of the compiled plan (after the dry-run
 * printer and the apply executor) reads the live state each action would change and says what --apply would do.
 */

/** What --apply would do to one thing it manages (a Kubernetes object, a record set, a bucket setting…). */
export type ItemAction = 'create' | 'update' | 'replace' | 'delete' | 'no-change';

export interface PlanItem {
  system: 'kube' | 'istio' | 'route53' | 's3';
  /** Human name: `VirtualService akidb/akidb-routes in eu-central`, `record us-west-NA`, `versioning of bucket x`. */
  label: string;
  action: ItemAction;
  /** Unified diff of live against desired (secret values masked), for updates and replacements. */
  diff?: string;
  /** Fields other field managers own that --apply would change: the apply stops there without --force-conflicts. */
  conflict?: { message: string; fields: Array<{ manager: string; field: string }> };
  /** Lines worth reading under the item (a rule dropped, the field manager of a foreign rule…). */
  notes?: string[];
  /** Parts of the item, e.g. the rules of a replication configuration, each with its own action. */
  parts?: Array<{ label: string; action: ItemAction; foreign?: boolean; diff?: string }>;
}

/** One instance's verdict, strongest first when an instance has several kinds of change. */
export type InstanceStatus = 'error' | 'replace' | 'delete' | 'update' | 'create' | 'known-after' | 'will-run' | 'no-change';

/** How the instance's actions were compiled: what `akictl apply plan.json` must check before running them. */
export type CompiledFrom =
  /** Configuration and state only: the same at apply time, or the plan is stale. */
  | 'state'
  /** Also values the plan read from live objects (an ingress address): fingerprinted, checked again when they are published. */
  | 'plan-reads'
  /** Values an earlier step publishes when it runs: compiled when the apply reaches it, like Terraform's "known after apply". */
  | 'deferred';

export interface InstancePlan {
  key: string;
  step: string;
  day: number;
  target: string;
  status: InstanceStatus;
  /** Why: the done check that passed, what will run and why it cannot be compared, what is not known yet. */
  reasons: string[];
  items: PlanItem[];
  /** Step instances whose outputs this one needs and that have not published them. */
  knownAfter: string[];
  destructive: boolean;
  inputsHash: string;
  compiledFrom: CompiledFrom;
  error?: string;
}

/** A live object the plan read, and what it was then: `akictl apply plan.json` refuses when it changed. */
export type Fingerprint = { label: string; value: string | null } & (
  | { system: 'kube'; cluster: string; ref: ObjectRef }
  | { system: 'route53-record'; zone: string; name: string; type: string; setIdentifier: string }
  | { system: 'route53-health-check'; reference: string }
  | { system: 's3-versioning'; bucket: string; region: string }
  | { system: 's3-replication'; bucket: string; region: string }
  /** A local command whose output a pipe applies (a Secret made from the CA files): the SHA-256 of that output. */
  | { system: 'local-command'; argv: string[] }
);

export function fingerprintId(print: Fingerprint): string {
  switch (print.system) {
    case 'kube':
      return `kube:${print.cluster}:${print.ref.apiVersion}:${print.ref.kind}:${print.ref.namespace ?? ''}:${print.ref.name}`;
    case 'route53-record':
      return `route53:${print.zone}:${print.name}:${print.type}:${print.setIdentifier}`;
    case 'route53-health-check':
      return `route53-health-check:${print.reference}`;
    case 's3-versioning':
    case 's3-replication':
      return `${print.system}:${print.bucket}`;
    case 'local-command':
      return `local:${JSON.stringify(print.argv)}`;
  }
}

/** What one action's preview found. */
export interface ActionPreview {
  items: PlanItem[];
  /** The action cannot be compared with live state: why, in a few words. */
  willRun?: string;
  /** A local command with no declared effect (openssl, a build): listed with the others of its instance. */
  command?: string;
  /** It only reads or waits. */
  readOnly?: boolean;
  fingerprints: Fingerprint[];
  /** Values it read that the step would publish (an address): later steps of the plan are compiled with them. */
  outputs?: Record<string, string>;
  /** Extra lines for the instance (the apply would stop at a guard…). */
  reasons?: string[];
}

export const STATUS_ORDER: InstanceStatus[] = ['error', 'replace', 'delete', 'update', 'create', 'known-after', 'will-run', 'no-change'];
