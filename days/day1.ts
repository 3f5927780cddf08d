import path from 'node:path';
import { crossClusterRequest, probeLifetimeSeconds, probePodName } from '../src/actions/cross-cluster-request.js';
import { installedIstioMatches } from '../src/actions/installed-istio.js';
import { contextsReachable, parseIstioctlVersion, parseKubectlVersion, toolVersion } from '../src/actions/preflight.js';
import { crossClusterAnswered, probePodsRemoved } from '../src/gates/cross-cluster.js';
import { eastWestAddress, networkGatewaysPointAtEastWest } from '../src/gates/east-west.js';
import { filesExist } from '../src/gates/files.js';
import { istioPrecheck } from '../src/gates/istio-precheck.js';
import { deploymentAvailable, peerAuthenticationMode, podsHaveContainer, rolloutComplete, secretsPresent } from '../src/gates/kube.js';
import { remoteClustersSynced } from '../src/gates/remote-clusters.js';
import { remoteEndpoints } from '../src/gates/remote-endpoints.js';
import { ROOT_CONFIGMAP, sharedRoot } from '../src/gates/shared-root.js';
import { CA_FILES, intermediateMaterial, openssl, opensslSubject, pkiDir, rootMaterial } from '../src/istio/pki.js';
import { meshTracing, TRACING_PROVIDER, tracesThroughTelemetryApi } from '../src/istio/tracing.js';
import { RESTART_ANNOTATION, restartPatch } from '../src/istio/workload-restart.js';
import { applyManifest, istioctl, kubectl, kubectlApply, manifest, pipe, readOnly } from '../src/plan/builders.js';
import type { Action, DayDef, ExecAction } from '../src/plan/types.js';
import { changeNotes, istioRelease, planNotes } from '../src/shared/istio-releases.js';

const REMOTE_SECRET_LABEL = 'istio/multiCluster=true';

const CROSS_CLUSTER_REQUEST = 'day1.cross-cluster-request';

