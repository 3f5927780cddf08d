import { describe, expect, it } from 'vitest';
import { Redactor } from '../../src/shared/redact.js';

const kubeconfig = `apiVersion: v1
kind: Config
clusters:
- cluster:
    certificate-authority-data: ${Buffer.from('CA-CERT-DATA-0123456789').toString('base64')}
    server: https://10.0.0.1
  name: us-west
users:
- name: us-west
  user:
    token: sa-token-abcdef0123456789
`;

const remoteSecret = `apiVersion: v1
kind: Secret
metadata:
  name: istio-remote-secret-us-west
  namespace: istio-system
stringData:
  us-west: |
${kubeconfig.replace(/^/gm, '    ')}
`;

describe('redactor', () => {
  it('masks the credentials of a piped remote secret but keeps object names readable', () => {
    const r = new Redactor();
    r.addDocument(remoteSecret);
    const out = r.redact('error applying secret/istio-remote-secret-us-west: token sa-token-abcdef0123456789 rejected');
    expect(out).not.toContain('sa-token-abcdef0123456789');
    expect(out).toContain('istio-remote-secret-us-west');
    expect(r.count).toBeGreaterThan(0);
  });

  it('masks base64 data of a Secret and its decoded form', () => {
    const key = '-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----\n';
    const secret = `apiVersion: v1\nkind: Secret\nmetadata:\n  name: cacerts\ndata:\n  ca-key.pem: ${Buffer.from(key).toString('base64')}\n`;
    const r = new Redactor();
    r.addDocument(secret);
    expect(r.redact(`echo ${Buffer.from(key).toString('base64')}`)).not.toContain(Buffer.from(key).toString('base64'));
    expect(r.redact(`line MIIEvQIBADANBgkqhkiG9w0BAQEFAASC`)).not.toContain('MIIEvQIBADANBgkqhkiG9w0BAQEFAASC');
  });

  it('masks secret shapes it was never told about', () => {
    const r = new Redactor();
    const jwt = 'eyJhbGciOiJSUzI1NiIsImtpZCI6IjEyMyJ9.eyJzdWIiOiJzeXN0ZW06c2EifQ.c2lnbmF0dXJlLXNpZ25hdHVyZQ';
    const out = r.redact(
      `token: supersecretvalue\nAuthorization: Bearer abc.def\n${jwt}\n-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY-----`,
    );
    expect(out).not.toContain('supersecretvalue');
    expect(out).not.toContain(jwt);
    expect(out).not.toContain('AAAA');
    expect(out).not.toContain('abc.def');
  });

  it('leaves ordinary output untouched', () => {
    const r = new Redactor();
    const text = 'deployment.apps/akidb-rest restarted\nWaiting for rollout to finish: 1 of 2 updated replicas are available...';
    expect(r.redact(text)).toBe(text);
    expect(r.count).toBe(0);
  });
});
