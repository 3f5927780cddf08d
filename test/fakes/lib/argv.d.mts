export interface ParsedArgv {
  positionals: string[];
  flags: Map<string, string[]>;
  get(name: string): string | undefined;
  all(name: string): string[];
  has(name: string): boolean;
}
export function parseArgv(argv: readonly string[]): ParsedArgv;
export function readsStdin(parsed: ParsedArgv): boolean;
export function dryRunMode(parsed: ParsedArgv): 'client' | 'server' | null;
export function typeAndNames(words: readonly string[]): { type: string | undefined; names: string[] };
