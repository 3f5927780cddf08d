// Behaviour behind the performance work: build-time precomputation must give exactly what parsing gives
// and never shadow an edited file; the engine's deferred writes and kept-open logs must lose nothing.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseConfigText } from '../../src/config/parse.js';
import { loadConfig } from '../../src/config/read.js';
import { meshTracing } from '../../src/istio/tracing.js';
import { defaultConfigPath, templatesDir } from '../../src/paths.js';
import { precomputedDefaultConfig, precomputedPath, precomputedTemplate } from '../../src/precomputed.js';
import { parseTemplateText, renderTemplate, renderTemplateText } from '../../src/render/template.js';
import { RunLogs } from '../../src/run/logs.js';
import { Redactor } from '../../src/shared/redact.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'akictl-perf-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('build-time precomputation (dist/precomputed.json)', () => {
  const defaultText = readFileSync(defaultConfigPath, 'utf8');

  it('exists after the build and holds the default exactly as parsing and validating it gives', () => {
    expect(existsSync(precomputedPath)).toBe(true);
    const known = precomputedDefaultConfig(defaultText);
    expect(known).toBeDefined();
    expect(known).toEqual(parseConfigText(defaultText, 'akictl.yaml'));
  });

  it('is ignored for any other text, so an edited file is always parsed', async () => {
    expect(precomputedDefaultConfig(`${defaultText}\n# edited\n`)).toBeUndefined();
    const edited = path.join(dir, 'akictl.yaml');
    const { writeFileSync } = await import('node:fs');
    writeFileSync(edited, defaultText.replace(/pollIntervalMs: \d+/, 'pollIntervalMs: 750'));
    expect((await loadConfig(edited)).config.execution.pollIntervalMs).toBe(750);
    writeFileSync(edited, defaultText.replace(/pollIntervalMs: \d+/, 'pollIntervalMs: 5'));
    await expect(loadConfig(edited)).rejects.toThrow(/execution\.pollIntervalMs/);
  });

  it('holds every shipped template parsed as the YAML parser parses it, and only for its own text', () => {
    const files = readdirSync(templatesDir, { recursive: true, encoding: 'utf8' }).filter((f) => /\.ya?ml$/.test(f));
    expect(files.length).toBeGreaterThan(0);
    for (const relative of files) {
      const text = readFileSync(path.join(templatesDir, relative), 'utf8');
      expect(precomputedTemplate(relative, text), relative).toEqual(parseTemplateText(text, relative));
      expect(precomputedTemplate(relative, `${text}\n# edited\n`)).toBeUndefined();
    }
  });

  it('renders a shipped template the same from the precomputed data as from its text', () => {
    const config = parseConfigText(defaultText, 'x');
    const values = { ...config, cluster: { name: 'c1', network: 'n1', context: 'c1' }, name: 'istio-c1', meshTracing: meshTracing(config) };
    for (const relative of ['day1/istio-operator.yaml', 'day1/eastwest-gateway.yaml']) {
      const text = readFileSync(path.join(templatesDir, relative), 'utf8');
      expect(renderTemplate(relative, values)).toEqual(renderTemplateText(text, values, relative));
    }
  });

  it('never lets a rendered manifest share objects with the values or the template', () => {
    const values = { labels: { a: 'b' } };
    const [doc] = renderTemplateText('x: "{{ labels }}"\ny: "{{ labels }}"\n', values) as Array<{ x: object; y: object }>;
    expect(doc!.x).toEqual({ a: 'b' });
    expect(doc!.x).not.toBe(values.labels);
    expect(doc!.x).not.toBe(doc!.y);
  });
});

describe('engine persistence', () => {
  it('run logs keep files open but lose no line, across more files than are kept open', () => {
    const logs = new RunLogs(dir, 'run-1', new Redactor());
    for (let round = 0; round < 3; round += 1) for (let i = 0; i < 40; i += 1) logs.append(`step-${i}@c`, `line ${round}`);
    logs.close();
    for (let i = 0; i < 40; i += 1) {
      const lines = readFileSync(logs.fileFor(`step-${i}@c`), 'utf8')
        .trim()
        .split('\n');
      expect(lines.map((line) => line.replace(/^\S+ /, ''))).toEqual(['line 0', 'line 1', 'line 2']);
    }
  });
});
