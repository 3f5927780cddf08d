// Quote for a POSIX shell so an operator can paste the printed command as is.
const SAFE = /^[A-Za-z0-9_@%+=:,./-]+$/;

export function shellQuote(arg: string): string {
  if (arg === '') return "''";
  if (SAFE.test(arg)) return arg;
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}

export function shellLine(argv: string[], cwd?: string): string {
  const line = argv.map(shellQuote).join(' ');
  return cwd ? `(cd ${shellQuote(cwd)} && ${line})` : line;
}

/** A heredoc delimiter that does not occur as a line of the body. */
export function heredocDelimiter(body: string): string {
  const lines = new Set(body.split('\n'));
  let delimiter = 'EOF';
  for (let n = 1; lines.has(delimiter); n += 1) delimiter = `EOF_${n}`;
  return delimiter;
}
