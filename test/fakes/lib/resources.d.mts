export interface ResourceDef {
  group: string;
  versions: string[];
  kind: string;
  plural: string;
  namespaced: boolean;
  shortNames: string[];
  /** Which installation provides the CRD (only checked when the fake API runs with strictCrds). */
  crd?: 'istio' | 'chaos-mesh';
}
export const BUILTIN_RESOURCES: ResourceDef[];
export function splitApiVersion(apiVersion: string): { group: string; version: string };
export function singularRef(def: ResourceDef): string;
export function pluralRef(def: ResourceDef): string;
export function crdName(def: ResourceDef): string;
export class ResourceRegistry {
  constructor(defs?: ResourceDef[]);
  defs: ResourceDef[];
  register(def: Omit<ResourceDef, 'shortNames'> & { shortNames?: string[] }): ResourceDef;
  byGroupKind(group: string, kind: string): ResourceDef | undefined;
  forApiVersionKind(apiVersion: string, kind: string): ResourceDef;
  byPath(group: string, version: string, plural: string): ResourceDef | undefined;
  forGroupVersion(group: string, version: string): ResourceDef[];
  resolveCliType(word: string | undefined): ResourceDef | undefined;
}
