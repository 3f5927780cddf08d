import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { manifestYaml } from '../../src/render/manifest.js';
import { renderTemplateText, TemplateError } from '../../src/render/template.js';

const TEMPLATE = `apiVersion: v1
kind: ConfigMap
metadata:
  name: "{{ name }}"
  labels:
    network: "{{ cluster.network }}"
data:
  address: "{{ host }}:9411"
  optional: "{{ missing }}"
  list: "{{ items }}"
`;

describe('template rendering on the yaml document model', () => {
  it('substitutes whole values with their own type and interpolates inside strings', () => {
    const [doc] = renderTemplateText(TEMPLATE, { name: 'cfg', cluster: { network: 'net-1' }, host: 'otel', items: [1, 2] }) as any[];
    expect(doc.metadata).toEqual({ name: 'cfg', labels: { network: 'net-1' } });
    expect(doc.data.address).toBe('otel:9411');
    expect(doc.data.list).toEqual([1, 2]);
    expect('optional' in doc.data).toBe(false);
  });

  it.each([
    ['newline and a fake key', 'evil\nkind: Secret'],
    ['document separator', 'x\n---\napiVersion: v1\nkind: Secret'],
    ['colon space and comment', 'a: b # c'],
    ['quotes', `"'"'`],
    ['template braces', '{{ name }}'],
    ['shell', '$(rm -rf /); `id`; echo'],
    ['unicode', 'ü…𝄞'],
  ])('a value with %s stays one value and keeps the document shape', (_label, hostile) => {
    const docs = renderTemplateText(TEMPLATE, { name: hostile, cluster: { network: hostile }, host: hostile, items: [hostile] });
    expect(docs).toHaveLength(1);
    const text = manifestYaml({ name: 'x.yaml', docs });
    const reparsed = parseAllDocuments(text).map((d) => d.toJS());
    expect(reparsed).toHaveLength(1);
    const doc = reparsed[0];
    expect(Object.keys(doc)).toEqual(['apiVersion', 'kind', 'metadata', 'data']);
    expect(doc.kind).toBe('ConfigMap');
    expect(doc.metadata.name).toBe(hostile);
    expect(doc.data.address).toBe(`${hostile}:9411`);
    expect(doc.data.list).toEqual([hostile]);
  });

  it('refuses an undefined value inside a string and placeholders in keys', () => {
    expect(() => renderTemplateText('a: "x-{{ nope }}"\n', {})).toThrow(TemplateError);
    expect(() => renderTemplateText('"{{ k }}": 1\n', { k: 'x' })).toThrow(/keys/);
  });
});
