import { kubectlApply, pipe } from '../plan/builders.js';
import type { Action, ExecAction, StepContext } from '../plan/types.js';

/**
 * The Gateway's TLS Secret in the ingress gateway's namespace: made from routing.gateway.certFile and keyFile when
 * both are set (piped in memory: the Secret holds the private key), otherwise a manual step for an operator.
 */
export function gatewayCredential(ctx: StepContext): Action[] {
  const { config, cluster } = ctx;
  const { credentialName, certFile, keyFile } = config.routing.gateway;
  const namespace = config.ingress.namespace;
  if (certFile && keyFile) {
    const create: ExecAction = {
      kind: 'exec',
      argv: [
        config.tools.kubectl,
        'create',
        'secret',
        'tls',
        credentialName,
        `--cert=${certFile}`,
        `--key=${keyFile}`,
        '-n',
        namespace,
        '--dry-run=client',
        '-o',
        'yaml',
      ],
    };
    return [pipe(create, kubectlApply(config, cluster), 'the Secret holds the private key: kept in memory, never printed', { kind: 'local' })];
  }
  return [
    {
      kind: 'manual',
      instructions:
        `Create the Gateway's TLS Secret in ${cluster.name}:\n` +
        `  kubectl create secret tls ${credentialName} --cert=<cert.pem> --key=<key.pem> -n ${namespace} --context=${cluster.context}\n` +
        `(or set routing.gateway.certFile and keyFile, and akictl creates it).`,
    },
  ];
}
