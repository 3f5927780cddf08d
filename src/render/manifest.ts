import { stringify } from 'yaml';

/** A rendered manifest: plain objects, serialised by the yaml library only when printed or applied. */
export interface Manifest {
  /** File name used with --manifests DIR and in logs, e.g. "day1.install-istio@us-west.yaml". */
  name: string;
  docs: unknown[];
}

/** Multi-document YAML for kubectl/istioctl stdin, a --manifests file or the plan printout. */
export function manifestYaml(manifest: Manifest): string {
  return manifest.docs.map((doc) => stringify(doc, { lineWidth: 0 })).join('---\n');
}

/** A step instance key ("day1.remote-secrets@us-west->eu-central") as a file name. */
export function safeFileName(instanceKey: string, extension: string): string {
  return `${instanceKey.replace(/->/g, '--').replace(/[^A-Za-z0-9._@-]/g, '_')}${extension}`;
}
