// Configuration loading: read.ts reads a file (and knows the precomputed default), parse.ts validates text.
export { loadConfig, type LoadedConfig } from './read.js';
export { parseConfigText } from './parse.js';
