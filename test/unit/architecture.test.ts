import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
// @ts-expect-error: a plain ES module script, shared with `npm run lint`
import { LAYERS, layeringViolations } from '../../scripts/layers.mjs';

const root = path.resolve(__dirname, '../..');

function tree(files: Record<string, string>): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'akictl-layers-'));
  for (const [file, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    writeFileSync(path.join(dir, file), text);
  }
  return dir;
}

describe('layers', () => {
  it('every import of src/ and days/ points to its own layer or a lower one', () => {
    expect(layeringViolations(root)).toEqual([]);
  });

  it('names an import that points up, a day importing another day and a folder in no layer', () => {
    const dir = tree({
      'src/plan/compile.ts': "import { redactor } from '../run/redact.js';\nexport const x = 1;\n",
      'src/run/redact.ts': 'export const redactor = 1;\n',
      'src/actions/kube.ts': "const lazy = () => import('../commands/common.js');\n",
      'src/commands/common.ts': 'export {};\n',
      'src/shared/ok.ts': "import { x } from '../errors.js';\n",
      'src/errors.ts': 'export const x = 1;\n',
      'days/day5.ts': "import { JAEGER } from './day4.js';\n",
      'days/day4.ts': 'export const JAEGER = 1;\n',
      'src/newthing/a.ts': 'export {};\n',
    });
    const problems: string[] = layeringViolations(dir);
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^src\/plan\/compile\.ts \(plan model\) imports src\/run\/redact\.ts \(engine\)/),
        expect.stringMatching(/^src\/actions\/kube\.ts \(building blocks\) imports src\/commands\/common\.ts \(commands\)/),
        expect.stringMatching(/^days\/day5\.ts imports days\/day4\.ts: a day imports no other day/),
        expect.stringMatching(/^src\/newthing\/a\.ts: in no layer/),
      ]),
    );
    expect(problems.some((line) => line.startsWith('src/shared/ok.ts'))).toBe(false);
  });

  it('ARCHITECTURE.md draws every layer with the folders the check uses', () => {
    const doc = readFileSync(path.join(root, 'ARCHITECTURE.md'), 'utf8');
    for (const layer of LAYERS as { name: string; holds: string[] }[]) {
      const line = doc.split('\n').find((text) => text.trimStart().startsWith(layer.name));
      expect(line, `ARCHITECTURE.md has no line for the ${layer.name} layer`).toBeDefined();
      for (const prefix of layer.holds) expect(doc, `${prefix} (${layer.name})`).toContain(prefix.replace(/\/$/, ''));
    }
  });
});
