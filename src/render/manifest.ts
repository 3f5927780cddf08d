import { stringify } from 'yaml';
import type { Manifest } from '../plan/types.js';

/** Multi-document YAML for kubectl/istioctl stdin, a --manifests file or the plan printout. */
export function manifestYaml(manifest: Manifest): string {
  return manifest.docs.map((doc) => stringify(doc, { lineWidth: 0 })).join('---\n');
}

/** A step instance key ("day1.remote-secrets@us-west->eu-central") as a file name. */
export function safeFileName(instanceKey: string, extension: string): string {
  return `${instanceKey.replace(/->/g, '--').replace(/[^A-Za-z0-9._@-]/g, '_')}${extension}`;
}
