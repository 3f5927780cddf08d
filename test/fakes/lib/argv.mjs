// Minimal kubectl/istioctl argv parser shared by the fake tools and the fake API
// server, so both sides agree on what a command line means.

// Long flags that take the next token as their value when written without `=`.
// Anything not listed is treated as boolean, which is how cobra parses unknown
// bool flags; listing too few would turn a value into a positional.
const VALUE_FLAGS = new Set([
  'context',
  'namespace',
  'filename',
  'output',
  'selector',
  'replicas',
  'timeout',
  'from-file',
  'from-literal',
  'from-env-file',
  'type',
  'kubeconfig',
  'name',
  'revision',
  'set',
  'field-selector',
  'for',
  'server',
  'cluster',
  'user',
  'template',
  'manifests',
  'istioNamespace',
  'container',
  'grace-period',
  'request-timeout',
  'field-manager',
  'cert',
  'key',
  'kustomize',
  'docker-server',
  'docker-username',
  'docker-password',
  'docker-email',
  'service-account',
  'secret-name',
  'create-service-account',
]);

const SHORT_NAMES = {
  n: 'namespace',
  f: 'filename',
  o: 'output',
  l: 'selector',
  y: 'skip-confirmation',
  A: 'all-namespaces',
  s: 'set',
  i: 'istioNamespace',
  c: 'container',
  w: 'watch',
  k: 'kustomize',
  R: 'recursive',
};
const SHORT_WITH_VALUE = new Set(['n', 'f', 'o', 'l', 's', 'i', 'c', 'k']);

export function parseArgv(argv) {
  const positionals = [];
  const flags = new Map();
  const add = (name, value) => {
    if (!flags.has(name)) flags.set(name, []);
    flags.get(name).push(value);
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (arg.startsWith('--')) {
      const eq = arg.indexOf('=');
      if (eq > 0) add(arg.slice(2, eq), arg.slice(eq + 1));
      else if (VALUE_FLAGS.has(arg.slice(2)) && i + 1 < argv.length) add(arg.slice(2), argv[++i]);
      else add(arg.slice(2), 'true');
      continue;
    }
    if (arg.startsWith('-') && arg.length > 1) {
      const letter = arg[1];
      const name = SHORT_NAMES[letter] ?? letter;
      let inline = arg.slice(2);
      if (inline.startsWith('=')) inline = inline.slice(1);
      if (!SHORT_WITH_VALUE.has(letter)) add(name, 'true');
      else if (inline)
        add(name, inline); // -oyaml, -n=ns
      else if (i + 1 < argv.length) add(name, argv[++i]);
      else add(name, '');
      continue;
    }
    positionals.push(arg);
  }
  return {
    positionals,
    flags,
    /** Last value of a flag (cobra semantics for scalar flags). */
    get: (name) => flags.get(name)?.at(-1),
    all: (name) => flags.get(name) ?? [],
    /** Boolean flag present and not explicitly `=false`. */
    has: (name) => flags.has(name) && flags.get(name).at(-1) !== 'false',
  };
}

/** True when the real tool would read its standard input for this command line. */
export function readsStdin(parsed) {
  return parsed.all('filename').includes('-');
}

/** `--dry-run`, `--dry-run=client` and `--dry-run=server` all mean "change nothing". */
export function dryRunMode(parsed) {
  const v = parsed.get('dry-run');
  if (v === undefined || v === 'none' || v === 'false') return null;
  return v === 'server' ? 'server' : 'client';
}

/**
 * Splits `TYPE NAME` or `TYPE/NAME` positionals (as in `kubectl get deploy x` or
 * `kubectl rollout restart deployment/x`) into a type word and names.
 */
export function typeAndNames(words) {
  if (words.length === 0) return { type: undefined, names: [] };
  if (words[0].includes('/')) {
    const [type, name] = words[0].split('/', 2);
    return { type, names: [name, ...words.slice(1).map((w) => w.split('/').at(-1))] };
  }
  return { type: words[0], names: words.slice(1) };
}
