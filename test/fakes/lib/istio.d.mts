import type { Manifest } from './manifests.mjs';
export interface GatewayComponent {
  name: string;
  namespace: string;
  labels: Record<string, string>;
  ports: Array<{ name?: string; port: number; targetPort?: number }>;
}
export interface IstioComponents {
  profile: string;
  revision?: string;
  pilot: boolean;
  ingressGateways: GatewayComponent[];
  egressGateways: GatewayComponent[];
  network?: string;
  clusterName?: string;
}
export function parseIstioOperator(text: string | null, source?: string): Manifest;
export function readIstioOperator(parsed: import('./argv.mjs').ParsedArgv, stdin: string | null): Manifest | undefined;
export function istioComponents(iop: Manifest | undefined): IstioComponents;
export function eolWarning(version: string): string;
export function installOutput(components: IstioComponents, version: string): string;
export function installPrompt(components: IstioComponents, version: string): string;
export function atLeast(version: string, since: string): boolean;
export function precheckClean(version: string): string;
export function defaultRemoteSecretToken(): string;
export function remoteSecretYaml(opts: { name: string; server: string; token: string }): string;
