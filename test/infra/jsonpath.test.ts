import { describe, expect, it } from 'vitest';
import { renderJsonPath } from '../support/fake-kube/jsonpath.js';

const svc = {
  metadata: { name: 'istio-ingressgateway', labels: { 'topology.istio.io/network': 'network1' } },
  status: { loadBalancer: { ingress: [{ ip: '203.0.113.21' }] } },
};
const deploy = {
  status: {
    conditions: [
      { type: 'Progressing', status: 'True' },
      { type: 'Available', status: 'False' },
    ],
    availableReplicas: 0,
  },
};
const list = { kind: 'List', items: [{ metadata: { name: 'a' } }, { metadata: { name: 'b' } }] };

describe('kubectl jsonpath subset', () => {
  it('reads fields, indices and escaped-dot label keys', () => {
    expect(renderJsonPath('{.status.loadBalancer.ingress[0].ip}', svc)).toBe('203.0.113.21');
    expect(renderJsonPath('{.metadata.labels.topology\\.istio\\.io/network}', svc)).toBe('network1');
    expect(renderJsonPath("{.metadata.labels['topology.istio.io/network']}", svc)).toBe('network1');
  });

  it('prints nothing for missing keys, as kubectl get does', () => {
    expect(renderJsonPath('{.status.loadBalancer.ingress[0].hostname}', svc)).toBe('');
    expect(renderJsonPath('{.spec.nothing[3]}', svc)).toBe('');
  });

  it('joins wildcard results with spaces and supports filters, numbers and literal text', () => {
    expect(renderJsonPath('{.items[*].metadata.name}', list)).toBe('a b');
    expect(renderJsonPath('{.status.conditions[?(@.type=="Available")].status}', deploy)).toBe('False');
    expect(renderJsonPath('replicas={.status.availableReplicas}', deploy)).toBe('replicas=0');
  });

  it('renders range blocks with quoted literals', () => {
    expect(renderJsonPath('{range .items[*]}{.metadata.name}{"\\n"}{end}', list)).toBe('a\nb\n');
  });

  it('rejects malformed templates', () => {
    expect(() => renderJsonPath('{.a', svc)).toThrow(/unclosed/);
    expect(() => renderJsonPath('{range .items[*]}{.x}', list)).toThrow(/without \{end\}/);
  });
});
