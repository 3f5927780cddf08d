// Configuration loading: read.ts reads a file (and knows the precomputed default), parse.ts validates text.

export { parseConfigText } from './parse.js';
export { type LoadedConfig, loadConfig } from './read.js';