const day1: DayDef = {
  day: 1,
  title: 'Istio installation & multi-cluster setup',
  objective: 'Install Istio on every cluster as a multi-primary mesh across networks, with sidecars injected and mTLS strict.',
  success:
    "Istio mesh operational, sidecars injected, mTLS enabled, and traffic crossing clusters: every istiod synced with every other cluster, every sidecar holding the other clusters' endpoints through their east-west gateways, one root of trust, requests answered across clusters",
  notes: (config) => planNotes(config.mesh.istioVersion),
  steps: [
    {
      id: 'day1.preflight',
      title: 'Preflight: tools and clusters',
      why: "Stops before anything changes when istioctl is missing or not the mesh's version, kubectl is missing, a context cannot be reached, or a cluster already runs another Istio version (installing over it would be an upgrade, a procedure of its own). `istioctl x precheck` of the release then reports its findings per cluster as a gate.",
      correction:
        'Replaces the seed\'s "download Istio" step (curl https://istio.io/downloadIstio | sh -): akictl never installs tools itself, it checks the ones it is given.',
      notes: (config) => changeNotes(config.mesh.istioVersion, ['precheck']),
      scope: 'once',
      actions: (ctx) => {
        const { config } = ctx;
        const actions: Action[] = [
          toolVersion({
            tool: 'istioctl',
            argv: [config.tools.istioctl, 'version', '--remote=false', '-o', 'json'],
            expected: config.mesh.istioVersion,
            parse: parseIstioctlVersion,
            install: `Install istioctl ${config.mesh.istioVersion} (curl -L https://istio.io/downloadIstio | ISTIO_VERSION=${config.mesh.istioVersion} sh -) and put its bin/ first on PATH, or set tools.istioctl; or change mesh.istioVersion.`,
          }),
          toolVersion({
            tool: 'kubectl',
            argv: [config.tools.kubectl, 'version', '--client', '-o', 'json'],
            parse: parseKubectlVersion,
            install: 'Install kubectl (https://kubernetes.io/docs/tasks/tools/) or set tools.kubectl to its path.',
          }),
        ];
        if (!config.mesh.pki.dir) {
          actions.push(
            toolVersion({
              tool: 'openssl',
              argv: [config.tools.openssl, 'version'],
              parse: (out) => /\d+\.\d+\.\d+/.exec(out)?.[0],
              install: 'Install OpenSSL 3 (apt-get install openssl), or set mesh.pki.dir to an existing CA folder.',
            }),
          );
        }
        actions.push(contextsReachable(config), installedIstioMatches(config, config.clusters));
        return actions;
      },
      gates: [
        {
          id: 'day1.istio-precheck',
          title: 'istioctl x precheck finds nothing that stops the installation',
          scope: 'per-cluster',
          // Its findings do not change by waiting: a few checks ride out an API blip, no more.
          timeoutSeconds: (config) => Math.min(30, config.execution.gateTimeoutSeconds),
          hint: 'Each finding has a code and a documentationUrl (istioctl x precheck -o json --context=<context>): fix what it names (permissions, an unsupported Kubernetes version, a conflicting installation), then `akictl resume`.',
          probe: (ctx) => istioPrecheck(ctx.config, ctx.cluster),
        },
      ],
    },
    {
      id: 'day1.istio-system-namespace',
      title: 'Namespace istio-system labelled with the cluster network',
      why: 'Multi-network meshes need the label topology.istio.io/network on istio-system before istiod starts. Applied as a manifest, so it is created when absent and relabelled when present.',
      correction: 'Missing from the seed, which never labels istio-system with its network. Source: istio.io, "Install Multi-Primary on different networks".',
      scope: 'per-cluster',
      actions: (ctx) => [applyManifest(ctx, 'day1.istio-system-namespace', ['day1/istio-system-namespace.yaml'])],
    },
    {
      id: 'day1.root-ca',
      title: 'Shared root CA',
      why: 'One root of trust for every cluster, so that their workloads complete mTLS with each other. The root key stays on this machine (0600); with mesh.pki.dir set, the existing CA is used instead.',
      correction:
        'Missing from the seed, which lets every istiod sign with its own self-signed root: cross-cluster mTLS then fails. Source: istio.io, "Plug in CA certificates".',
      scope: 'once',
      done: (ctx) => filesExist(['root-cert.pem', 'root-key.pem'].map((file) => path.join(pkiDir(ctx), file))),
      localMaterial: rootMaterial,
      actions: (ctx) => {
        const dir = pkiDir(ctx);
        if (ctx.config.mesh.pki.dir)
          return [
            readOnly({
              kind: 'exec',
              argv: ['test', '-s', path.join(dir, 'root-cert.pem')],
              note: 'mesh.pki.dir is set: the root CA must already exist there',
            }),
          ];
        const { pki } = ctx.config.mesh;
        return [
          { kind: 'exec', argv: ['mkdir', '-p', '-m', '700', dir] },
          openssl(ctx.config, [
            'req',
            '-x509',
            '-newkey',
            `rsa:${pki.keyBits}`,
            '-sha256',
            '-nodes',
            '-days',
            String(pki.rootDays),
            '-utf8',
            '-subj',
            opensslSubject([
              ['O', pki.organization],
              ['CN', `${pki.organization} Root CA`],
            ]),
            '-addext',
            'basicConstraints=critical,CA:true',
            '-addext',
            'keyUsage=critical,digitalSignature,nonRepudiation,keyEncipherment,keyCertSign',
            '-keyout',
            path.join(dir, 'root-key.pem'),
            '-out',
            path.join(dir, 'root-cert.pem'),
          ]),
          { kind: 'exec', argv: ['chmod', '600', path.join(dir, 'root-key.pem')] },
        ];
      },
    },
    {
      id: 'day1.intermediate-ca',
      title: 'Intermediate CA per cluster, signed by the root',
      why: 'Each istiod signs workload certificates with an intermediate of its own, chaining to the shared root. Keys are written 0600 and never printed.',
      correction:
        'Missing from the seed, which has no CA of its own; the files (ca-cert, ca-key, root-cert, cert-chain per cluster) are those of istio.io, "Plug in CA certificates".',
      scope: 'per-cluster',
      done: (ctx) => filesExist(CA_FILES.map((file) => path.join(pkiDir(ctx), ctx.cluster.name, file))),
      localMaterial: (ctx) => [...rootMaterial(ctx), ...intermediateMaterial(ctx)],
      actions: (ctx) => {
        const root = pkiDir(ctx);
        const dir = path.join(root, ctx.cluster.name);
        if (ctx.config.mesh.pki.dir)
          return [
            readOnly({
              kind: 'exec',
              argv: ['test', '-s', path.join(dir, 'ca-key.pem')],
              note: 'mesh.pki.dir is set: the intermediate CA must already exist there',
            }),
          ];
        const { pki } = ctx.config.mesh;
        return [
          { kind: 'exec', argv: ['mkdir', '-p', '-m', '700', dir] },
          openssl(ctx.config, [
            'req',
            '-new',
            '-newkey',
            `rsa:${pki.keyBits}`,
            '-sha256',
            '-nodes',
            '-utf8',
            '-subj',
            opensslSubject([
              ['O', pki.organization],
              ['CN', 'Intermediate CA'],
              ['L', ctx.cluster.name],
            ]),
            '-addext',
            'basicConstraints=critical,CA:true,pathlen:0',
            '-addext',
            'keyUsage=critical,digitalSignature,nonRepudiation,keyEncipherment,keyCertSign',
            '-addext',
            `subjectAltName=DNS:istiod.istio-system.svc`,
            '-keyout',
            path.join(dir, 'ca-key.pem'),
            '-out',
            path.join(dir, 'cluster-ca.csr'),
          ]),
          // Each cluster signs with a serial file of its own, removed first so that -CAcreateserial starts it with a
          // random serial: the clusters sign side by side, and a shared file, or one an interrupted signing left
          // half-written, makes openssl fail with "Unable to load number".
          { kind: 'exec', argv: ['rm', '-f', path.join(dir, 'ca-cert.srl')] },
          openssl(ctx.config, [
            'x509',
            '-req',
            '-in',
            path.join(dir, 'cluster-ca.csr'),
            '-CA',
            path.join(root, 'root-cert.pem'),
            '-CAkey',
            path.join(root, 'root-key.pem'),
            '-CAserial',
            path.join(dir, 'ca-cert.srl'),
            '-CAcreateserial',
            '-days',
            String(pki.intermediateDays),
            '-sha256',
            '-copy_extensions',
            'copyall',
            '-out',
            path.join(dir, 'ca-cert.pem'),
          ]),
          { kind: 'exec', argv: ['chmod', '600', path.join(dir, 'ca-key.pem')] },
          { kind: 'file', path: path.join(dir, 'root-cert.pem'), mode: 0o644, concat: [path.join(root, 'root-cert.pem')] },
          { kind: 'file', path: path.join(dir, 'cert-chain.pem'), mode: 0o644, concat: [path.join(dir, 'ca-cert.pem'), path.join(root, 'root-cert.pem')] },
        ];
      },
    },
    {
      id: 'day1.cacerts-secret',
      title: 'Install the intermediate CA as secret cacerts',
      why: 'istiod reads istio-system/cacerts at start-up, so it must exist before `istioctl install` (if it changes later, restart istiod). The Secret manifest holds the CA key: it is piped from `kubectl create --dry-run=client` into `kubectl apply`, in memory only.',
      correction: 'Missing from the seed, whose istiod starts without cacerts and signs with a root of its own. Source: istio.io, "Plug in CA certificates".',
      scope: 'per-cluster',
      localMaterial: intermediateMaterial,
      actions: (ctx) => {
        const dir = path.join(pkiDir(ctx), ctx.cluster.name);
        const create: ExecAction = {
          kind: 'exec',
          argv: [
            ctx.config.tools.kubectl,
            'create',
            'secret',
            'generic',
            'cacerts',
            '-n',
            'istio-system',
            ...CA_FILES.map((file) => `--from-file=${file}=${path.join(dir, file)}`),
            '--dry-run=client',
            '-o',
            'yaml',
          ],
        };
        return [pipe(create, kubectlApply(ctx.config, ctx.cluster), 'the Secret holds ca-key.pem: kept in memory, never printed', { kind: 'local' })];
      },
    },
    {
      id: 'day1.install-istio',
      title: 'Install the Istio control plane',
      why: 'The Istio control plane from an IstioOperator rendered per cluster (meshID, clusterName, network, tracing), installed with `-y` (a non-interactive istioctl otherwise answers "Cancelled." and exits 1). istioctl may print an end-of-life warning on stdout, so the gates read the Deployments and the istio-ca-root-cert istiod writes, never install\'s output.',
      correction:
        'The seed switched KUBECONFIG between two files and installed without --context; akictl passes --context to every call (one kubeconfig holds every context) and first checks that the cluster runs no other Istio version, which `istioctl install` would only warn about and overwrite.',
      notes: (config) => changeNotes(config.mesh.istioVersion, ['install', 'tracing']),
      scope: 'per-cluster',
      timeoutSeconds: 1200,
      actions: (ctx) => {
        const actions: Action[] = [
          installedIstioMatches(ctx.config, [ctx.cluster]),
          istioctl(ctx.config, ctx.cluster, istioRelease(ctx.config.mesh.istioVersion).install, {
            stdin: {
              kind: 'manifest',
              manifest: manifest(ctx, 'day1.install-istio', ['day1/istio-operator.yaml'], {
                name: `istio-${ctx.cluster.name}`,
                meshTracing: meshTracing(ctx.config),
              }),
            },
            effect: { kind: 'istio-install', cluster: ctx.cluster.name },
          }),
        ];
        if (tracesThroughTelemetryApi(ctx.config)) {
          actions.push({
            ...applyManifest(ctx, 'day1.mesh-telemetry', ['day1/mesh-telemetry.yaml'], { provider: TRACING_PROVIDER }),
            note: `mesh-wide Telemetry: sidecars send spans through the ${TRACING_PROVIDER} extension provider declared in meshConfig`,
          });
        }
        return actions;
      },
      gates: [
        {
          id: 'day1.istiod-available',
          title: 'istiod is Available',
          hint: 'kubectl get pods -n istio-system --context=<context>; kubectl describe deployment istiod -n istio-system. A missing or bad cacerts secret keeps istiod from starting.',
          probe: (ctx) => deploymentAvailable(ctx.cluster, 'istio-system', 'istiod'),
        },
        {
          id: 'day1.ingressgateway-available',
          title: 'istio-ingressgateway is Available',
          hint: 'kubectl get deployment istio-ingressgateway -n istio-system --context=<context>; the default profile installs it.',
          probe: (ctx) => deploymentAvailable(ctx.cluster, 'istio-system', 'istio-ingressgateway'),
        },
        {
          id: 'day1.shared-root',
          title: 'the cluster trusts the shared root (istio-ca-root-cert)',
          hint: `A different fingerprint means istiod signs with another root: it started before Secret cacerts existed, or from another CA. Compare \`kubectl get configmap ${ROOT_CONFIGMAP} -n <app namespace> -o jsonpath='{.data.root-cert\\.pem}' --context=<context> | openssl x509 -noout -fingerprint -sha256\` with \`openssl x509 -noout -fingerprint -sha256 -in <pki dir>/root-cert.pem\`; fix cacerts (akictl day 1 --apply --only cacerts-secret), then \`kubectl rollout restart deployment/istiod -n istio-system\` and restart the workloads. Clusters with different roots cannot complete mTLS with each other.`,
          probe: (ctx) => sharedRoot(ctx.config, ctx.cluster, path.join(pkiDir(ctx), 'root-cert.pem')),
        },
      ],
    },
    {
      id: 'day1.eastwest-gateway',
      title: 'East-west gateway',
      why: 'Clusters on different networks reach each other only through an east-west gateway on 15443. Its Service must get an external address: the gate waits for it.',
      correction:
        "Missing from the seed. The IstioOperator is that of Istio's `samples/multicluster/gen-eastwest-gateway.sh --network <network>`, plus meshID and clusterName, without ISTIO_META_ROUTER_MODE=sni-dnat, which AUTO_PASSTHROUGH has not needed since Istio 1.11 (dropped from the script by istio/istio#34670).",
      notes: (config) => changeNotes(config.mesh.istioVersion, ['east-west-gateway']),
      scope: 'per-cluster',
      timeoutSeconds: 1200,
      actions: (ctx) => [
        istioctl(ctx.config, ctx.cluster, istioRelease(ctx.config.mesh.istioVersion).install, {
          stdin: { kind: 'manifest', manifest: manifest(ctx, 'day1.eastwest-gateway', ['day1/eastwest-gateway.yaml']) },
          effect: { kind: 'istio-install', cluster: ctx.cluster.name },
        }),
      ],
      gates: [
        {
          id: 'day1.eastwestgateway-available',
          title: 'istio-eastwestgateway is Available',
          hint: 'kubectl get deployment,service istio-eastwestgateway -n istio-system --context=<context>; its Service needs an external address reachable from the other clusters.',
          probe: (ctx) => deploymentAvailable(ctx.cluster, 'istio-system', 'istio-eastwestgateway'),
        },
        {
          id: 'day1.eastwest-address',
          title: "the east-west gateway has an external address on 15443 and the cluster's network label",
          hint: 'kubectl get service istio-eastwestgateway -n istio-system --context=<context>: EXTERNAL-IP <pending> means no load balancer was provisioned (no cloud load-balancer controller or MetalLB, a quota, subnets without the load-balancer tags, or an internal-only annotation); the other clusters can only reach this one through that address, on 15443. The label topology.istio.io/network must equal clusters[].network.',
          probe: (ctx) => eastWestAddress(ctx.cluster),
        },
      ],
    },
    {
      id: 'day1.expose-services',
      title: 'Expose *.local services on the east-west gateway',
      why: "Gateway cross-network-gateway (TLS 15443, AUTO_PASSTHROUGH, hosts *.local) on the east-west gateway lets the other networks reach this cluster's services.",
      correction: "Missing from the seed, which exposes no service across networks; the Gateway is Istio's samples/multicluster/expose-services.yaml.",
      notes: (config) => changeNotes(config.mesh.istioVersion, ['expose-services']),
      scope: 'per-cluster',
      actions: (ctx) => [applyManifest(ctx, 'day1.expose-services', ['day1/cross-network-gateway.yaml'])],
    },
    {
      id: 'day1.remote-secrets',
      title: 'Remote secrets for every ordered pair of clusters',
      why: 'Each istiod watches the API servers of the other clusters through a remote secret: one for every ordered pair (N×(N−1)), piped in memory into `kubectl apply` with both exit codes checked.',
      correction:
        "The seed's `istioctl x create-remote-secret` was removed in Istio 1.19 (istio/istio#46051): `istioctl create-remote-secret` replaces it. The seed's pipe also hid a failure of its first command.",
      notes: (config) => changeNotes(config.mesh.istioVersion, ['remote-clusters']),
      scope: 'per-pair',
      actions: (ctx) => {
        const from = ctx.target.cluster!;
        const to = ctx.target.peer!;
        return [
          pipe(
            istioctl(ctx.config, from, ['create-remote-secret', `--name=${from.name}`]),
            kubectlApply(ctx.config, to),
            `lets istiod in ${to.name} discover endpoints in ${from.name}; the secret holds a service-account token and is never shown`,
            // istioctl may create a service-account token in the source cluster: the plan compares presence only.
            { kind: 'cluster', produces: [{ apiVersion: 'v1', kind: 'Secret', namespace: 'istio-system', name: `istio-remote-secret-${from.name}` }] },
          ),
        ];
      },
      gates: [
        {
          id: 'day1.remote-secrets-present',
          title: 'every cluster holds the remote secret of every other cluster',
          scope: 'per-cluster',
          hint: 'kubectl get secrets -n istio-system -l istio/multiCluster=true --context=<context>; then `istioctl remote-clusters --context=<context>` should list every other cluster as synced.',
          probe: (ctx) =>
            secretsPresent(
              ctx.cluster,
              'istio-system',
              ctx.config.clusters.filter((other) => other.name !== ctx.cluster.name).map((other) => `istio-remote-secret-${other.name}`),
              REMOTE_SECRET_LABEL,
            ),
        },
        {
          id: 'day1.remote-clusters-synced',
          title: 'every istiod sees every other cluster as synced',
          scope: 'per-cluster',
          hint: "`istioctl remote-clusters --context=<context>`: `timeout` means this istiod cannot reach the other cluster's API server with the remote secret (its server address must be reachable from this cluster's pods, not only from your machine: `istioctl create-remote-secret --server=<address>`), or its token lacks permissions; `syncing` needs more time. `kubectl logs deployment/istiod -n istio-system --context=<context> | grep -i cluster` shows why.",
          probe: (ctx) => remoteClustersSynced(ctx.config, ctx.cluster),
        },
        {
          id: 'day1.network-gateways',
          title: "every istiod's network gateways point at the clusters' east-west addresses",
          scope: 'per-cluster',
          hint: "istiod learns a network's gateway from the Service labelled topology.istio.io/network=<network> in that network's cluster (through the remote secret) and uses its external address on 15443. A gateway missing or at another address: check that label and the address (day1.eastwest-address), that clusters[].network matches the istio-system label of each cluster, and that the other cluster is synced.",
          probe: (ctx) => networkGatewaysPointAtEastWest(ctx.config, ctx.cluster),
        },
      ],
    },
    {
      id: 'day1.injection-label',
      title: 'Enable sidecar injection in the app namespace',
      why: 'Turns on sidecar injection in the app namespace: label istio-injection=enabled, with `--overwrite` so that a second run with the same value succeeds.',
      correction:
        "The seed's plain `kubectl label` fails on a second run even with the same value: kubectl refuses to change an existing label without --overwrite.",
      scope: 'per-cluster',
      actions: (ctx) => [
        kubectl(ctx.config, ctx.cluster, ['label', 'namespace', ctx.config.app.namespace, 'istio-injection=enabled', '--overwrite'], {
          effect: {
            kind: 'kube-labels',
            cluster: ctx.cluster.name,
            target: { apiVersion: 'v1', kind: 'Namespace', name: ctx.config.app.namespace },
            labels: { 'istio-injection': 'enabled' },
          },
        }),
      ],
    },
    {
      id: 'day1.restart-workloads',
      title: 'Restart the workloads so they get sidecars',
      why: `Pods get a sidecar only when created. The pod-template annotation ${RESTART_ANNOTATION} is set to the Istio version: Kubernetes rolls out only when the template changes, so repeating the step restarts nothing, and a new Istio version restarts once more. Skipped while every pod already has istio-proxy.`,
      correction:
        'The seed ran `kubectl rollout restart`, which restarts every time it runs: a run resumed after a crash would restart again the Deployments it had already restarted.',
      scope: 'per-cluster',
      done: (ctx) => podsHaveContainer(ctx.cluster, ctx.config.app.namespace, 'istio-proxy'),
      actions: (ctx) =>
        ctx.config.app.deployments.map((name) =>
          kubectl(
            ctx.config,
            ctx.cluster,
            [
              'patch',
              `deployment/${name}`,
              '-n',
              ctx.config.app.namespace,
              '--type=merge',
              `--patch=${JSON.stringify(restartPatch(ctx.config.mesh.istioVersion))}`,
            ],
            {
              note: `restarts ${name} once for Istio ${ctx.config.mesh.istioVersion}; repeating it changes nothing`,
              effect: {
                kind: 'kube-merge-patch',
                cluster: ctx.cluster.name,
                target: { apiVersion: 'apps/v1', kind: 'Deployment', namespace: ctx.config.app.namespace, name },
                patch: restartPatch(ctx.config.mesh.istioVersion),
              },
            },
          ),
        ),
    },
    {
      id: 'day1.wait-rollout',
      title: 'Wait for the restarted workloads to roll out',
      why: 'Waits until the restarted workloads have rolled out. `kubectl rollout status` only watches, so it is safe to repeat on resume.',
      correction: 'The seed never waited for its restart.',
      scope: 'per-cluster',
      timeoutSeconds: 900,
      actions: (ctx) =>
        ctx.config.app.deployments.map((name) =>
          readOnly(
            kubectl(ctx.config, ctx.cluster, [
              'rollout',
              'status',
              `deployment/${name}`,
              '-n',
              ctx.config.app.namespace,
              `--timeout=${ctx.config.execution.stepTimeoutSeconds}s`,
            ]),
          ),
        ),
      gates: [
        {
          id: 'day1.rollout-complete',
          title: 'the app Deployments finished rolling out',
          hint: 'kubectl rollout status deployment/<name> -n <namespace> --context=<context>; kubectl describe deployment <name>.',
          probe: (ctx) => rolloutComplete(ctx.cluster, ctx.config.app.namespace, ctx.config.app.deployments),
        },
        {
          id: 'day1.sidecars-injected',
          title: 'every app pod has an istio-proxy container',
          hint: 'kubectl get pods -n <namespace> -o jsonpath="{.items[*].spec.containers[*].name}" --context=<context>; check the istio-injection label and that istiod\'s injector webhook is up.',
          probe: (ctx) => podsHaveContainer(ctx.cluster, ctx.config.app.namespace, 'istio-proxy'),
        },
        {
          id: 'day1.remote-endpoints',
          title: "a sidecar holds the app's endpoints in every other cluster, through their east-west gateways",
          hint: '`istioctl proxy-config endpoint deployment/<app>.<namespace> --cluster "outbound|<port>||<service>.<namespace>.svc.cluster.local" --context=<context>`: a cluster missing here gets no traffic. Its east-west gateway needs an external address (day1.eastwest-address), istiod must see that cluster synced (day1.remote-clusters-synced), the Service must exist there with ready pods, and its network must differ from this one\'s (or share a flat network).',
          probe: (ctx) => remoteEndpoints(ctx.config, ctx.cluster),
        },
      ],
    },
    {
      id: 'day1.mtls-strict',
      title: 'mTLS STRICT mesh-wide',
      why: 'PeerAuthentication default in istio-system with mode STRICT: every workload of the mesh accepts mTLS only. The gate reads the policy.',
      correction: 'The seed verified it with `istioctl authn tls-check`, which was removed in Istio 1.6: the gate reads the PeerAuthentication instead.',
      notes: (config) => changeNotes(config.mesh.istioVersion, ['api-versions']),
      scope: 'per-cluster',
      actions: (ctx) => [applyManifest(ctx, 'day1.mtls-strict', ['day1/peer-authentication.yaml'])],
      gates: [
        {
          id: 'day1.mtls-strict-policy',
          title: 'PeerAuthentication default is STRICT',
          hint: 'kubectl get peerauthentication default -n istio-system -o yaml --context=<context>',
          probe: (ctx) => peerAuthenticationMode(ctx.cluster, 'istio-system', 'default', 'STRICT', istioRelease(ctx.config.mesh.istioVersion).apis.security),
        },
      ],
    },
    {
      id: CROSS_CLUSTER_REQUEST,
      title: 'Requests across clusters from a short-lived client pod',
      why: "Sends real traffic across clusters, where the gates above read configuration. Per ordered pair, a client pod with a sidecar (so over mTLS with the shared root) calls the app's service mesh.crossCluster.request.count times, one connection each; its sidecar's per-endpoint counters say which cluster answered, and the counts are kept for the report. day1.cross-cluster-cleanup removes the pod whatever happens; activeDeadlineSeconds ends it anyway.",
      correction: 'Missing from the seed, whose validation (`kubectl get secret | grep istio-remote-secret`) never proved that traffic crosses clusters.',
      notes: (config) =>
        config.mesh.crossCluster.request.enabled
          ? []
          : ['switched off (mesh.crossCluster.request.enabled: false): no client pod is started and the answer gate passes with a mark.'],
      scope: 'per-pair',
      restoredBy: 'day1.cross-cluster-cleanup',
      timeoutSeconds: 600,
      actions: (ctx) => {
        const { config } = ctx;
        if (!config.mesh.crossCluster.request.enabled) return [];
        const from = ctx.target.cluster!;
        const to = ctx.target.peer!;
        const { request } = config.mesh.crossCluster;
        const pod = probePodName(to);
        const lifetime = probeLifetimeSeconds(config);
        return [
          // A measurement's short-lived pod, not desired state: the plan shows it as "will run", never as a create
          // or as drift (it is gone after every run).
          {
            ...applyManifest(ctx, CROSS_CLUSTER_REQUEST, ['day1/mesh-probe-pod.yaml'], {
              probe: { name: pod, deadlineSeconds: lifetime, sleep: String(lifetime) },
            }),
            effect: undefined,
            note: `client pod in ${from.name} for requests to ${to.name}`,
          },
          readOnly(kubectl(config, from, ['wait', '--for=condition=Ready', `pod/${pod}`, '-n', config.app.namespace, `--timeout=${request.timeoutSeconds}s`])),
          crossClusterRequest(config, from, to),
        ];
      },
      gates: [
        {
          id: 'day1.cross-cluster-answered',
          title: 'requests succeed and the other cluster answers some of them',
          // It reads what the step recorded: waiting would not change it.
          timeoutSeconds: 0,
          hint: 'No answer from the other cluster: check the gates above for that pair (endpoints, gateways, sync, root). Requests failing only there (503, "upstream connect error") point at mTLS between the clusters (different roots) or at its east-west gateway being unreachable on 15443 from this cluster. A DestinationRule with locality load balancing (Day 2) keeps traffic in-region while local endpoints are healthy: run this check before Day 2, or raise mesh.crossCluster.request.count.',
          probe: (ctx) => crossClusterAnswered(ctx.config, ctx.target.cluster!, ctx.target.peer!, CROSS_CLUSTER_REQUEST),
        },
      ],
    },
    {
      id: 'day1.cross-cluster-cleanup',
      title: 'Remove the client pods',
      why: 'Deletes the client pod of each pair with --ignore-not-found (safe to repeat) and waits until it is gone. Runs after the requests whatever happened to them, also after a failure or Ctrl-C, and first thing on `akictl resume` after a crash.',
      scope: 'per-pair',
      actions: (ctx) => {
        const { config } = ctx;
        if (!config.mesh.crossCluster.request.enabled) return [];
        const from = ctx.target.cluster!;
        const pod = probePodName(ctx.target.peer!);
        return [
          kubectl(
            config,
            from,
            ['delete', 'pod', pod, '-n', config.app.namespace, '--ignore-not-found', '--wait=true', `--timeout=${config.execution.stepTimeoutSeconds}s`],
            {
              effect: { kind: 'kube-delete', cluster: from.name, target: { apiVersion: 'v1', kind: 'Pod', namespace: config.app.namespace, name: pod } },
            },
          ),
        ];
      },
      gates: [
        {
          id: 'day1.probe-pod-removed',
          title: 'no client pod is left behind',
          hint: 'kubectl get pods -n <app namespace> -l app=akictl-mesh-probe --context=<context>; delete what is left with kubectl delete pod -l app=akictl-mesh-probe -n <app namespace>.',
          probe: (ctx) => probePodsRemoved(ctx.config, ctx.target.cluster!, ctx.target.peer!),
        },
      ],
    },
  ],
};

export default day1;
