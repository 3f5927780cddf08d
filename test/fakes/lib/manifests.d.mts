import type { ParsedArgv } from './argv.mjs';
export type Manifest = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string; [k: string]: any }; [k: string]: any };
export class ToolError extends Error {
  constructor(message: string, exit?: number);
  exit: number;
}
export function parseManifests(text: string | null, source?: string, opts?: { requireName?: boolean }): Manifest[];
export function readManifestSources(filenames: string[], stdin: string | null): Manifest[];
export function buildSecret(parsed: ParsedArgv): Manifest;
export function buildNamespace(name: string): Manifest;
export function toYaml(obj: unknown): string;
