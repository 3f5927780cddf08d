import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { heredocDelimiter, shellLine, shellQuote } from '../../src/render/shell.js';

describe('shell quoting for printed commands', () => {
  it('leaves plain words alone and quotes the rest', () => {
    expect(shellLine(['kubectl', 'apply', '-f', '-', '--context=us-west'])).toBe('kubectl apply -f - --context=us-west');
    expect(shellQuote("it's")).toBe(`'it'\\''s'`);
    expect(shellQuote('')).toBe("''");
  });

  it.each([['a b'], ["it's"], ['$(id)'], ['`id`'], ['a;b'], ['x\ny'], ['*.local'], ['{"a":1}'], ['ü']])('sh reads %j back byte for byte', (arg) => {
    const out = execFileSync('sh', ['-c', `printf '%s' ${shellQuote(arg)}`]).toString();
    expect(out).toBe(arg);
  });

  it('picks a heredoc delimiter that is not a line of the body', () => {
    expect(heredocDelimiter('a\nb')).toBe('EOF');
    expect(heredocDelimiter('a\nEOF\nEOF_1')).toBe('EOF_2');
  });
});
