// The subset of kubectl's JSONPath templates akictl-style probes use:
// `{.a.b[0].c}`, `{.items[*].metadata.name}`, escaped dots in label keys
// (`{.metadata.labels.topology\.istio\.io/network}`), `['key']`, filters
// `[?(@.type=="Available")]`, `{range ...}{end}` and `{"\n"}` literals.
// Like `kubectl get -o jsonpath`, missing keys print nothing instead of failing.

type Step =
  | { kind: 'field'; name: string }
  | { kind: 'index'; index: number }
  | { kind: 'wildcard' }
  | { kind: 'filter'; path: Step[]; op: '==' | '!=' | 'exists'; value?: unknown };

type Node = { kind: 'text'; text: string } | { kind: 'expr'; steps: Step[] } | { kind: 'range'; steps: Step[]; body: Node[] };

export class JsonPathError extends Error {}

function splitActions(template: string): Array<{ text: string } | { action: string }> {
  const parts: Array<{ text: string } | { action: string }> = [];
  let i = 0;
  while (i < template.length) {
    const open = template.indexOf('{', i);
    if (open < 0) {
      parts.push({ text: template.slice(i) });
      break;
    }
    if (open > i) parts.push({ text: template.slice(i, open) });
    let j = open + 1;
    let quote: string | null = null;
    for (; j < template.length; j++) {
      const c = template[j];
      if (quote) {
        if (c === '\\') j++;
        else if (c === quote) quote = null;
      } else if (c === '"' || c === "'") quote = c;
      else if (c === '}') break;
    }
    if (j >= template.length) throw new JsonPathError(`unclosed action in ${template}`);
    parts.push({ action: template.slice(open + 1, j).trim() });
    i = j + 1;
  }
  return parts;
}

function parseLiteral(text: string): unknown {
  const t = text.trim();
  if (/^(["']).*\1$/s.test(t)) return t.slice(1, -1);
  if (/^-?\d+(\.\d+)?$/.test(t)) return Number(t);
  if (t === 'true' || t === 'false') return t === 'true';
  throw new JsonPathError(`unsupported literal ${t}`);
}

function parsePath(expr: string): Step[] {
  let s = expr.trim();
  if (s.startsWith('$')) s = s.slice(1);
  if (s.startsWith('@')) s = s.slice(1);
  const steps: Step[] = [];
  let i = 0;
  while (i < s.length) {
    const c = s[i];
    if (c === '.') {
      let name = '';
      i++;
      while (i < s.length && s[i] !== '.' && s[i] !== '[') {
        if (s[i] === '\\' && i + 1 < s.length) i++;
        name += s[i];
        i++;
      }
      if (name) steps.push({ kind: 'field', name });
      continue;
    }
    if (c === '[') {
      const close = s.indexOf(']', s[i + 1] === '?' ? s.indexOf(')', i) : i);
      if (close < 0) throw new JsonPathError(`unclosed [ in ${expr}`);
      const inner = s.slice(i + 1, close).trim();
      i = close + 1;
      if (inner === '*') steps.push({ kind: 'wildcard' });
      else if (/^-?\d+$/.test(inner)) steps.push({ kind: 'index', index: Number(inner) });
      else if (/^(["']).*\1$/.test(inner)) steps.push({ kind: 'field', name: inner.slice(1, -1) });
      else if (inner.startsWith('?(') && inner.endsWith(')')) {
        const cond = inner.slice(2, -1).trim();
        const m = /^(@[^=!]*?)\s*(==|!=)\s*(.+)$/.exec(cond);
        if (m) steps.push({ kind: 'filter', path: parsePath(m[1]!), op: m[2] as '==' | '!=', value: parseLiteral(m[3]!) });
        else if (cond.startsWith('@')) steps.push({ kind: 'filter', path: parsePath(cond), op: 'exists' });
        else throw new JsonPathError(`unsupported filter ${inner}`);
      } else throw new JsonPathError(`unsupported subscript [${inner}]`);
      continue;
    }
    throw new JsonPathError(`unexpected ${c} in ${expr}`);
  }
  return steps;
}

function evaluate(values: unknown[], steps: Step[]): unknown[] {
  let current = values;
  for (const step of steps) {
    const next: unknown[] = [];
    for (const v of current) {
      if (v === null || v === undefined) continue;
      if (step.kind === 'field') {
        if (typeof v === 'object' && !Array.isArray(v) && step.name in (v as object)) next.push((v as any)[step.name]);
      } else if (step.kind === 'index') {
        if (Array.isArray(v)) {
          const item = v.at(step.index);
          if (item !== undefined) next.push(item);
        }
      } else if (step.kind === 'wildcard') {
        if (Array.isArray(v)) next.push(...v);
        else if (typeof v === 'object') next.push(...Object.values(v as object));
      } else {
        const items = Array.isArray(v) ? v : [v];
        for (const item of items) {
          const found = evaluate([item], step.path);
          const keep = step.op === 'exists' ? found.length > 0 : step.op === '==' ? found.some((f) => f === step.value) : !found.some((f) => f === step.value);
          if (keep) next.push(item);
        }
      }
    }
    current = next;
  }
  return current;
}

function parseNodes(parts: ReturnType<typeof splitActions>, start: number, inRange: boolean): [Node[], number] {
  const nodes: Node[] = [];
  let i = start;
  while (i < parts.length) {
    const part = parts[i]!;
    i++;
    if ('text' in part) {
      nodes.push({ kind: 'text', text: part.text });
      continue;
    }
    const action = part.action;
    if (action === 'end') {
      if (!inRange) throw new JsonPathError('{end} without {range}');
      return [nodes, i];
    }
    if (action.startsWith('range ')) {
      const [body, next] = parseNodes(parts, i, true);
      nodes.push({ kind: 'range', steps: parsePath(action.slice(6)), body });
      i = next;
      continue;
    }
    if (/^(["']).*\1$/s.test(action)) {
      nodes.push({ kind: 'text', text: JSON.parse(`"${action.slice(1, -1).replace(/"/g, '\\"')}"`) });
      continue;
    }
    nodes.push({ kind: 'expr', steps: parsePath(action) });
  }
  if (inRange) throw new JsonPathError('{range} without {end}');
  return [nodes, i];
}

function format(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value);
}

function render(nodes: Node[], root: unknown): string {
  let out = '';
  for (const node of nodes) {
    if (node.kind === 'text') out += node.text;
    else if (node.kind === 'expr') out += evaluate([root], node.steps).map(format).join(' ');
    else for (const item of evaluate([root], node.steps)) out += render(node.body, item);
  }
  return out;
}

/** Renders a kubectl `-o jsonpath=` template against an object or a List. */
export function renderJsonPath(template: string, data: unknown): string {
  const [nodes] = parseNodes(splitActions(template), 0, false);
  return render(nodes, data);
}
