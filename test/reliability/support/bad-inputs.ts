// The bad-input corpus: malformed configurations derived from akictl's own JSON Schema (every field gets a value
// of the wrong type or one that breaks its constraint; every closed object an unknown key), cross-field
// mistakes, broken YAML, and flag combinations. Each entry says what the error message must name.
import { stringify } from 'yaml';

export interface BadInput {
  name: string;
  /** akictl arguments after the global ones. */
  args: string[];
  /** The configuration file's text (a malformed one), or undefined for the scenario's valid one. */
  config?: string;
  /** What the message must name: the field or the flag. */
  names: RegExp;
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
interface SchemaNode {
  type?: string;
  properties?: Record<string, SchemaNode>;
  required?: string[];
  additionalProperties?: boolean | SchemaNode;
  propertyNames?: SchemaNode;
  items?: SchemaNode;
  anyOf?: SchemaNode[];
  enum?: Json[];
  const?: Json;
  pattern?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  minItems?: number;
}

const escapeRegex = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const fieldName = (path: Array<string | number>) =>
  path.reduce<string>((acc, part) => (typeof part === 'number' ? `${acc}[${part}]` : acc ? `${acc}.${part}` : part), '');

function setAt(root: Json, path: Array<string | number>, value: Json | undefined): Json {
  const copy = structuredClone(root) as any;
  let node = copy;
  for (const part of path.slice(0, -1)) {
    node[part] ??= typeof part === 'number' ? [] : {};
    node = node[part];
  }
  const last = path.at(-1)!;
  if (value === undefined) delete node[last];
  else node[last] = value;
  return copy;
}

function getAt(root: Json, path: Array<string | number>): Json | undefined {
  return path.reduce<any>((node, part) => (node === null || node === undefined ? undefined : node[part]), root);
}

/** A value that breaks the field's rules, and what about it: the most specific rule first. */
function breaking(node: SchemaNode): { value: Json; why: string } | undefined {
  const main = node.anyOf?.find((branch) => branch.type !== 'null') ?? node;
  if (node.anyOf?.every((branch) => branch.const !== undefined)) return { value: 1000, why: `not one of ${node.anyOf.map((b) => b.const).join(', ')}` };
  if (main.const !== undefined) return { value: typeof main.const === 'number' ? main.const + 1 : 'other', why: 'not the only allowed value' };
  if (main.enum) return { value: 'not-an-option', why: 'not in its list' };
  if (main.type === 'string') {
    if (main.pattern) {
      for (const candidate of ['Not Valid!', '-starts-with-dash', 'has space', '']) {
        if (!new RegExp(main.pattern, 'u').test(candidate)) return { value: candidate, why: `does not match ${main.pattern}` };
      }
    }
    if (main.maxLength !== undefined) return { value: 'a'.repeat(main.maxLength + 1), why: 'too long' };
    if (main.minLength) return { value: '', why: 'empty' };
    return undefined;
  }
  if (main.type === 'integer' || main.type === 'number') {
    if (main.exclusiveMinimum !== undefined) return { value: main.exclusiveMinimum, why: 'at its exclusive minimum' };
    if (main.minimum !== undefined) return { value: main.minimum - 1, why: 'below its minimum' };
    if (main.maximum !== undefined && main.maximum < 1e9) return { value: main.maximum + 1, why: 'above its maximum' };
    if (main.type === 'integer') return { value: 1.5, why: 'not a whole number' };
    return undefined;
  }
  if (main.type === 'array' && main.minItems) return { value: [], why: 'an empty list' };
  return undefined;
}

/** A value of another type than the field takes. */
function wrongType(node: SchemaNode): Json {
  const main = node.anyOf?.find((branch) => branch.type !== 'null') ?? node;
  switch (main.type) {
    case 'string':
      return 12345;
    case 'integer':
    case 'number':
      return 'ten';
    case 'boolean':
      return 'yes';
    case 'array':
      return 'a-string-not-a-list';
    case 'object':
      return 'a-string-not-a-mapping';
    default:
      return main.const !== undefined || node.anyOf ? 'a-string' : { unexpected: true };
  }
}

/**
 * One entry per field: a value breaking its most specific rule (or of the wrong type when it has none); for the
 * top level and each section: an unknown key and a value of the wrong type; one per required field present in
 * the base (top level and clusters): the field removed; one per list: a value of the wrong type.
 */
export function schemaCorpus(schema: SchemaNode, base: Json, args: string[]): BadInput[] {
  const corpus: BadInput[] = [];
  const add = (name: string, config: Json, path: Array<string | number>, unknown = false) =>
    corpus.push({
      name,
      args,
      config: stringify(config),
      names: new RegExp(`${unknown ? 'unknown field' : 'field'} ${escapeRegex(fieldName(path))}(?![\\w.[-])`),
    });

  const walk = (node: SchemaNode, path: Array<string | number>) => {
    const value = getAt(base, path);
    const main = node.anyOf?.find((branch) => branch.type !== 'null' && (branch.properties || branch.items)) ?? node;
    if (main.type === 'object' && main.properties) {
      // Sections (one level down) get the structural mistakes; deeper objects share their code path.
      if (path.length === 1) add(`${fieldName(path)}: a string instead of a mapping`, setAt(base, path, wrongType(main)), path);
      if (main.additionalProperties === false && path.length <= 1 && (value !== undefined || path.length === 0)) {
        add(`${fieldName([...path, 'unknownField'])}: unknown key`, setAt(base, [...path, 'unknownField'], 1), [...path, 'unknownField'], true);
      }
      for (const key of main.required ?? []) {
        if (getAt(base, [...path, key]) !== undefined && (path.length === 0 || path[0] === 'clusters'))
          add(`${fieldName([...path, key])}: missing`, setAt(base, [...path, key], undefined), [...path, key]);
      }
      if (value === undefined && path.length > 0) return; // an optional section the base leaves out: nothing to break inside
      for (const [key, child] of Object.entries(main.properties)) walk(child, [...path, key]);
      return;
    }
    if (main.type === 'object' && typeof main.additionalProperties === 'object') {
      add(`${fieldName(path)}: a string instead of a mapping`, setAt(base, path, wrongType(main)), path);
      const broken = breaking(main.additionalProperties);
      if (broken) add(`${fieldName([...path, 'some-key'])}: ${broken.why}`, setAt(base, [...path, 'some-key'], broken.value), [...path, 'some-key']);
      return;
    }
    if (main.type === 'array') {
      add(`${fieldName(path)}: a string instead of a list`, setAt(base, path, wrongType(main)), path);
      const broken = breaking(main);
      if (broken) add(`${fieldName(path)}: ${broken.why}`, setAt(base, path, broken.value), path);
      if (Array.isArray(value) && value.length > 0 && main.items) walk(main.items, [...path, 0]);
      return;
    }
    const broken = breaking(node);
    if (broken) add(`${fieldName(path)}: ${broken.why} (${JSON.stringify(broken.value).slice(0, 30)})`, setAt(base, path, broken.value), path);
    else add(`${fieldName(path)}: wrong type`, setAt(base, path, wrongType(node)), path);
  };
  walk(schema, []);
  return corpus;
}

/** Mistakes across fields, and files that are not a YAML mapping at all. */
export function semanticCorpus(base: any, args: string[]): BadInput[] {
  const [first, second] = base.clusters;
  const entry = (name: string, config: unknown, names: RegExp): BadInput => ({
    name,
    args,
    config: typeof config === 'string' ? config : stringify(config),
    names,
  });
  return [
    entry(
      'duplicate cluster names',
      { ...base, clusters: [first, { ...second, name: first.name }] },
      /field clusters\[1\]\.name duplicates clusters\[0\]\.name/,
    ),
    entry('primary is not a cluster', { ...base, primary: 'ap-south' }, /field primary "ap-south" is not one of the clusters/),
    entry('no clusters', { ...base, clusters: [] }, /field clusters needs at least one cluster/),
    entry(
      'tracing in an unknown cluster',
      { ...base, tracing: { ...base.tracing, cluster: 'ap-south' } },
      /field tracing\.cluster "ap-south" is not one of the clusters/,
    ),
    entry('observability in an unknown cluster', { ...base, observability: { ...base.observability, cluster: 'ap-south' } }, /field observability\.cluster/),
    entry('chaos in an unknown cluster', { ...base, chaos: { ...base.chaos, cluster: 'ap-south' } }, /field chaos\.cluster/),
    entry(
      'a Thanos endpoint for an unknown cluster',
      { ...base, observability: { ...base.observability, thanos: { ...base.observability?.thanos, endpoints: { 'ap-south': 'thanos.ap:10901' } } } },
      /field observability\.thanos\.endpoints\.ap-south/,
    ),
    entry(
      'a context that starts with a dash (it would read as a flag)',
      { ...base, clusters: [{ ...first, context: '--kubeconfig=/tmp/x' }, second] },
      /field clusters\[0\]\.context must not start with "-"/,
    ),
    entry('a context with a newline', { ...base, clusters: [{ ...first, context: 'us-west\nrm -rf /' }, second] }, /field clusters\[0\]\.context/),
    entry(
      'a context missing from the kubeconfig',
      { ...base, clusters: [{ ...first, context: 'no-such-context' }, second] },
      /clusters\[0\]\.context "no-such-context" is not in the kubeconfig/,
    ),
    entry('invalid YAML', 'version: 1\nclusters: [\n', /not valid YAML/),
    entry('a tab-indented YAML', 'version: 1\nclusters:\n\t- name: us-west\n', /not valid YAML/),
    entry('a duplicated key', `${stringify(base)}primary: eu-central\n`, /not valid YAML: Map keys must be unique/),
    entry('an empty file', '', /must be a YAML mapping \(found an empty document\)/),
    entry('a list instead of a mapping', '- version: 1\n', /must be a YAML mapping \(found a list\)/),
    entry('a scalar instead of a mapping', 'just text\n', /must be a YAML mapping \(found a string\)/),
    entry('two YAML documents', `${stringify(base)}---\n${stringify(base)}`, /not valid YAML/),
    entry('version missing', { ...base, version: undefined }, /field version/),
  ];
}

/**
 * Flags and arguments that are wrong for day N (valid configuration). With `everything` false, only the entries
 * that depend on the day (its steps, its number); the rest is the same for every day.
 */
export function flagCorpus(
  day: number,
  days: number[],
  steps: string[],
  applyArgs: string[],
  files: { aFile: string; missing: string },
  everything = true,
): BadInput[] {
  const apply = ['day', String(day), '--apply', ...applyArgs];
  const next = Math.max(...days) + 1;
  const entry = (name: string, args: string[], names: RegExp): BadInput => ({ name, args, names });
  const otherDay = days.find((candidate) => candidate !== day);
  const perDay = [
    entry('--from an unknown step', [...apply, '--from', 'no-such-step'], /--from no-such-step: day \d+ has no step with that id/),
    entry(
      '--from a step of another day',
      [...apply, '--from', `day${otherDay ?? next}.${steps[0]!.split('.')[1]}`],
      /--from day\d+\..*: day \d+ has no step with that id/,
    ),
    entry('--only an unknown step', [...apply, '--only', 'nope'], /--only nope: day \d+ has no step with that id/),
    entry('--only with one unknown step among good ones', [...apply, '--only', `${steps[0]},nope`], /--only nope/),
    entry('--from after every --only step', [...apply, '--from', steps.at(-1)!, '--only', steps[0]!], /selection leaves no step to run[\s\S]*--from, --only/),
    entry('--cluster unknown', [...apply, '--cluster', 'ap-south'], /--cluster ap-south: no cluster of that name/),
  ];
  if (!everything) return perDay;
  return [
    ...perDay,
    entry('day 0', ['day', '0', '--apply'], /day 0 does not exist/),
    entry(`day ${next}`, ['day', String(next), '--apply'], new RegExp(`day ${next} does not exist`)),
    entry('day x', ['day', 'x', '--apply'], /day "x" is not a number/),
    entry('day -1', ['day', '-1', '--apply'], /unknown option '-1'|day "-1" is not a number/),
    entry('day 1.5', ['day', '1.5', '--apply'], /day "1\.5" is not a number/),
    entry('an empty day', ['day', '', '--apply'], /day "" is not a number/),
    entry('no day', ['day'], /missing required argument 'n'/),
    entry('two days', ['day', String(day), String(day), '--apply'], /too many arguments/),
    entry('--cluster with no name', [...apply, '--cluster', ','], /--cluster: no cluster named/),
    entry('--only with no step', [...apply, '--only', ','], /--only: no step named/),
    entry('--cluster without a value', [...apply, '--cluster'], /option '--cluster <name>' argument missing/),
    entry('--from without a value', [...apply, '--from'], /option '--from <step>' argument missing/),
    entry('--yes without --apply', ['day', String(day), '--yes'], /--yes .* needs --apply/),
    entry('--output xml', [...apply, '--output', 'xml'], /--output xml: expected text or json/),
    entry('an unknown option', [...apply, '--force'], /unknown option '--force'/),
    entry('--manifests pointing at a file', [...apply, '--manifests', files.aFile], /--manifests .*not a directory/),
    entry('--config that does not exist', ['--config', files.missing, ...apply], /--config .*cannot read the file \(ENOENT\)/),
    entry('--config pointing at a directory', ['--config', '.', ...apply], /--config \.: cannot read the file \(EISDIR\)/),
    entry('--state-dir pointing at a file', ['--state-dir', files.aFile, ...apply], /--state-dir .*not a directory/),
    entry('--state-dir pointing at a file, for status', ['--state-dir', files.aFile, 'status'], /--state-dir .*not a directory/),
    entry('resume with no run to resume', ['resume'], /nothing to resume/),
    entry('validate with no day', ['validate'], /missing day number/),
    entry('validate two days', ['validate', 'day', String(day), String(day)], /validate takes one day/),
    entry('validate --all with a day', ['validate', '--all', 'day', String(day)], /--all checks every day: do not name a day/),
    entry(`validate day ${next}`, ['validate', 'day', String(next)], new RegExp(`day ${next} does not exist`)),
    entry('render without --out', ['render', 'day', String(day)], /required option '--out <dir>' not specified/),
    entry('render day x', ['render', 'day', 'x', '--out', 'out'], /day "x" is not a number/),
    entry('plan with no day', ['plan'], /missing day number/),
    entry('plan two days', ['plan', 'day', String(day), String(day)], /plan takes one day/),
    entry(`plan day ${next}`, ['plan', 'day', String(next)], new RegExp(`day ${next} does not exist`)),
    entry('plan --all with a day', ['plan', '--all', 'day', String(day)], /--all compares every finished day .*do not name a day/),
    entry('plan --all --out', ['plan', '--all', '--out', 'plan.json'], /--out saves the plan of one day/),
    entry(
      'plan --only an unknown step',
      ['plan', 'day', String(day), '--only', 'no-such-step'],
      new RegExp(`--only no-such-step: day ${day} has no step with that id`),
    ),
    entry('plan --cluster an unknown cluster', ['plan', 'day', String(day), '--cluster', 'mars'], /--cluster mars: no cluster of that name/),
    entry('apply a plan file that does not exist', ['apply', files.missing], /cannot read the plan \(ENOENT\)/),
    entry('apply a file that is not a plan', ['apply', files.aFile], /is not (JSON|a plan akictl can apply)/),
    entry('status with an argument', ['status', 'now'], /too many arguments/),
    entry('unlock with an unknown option', ['unlock', '--all'], /unknown option '--all'/),
    entry('an unknown command', ['deploy', String(day)], /unknown command 'deploy'/),
  ];
}
