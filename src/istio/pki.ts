import path from 'node:path';
import type { Config } from '../config/schema.js';
import type { ExecAction, LocalMaterial, StepContext } from '../plan/types.js';

/**
 * The mesh's certificate authority as Istio's "Plug in CA certificates" lays it out: one root, and per cluster an
 * intermediate with these files, which istiod reads from Secret istio-system/cacerts.
 */
export const CA_FILES = ['ca-cert.pem', 'ca-key.pem', 'root-cert.pem', 'cert-chain.pem'];

/** The CA folder: mesh.pki.dir when set (an existing CA), otherwise `<state-dir>/pki`. */
export function pkiDir(ctx: StepContext): string {
  return ctx.config.mesh.pki.dir ?? ctx.paths.pkiDir;
}

/** The root CA: its key never leaves the machine that made it (or the folder mesh.pki.dir names). */
export function rootMaterial(ctx: StepContext): LocalMaterial[] {
  return [
    { path: path.join(pkiDir(ctx), 'root-key.pem'), what: 'the root CA key', madeBy: 'day1.root-ca' },
    { path: path.join(pkiDir(ctx), 'root-cert.pem'), what: 'the root CA certificate', madeBy: 'day1.root-ca' },
  ];
}

/** A cluster's intermediate CA, signed by the root on the machine that holds it. */
export function intermediateMaterial(ctx: StepContext): LocalMaterial[] {
  return CA_FILES.map((file) => ({
    path: path.join(pkiDir(ctx), ctx.cluster.name, file),
    what: `${ctx.cluster.name}'s intermediate CA file ${file}`,
    madeBy: `day1.intermediate-ca@${ctx.cluster.name}`,
  }));
}

/**
 * An openssl `-subj` value. "/" separates attributes and "\\" escapes, so both are escaped in values: an
 * organization such as "Evil Corp/CN=attacker" stays one O= attribute instead of adding a CN. (`-utf8` makes
 * openssl read the value as UTF-8 rather than Latin-1.)
 */
export function opensslSubject(attributes: Array<[string, string]>): string {
  return attributes.map(([type, value]) => `/${type}=${value.replace(/[\\/]/g, (c) => `\\${c}`)}`).join('');
}

export function openssl(config: Config, args: string[]): ExecAction {
  return { kind: 'exec', argv: [config.tools.openssl, ...args] };
}
