import { readdirSync, readFileSync } from 'node:fs';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

// A day file declares its steps and gates; the work they do (builtins, probes, template values) lives in src/.
// These checks read each day file's syntax tree, so words inside strings (a step's why) never count.

const daysDir = new URL('../../days/', import.meta.url);
const dayFiles = readdirSync(daysDir).filter((name) => /^day\d+\.ts$/.test(name));

const IMPERATIVE: Partial<Record<ts.SyntaxKind, string>> = {
  [ts.SyntaxKind.FunctionDeclaration]: 'a function declaration (helpers belong in src/)',
  [ts.SyntaxKind.ClassDeclaration]: 'a class',
  [ts.SyntaxKind.AwaitExpression]: 'await',
  [ts.SyntaxKind.AsyncKeyword]: 'an async function (a builtin or probe written inline)',
  [ts.SyntaxKind.ForStatement]: 'a for loop',
  [ts.SyntaxKind.ForOfStatement]: 'a for…of loop',
  [ts.SyntaxKind.ForInStatement]: 'a for…in loop',
  [ts.SyntaxKind.WhileStatement]: 'a while loop',
  [ts.SyntaxKind.DoStatement]: 'a do…while loop',
  [ts.SyntaxKind.ThrowStatement]: 'throw',
  [ts.SyntaxKind.TryStatement]: 'try',
};

function findings(file: string, text = readFileSync(new URL(file, daysDir), 'utf8')): { imperative: string[]; imports: string[] } {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.ES2022, true);
  const imperative: string[] = [];
  const imports: string[] = [];
  const visit = (node: ts.Node) => {
    const what = IMPERATIVE[node.kind];
    if (what) imperative.push(`${file}:${source.getLineAndCharacterOfPosition(node.getStart()).line + 1}: ${what}`);
    if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) imports.push(node.moduleSpecifier.text);
    ts.forEachChild(node, visit);
  };
  visit(source);
  return { imperative, imports };
}

/** A day imports from src/ (and node: built-ins) only: never another day. */
const outsideSrc = (specifier: string) => !specifier.startsWith('../src/') && !specifier.startsWith('node:');

describe('day files', () => {
  it('finds the five days', () => {
    expect(dayFiles).toEqual(['day1.ts', 'day2.ts', 'day3.ts', 'day4.ts', 'day5.ts']);
  });

  it.each(dayFiles)('%s holds declarations only: no inline builtin, probe, helper function, loop or throw', (file) => {
    expect(findings(file).imperative).toEqual([]);
  });

  it.each(dayFiles)('%s imports no other day: shared step ids come from src/plan/step-ids.ts', (file) => {
    const imports = findings(file).imports;
    expect(imports.length).toBeGreaterThan(0);
    expect(imports.filter(outsideSrc)).toEqual([]);
  });

  it('the checks see an inline probe, a loop, a throw and an import of another day', () => {
    const sample = "import { X } from './day4.js';\nexport default { probe: () => ({ async run() { for (;;) throw new Error('x'); } }) };\n";
    const { imperative, imports } = findings('sample.ts', sample);
    expect(imperative).toEqual(['sample.ts:2: an async function (a builtin or probe written inline)', 'sample.ts:2: a for loop', 'sample.ts:2: throw']);
    expect(imports.filter(outsideSrc)).toEqual(['./day4.js']);
  });
});
