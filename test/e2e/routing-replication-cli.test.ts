// Day 2's routing and Day 3's replication through bin/akictl: the dry-run printout and JSON, and `render` writing manifests and AWS
// request bodies. Nothing here talks to AWS: AWS_ENDPOINT_URL points at a closed loopback port, so an
// accidental call would fail loudly instead of leaving the machine.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli, tmpWorkspace } from '../support/cli.js';
import { validateManifestsYaml } from '../support/schemas.js';

let ws: { dir: string; cleanup: () => void };
const env = { AWS_ENDPOINT_URL: 'http://127.0.0.1:9', AWS_ACCESS_KEY_ID: 'AKIDNOTUSED000000000', AWS_SECRET_ACCESS_KEY: 'not-used-not-used-not-used' };

beforeEach(() => {
  ws = tmpWorkspace('akictl-routing-replication-cli-');
});
afterEach(() => ws.cleanup());

describe('akictl day 2 / day 3 dry-run', () => {
  it('day 2 prints every AWS call as JSON and as an aws CLI line, with <known after …> where discovery fills in the address', async () => {
    const result = await runCli(['day', '2'], { cwd: ws.dir, env });
    expect(result.code).toBe(0);
    const out = result.stdout;
    expect(out).toContain('# ── 2/7 day2.discover-ingress');
    expect(out).toContain("kubectl get service istio-ingressgateway -n istio-system -o 'jsonpath={.status.loadBalancer.ingress[0]}' --context=us-west");
    expect(out).toContain('"IPAddress": "<known after day2.discover-ingress@us-west>"');
    expect(out).toMatch(/^aws route53 create-health-check --cli-input-json '\{"CallerReference":"akictl:us-west:[0-9a-f]{16}",/m);
    expect(out).toMatch(/^aws route53 change-resource-record-sets --cli-input-json '.*"GeoLocation":\{"CountryCode":"\*"\}/m);
    expect(out).toContain('"HealthCheckId": "<known after day2.health-checks@eu-central>"');
    expect(out).not.toContain('"Action": "CREATE"');
    expect(out).not.toContain('"ContinentCode": "*"');
    expect(out).toContain("aws route53 wait resource-record-sets-changed --id '<known after day2.geo-records>'");
    expect(out).toContain('kubectl apply --server-side --field-manager=akictl -f - --context=eu-central <<');
    expect(out).toContain('consecutive5xxErrors: 5');
    expect(out).not.toMatch(/^\s+consecutiveErrors:/m);
    expect(result.stderr).not.toMatch(/ECONNREFUSED|127\.0\.0\.1:9/);
  });

  it('day 3 prints versioning before replication for both buckets, the canaries both ways, and the CronJob per cluster', async () => {
    const result = await runCli(['day', '3', '--output', 'json'], { cwd: ws.dir, env });
    expect(result.code).toBe(0);
    const plan = JSON.parse(result.stdout);
    expect(plan.steps.map((step: { id: string }) => step.id)).toEqual([
      'day3.preflight',
      'day3.versioning',
      'day3.replication',
      'day3.canary',
      'day3.model-cache-sync',
    ]);
    const replication = plan.steps.find((step: { id: string }) => step.id === 'day3.replication');
    // First the guard against deleting rules akictl does not manage, then the put.
    expect(
      replication.instances.map((i: any) => [i.target, i.actions[0].name, i.actions[1].operation, i.actions[1].region, i.actions[1].input.Bucket]),
    ).toEqual([
      ['us-west', 'no-foreign-replication-rules', 'PutBucketReplication', 'us-west-1', 'akidb-models-us-west'],
      ['eu-central', 'no-foreign-replication-rules', 'PutBucketReplication', 'eu-central-1', 'akidb-models-eu-central'],
    ]);
    expect(replication.instances[0].actions[1].cli).toMatch(/^aws s3api put-bucket-replication --region us-west-1 --cli-input-json /);
    const canary = plan.steps.find((step: { id: string }) => step.id === 'day3.canary');
    expect(canary.instances.map((i: any) => i.target)).toEqual(['us-west->eu-central', 'eu-central->us-west']);
    expect(canary.gates.map((gate: any) => [gate.id, gate.expected])).toEqual([
      ['day3.replication-lag@us-west->eu-central', '≤ 900s'],
      ['day3.replication-lag@eu-central->us-west', '≤ 900s'],
    ]);
  });
});

describe('akictl render day 2 / day 3', () => {
  it('writes the manifests (valid against the schemas) and the AWS request bodies, named after their steps', async () => {
    const out2 = path.join(ws.dir, 'day2');
    const out3 = path.join(ws.dir, 'day3');
    expect((await runCli(['render', 'day', '2', '--out', out2], { cwd: ws.dir, env })).code).toBe(0);
    expect((await runCli(['render', 'day', '3', '--out', out3], { cwd: ws.dir, env })).code).toBe(0);
    expect(readdirSync(out2).sort()).toEqual([
      'day2.destination-rule@eu-central.yaml',
      'day2.destination-rule@us-west.yaml',
      'day2.gateway-routes@eu-central.yaml',
      'day2.gateway-routes@us-west.yaml',
      'day2.geo-records.ChangeResourceRecordSets.json',
      'day2.health-checks@eu-central.CreateHealthCheck.json',
      'day2.health-checks@us-west.CreateHealthCheck.json',
      'plan.json',
    ]);
    expect(readdirSync(out3).sort()).toEqual([
      'day3.model-cache-sync@eu-central.yaml',
      'day3.model-cache-sync@us-west.yaml',
      'day3.replication@eu-central.PutBucketReplication.json',
      'day3.replication@us-west.PutBucketReplication.json',
      'day3.versioning@eu-central.PutBucketVersioning.json',
      'day3.versioning@us-west.PutBucketVersioning.json',
      'plan.json',
    ]);
    for (const [dir, file] of [...readdirSync(out2).map((f) => [out2, f]), ...readdirSync(out3).map((f) => [out3, f])] as Array<[string, string]>) {
      if (file.endsWith('.yaml')) expect(validateManifestsYaml(readFileSync(path.join(dir, file), 'utf8')).errors, file).toEqual([]);
    }
    const body = JSON.parse(readFileSync(path.join(out3, 'day3.replication@eu-central.PutBucketReplication.json'), 'utf8'));
    expect(body).toMatchObject({ service: 's3', operation: 'PutBucketReplication', region: 'eu-central-1' });
    expect(body.input.ReplicationConfiguration.Rules[0].Destination).toEqual({
      Bucket: 'arn:aws:s3:::akidb-models-us-west',
      ReplicationTime: { Status: 'Enabled', Time: { Minutes: 15 } },
      Metrics: { Status: 'Enabled', EventThreshold: { Minutes: 15 } },
    });
    const records = JSON.parse(readFileSync(path.join(out2, 'day2.geo-records.ChangeResourceRecordSets.json'), 'utf8'));
    expect(records.input.ChangeBatch.Changes.map((c: any) => [c.Action, c.ResourceRecordSet.SetIdentifier])).toEqual([
      ['UPSERT', 'us-west-NA'],
      ['UPSERT', 'eu-central-EU'],
      ['UPSERT', 'default'],
    ]);
  });
});
