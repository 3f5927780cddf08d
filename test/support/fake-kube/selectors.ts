// Label selectors as the API server and `kubectl -l` accept them. Set-based
// selectors (`in`, `notin`) are rejected loudly rather than matching nothing.

type Requirement = (labels: Record<string, string>) => boolean;

export class SelectorError extends Error {}

export function parseLabelSelector(selector: string | undefined | null): Requirement {
  const text = (selector ?? '').trim();
  if (text === '') return () => true;
  const requirements = text.split(',').map((raw): Requirement => {
    const part = raw.trim();
    if (/\s(in|notin)\s*\(/.test(part)) throw new SelectorError(`set-based selector not supported by the fake: ${part}`);
    let m = /^([^!=\s]+)\s*!=\s*(\S*)$/.exec(part);
    if (m) {
      const [, key, value] = m;
      return (labels) => labels[key!] !== value;
    }
    m = /^([^!=\s]+)\s*==?\s*(\S*)$/.exec(part);
    if (m) {
      const [, key, value] = m;
      return (labels) => labels[key!] === value;
    }
    m = /^!\s*([^!=\s]+)$/.exec(part);
    if (m) return (labels) => !(m![1]! in labels);
    if (/^[^!=\s]+$/.test(part)) return (labels) => part in labels;
    throw new SelectorError(`unable to parse requirement: ${part}`);
  });
  return (labels) => requirements.every((r) => r(labels));
}

/** `metadata.name=x,metadata.namespace=y`: the only field selectors the fake serves. */
export function parseFieldSelector(selector: string | undefined | null): (obj: any) => boolean {
  const text = (selector ?? '').trim();
  if (text === '') return () => true;
  const checks = text.split(',').map((part) => {
    const m = /^(metadata\.name|metadata\.namespace)\s*(==?|!=)\s*(.*)$/.exec(part.trim());
    if (!m) throw new SelectorError(`field selector not supported by the fake: ${part}`);
    const [, field, op, value] = m;
    return (obj: any) => {
      const actual = field === 'metadata.name' ? obj.metadata?.name : obj.metadata?.namespace;
      return op === '!=' ? actual !== value : actual === value;
    };
  });
  return (obj) => checks.every((c) => c(obj));
}

export function matchLabels(selector: Record<string, string> | undefined): (labels: Record<string, string>) => boolean {
  const entries = Object.entries(selector ?? {});
  return (labels) => entries.every(([k, v]) => labels[k] === v);
}
