// Day 2's Route 53 calls through the real AWS SDK against a loopback server (test/support/aws-loopback.ts): the
// change batch is serialised into a real request, and a throttled call is retried by the SDK.
import { describe, expect, it } from 'vitest';
import day2 from '../../days/day2.js';
import { loopbackAws } from '../support/aws-loopback.js';
import { runDay, seedOutputs, tempStateDir, testConfig } from '../support/run-day.js';

const aws = loopbackAws();

const R53 = 'xmlns="https://route53.amazonaws.com/doc/2013-04-01/"';
const US = '203.0.113.10';
const EU = '198.51.100.20';
const HC = { 'us-west': '11111111-2222-4333-8444-555555555555', 'eu-central': '66666666-7777-4888-8999-000000000000' };

function recordXml(id: string, geo: string, ip: string, healthCheckId?: string): string {
  return `<ResourceRecordSet><Name>api.akidb.io.</Name><Type>A</Type><SetIdentifier>${id}</SetIdentifier><GeoLocation>${geo}</GeoLocation><TTL>60</TTL><ResourceRecords><ResourceRecord><Value>${ip}</Value></ResourceRecord></ResourceRecords>${healthCheckId ? `<HealthCheckId>${healthCheckId}</HealthCheckId>` : ''}</ResourceRecordSet>`;
}

describe('Route 53 calls through a loopback endpoint (real SDK serialisation)', () => {
  it('Route 53: the change batch goes out as UPSERTs with CountryCode "*", a throttled call is retried, INSYNC is polled, and the gates read real responses', async () => {
    let changed = false;
    let throttled = 0;
    aws.handler = (req, url) => {
      if (req.method === 'GET' && url.pathname === '/2013-04-01/hostedzone/Z123456/rrset') {
        const records = changed
          ? recordXml('default', '<CountryCode>*</CountryCode>', US) +
            recordXml('eu-central-EU', '<ContinentCode>EU</ContinentCode>', EU, HC['eu-central']) +
            recordXml('us-west-NA', '<ContinentCode>NA</ContinentCode>', US, HC['us-west'])
          : '';
        return {
          status: 200,
          body: `<?xml version="1.0"?><ListResourceRecordSetsResponse ${R53}><ResourceRecordSets>${records}</ResourceRecordSets><IsTruncated>false</IsTruncated><MaxItems>300</MaxItems></ListResourceRecordSetsResponse>`,
        };
      }
      if (req.method === 'POST' && /^\/2013-04-01\/hostedzone\/Z123456\/rrset\/?$/.test(url.pathname)) {
        if (throttled++ === 0) {
          return {
            status: 400,
            body: `<?xml version="1.0"?><ErrorResponse ${R53}><Error><Type>Sender</Type><Code>Throttling</Code><Message>Rate exceeded</Message></Error><RequestId>r-1</RequestId></ErrorResponse>`,
          };
        }
        changed = true;
        return {
          status: 200,
          body: `<?xml version="1.0"?><ChangeResourceRecordSetsResponse ${R53}><ChangeInfo><Id>/change/C0LOOPBACK</Id><Status>PENDING</Status><SubmittedAt>2025-01-01T00:00:00Z</SubmittedAt></ChangeInfo></ChangeResourceRecordSetsResponse>`,
        };
      }
      if (req.method === 'GET' && url.pathname === '/2013-04-01/change/C0LOOPBACK') {
        const polls = aws.seen.filter((r) => r.path.startsWith('/2013-04-01/change/')).length;
        return {
          status: 200,
          body: `<?xml version="1.0"?><GetChangeResponse ${R53}><ChangeInfo><Id>/change/C0LOOPBACK</Id><Status>${polls < 2 ? 'PENDING' : 'INSYNC'}</Status><SubmittedAt>2025-01-01T00:00:00Z</SubmittedAt></ChangeInfo></GetChangeResponse>`,
        };
      }
      if (req.method === 'GET' && url.pathname === '/2013-04-01/testdnsanswer') {
        const ip = url.searchParams.get('edns0clientsubnetip') === '3.120.0.0' ? EU : US;
        return {
          status: 200,
          body: `<?xml version="1.0"?><TestDNSAnswerResponse ${R53}><Nameserver>ns-1.awsdns-01.org</Nameserver><RecordName>api.akidb.io</RecordName><RecordType>A</RecordType><RecordData><RecordDataEntry>${ip}</RecordDataEntry></RecordData><ResponseCode>NOERROR</ResponseCode><Protocol>UDP</Protocol></TestDNSAnswerResponse>`,
        };
      }
      return {
        status: 404,
        body: `<?xml version="1.0"?><ErrorResponse ${R53}><Error><Type>Sender</Type><Code>NotImplemented</Code><Message>${req.method} ${req.path}</Message></Error></ErrorResponse>`,
      };
    };

    const run = await runDay(day2, testConfig({ execution: { retries: 2 } }), tempStateDir(), {
      selection: { only: ['geo-records'] },
      seed: (store) => {
        seedOutputs(store, 'day2.discover-ingress@us-west', { address: US, kind: 'ip' });
        seedOutputs(store, 'day2.discover-ingress@eu-central', { address: EU, kind: 'ip' });
        seedOutputs(store, 'day2.health-checks@us-west', { healthCheckId: HC['us-west'] });
        seedOutputs(store, 'day2.health-checks@eu-central', { healthCheckId: HC['eu-central'] });
      },
    });
    expect(run.error?.message).toBeUndefined();

    const posts = aws.seen.filter((r) => r.method === 'POST');
    expect(posts).toHaveLength(2); // throttled once, retried by the SDK
    const xml = posts[1]!.body;
    expect(xml).toContain('<ChangeResourceRecordSetsRequest xmlns="https://route53.amazonaws.com/doc/2013-04-01/">');
    expect(xml.match(/<Action>UPSERT<\/Action>/g)).toHaveLength(3);
    expect(xml).not.toContain('<Action>CREATE</Action>');
    expect(xml).toContain('<SetIdentifier>default</SetIdentifier><GeoLocation><CountryCode>*</CountryCode></GeoLocation>');
    expect(xml).not.toMatch(/<ContinentCode>\*<\/ContinentCode>/);
    expect(xml).toContain(`<HealthCheckId>${HC['us-west']}</HealthCheckId>`);
    expect(aws.seen.filter((r) => r.path.startsWith('/2013-04-01/change/'))).toHaveLength(2);

    const dnsQueries = aws.seen.filter((r) => r.path.startsWith('/2013-04-01/testdnsanswer')).map((r) => new URL(r.path, 'http://127.0.0.1').searchParams);
    expect(dnsQueries.map((q) => [q.get('edns0clientsubnetip'), q.get('edns0clientsubnetmask'), q.get('recordtype')])).toEqual(
      expect.arrayContaining([
        ['3.80.0.0', '24', 'A'],
        ['3.120.0.0', '24', 'A'],
      ]),
    );
    expect(run.store.data.gates['day2.records-match']?.status).toBe('pass');
    expect(run.store.data.gates['day2.geo-answer@eu-central']?.status).toBe('pass');
  });

  it('Route 53 throttling that persists past the retries fails the step naming the operation, the attempts and akictl resume', async () => {
    aws.handler = () => ({
      status: 400,
      body: `<?xml version="1.0"?><ErrorResponse ${R53}><Error><Type>Sender</Type><Code>Throttling</Code><Message>Rate exceeded</Message></Error><RequestId>r-2</RequestId></ErrorResponse>`,
    });
    const run = await runDay(day2, testConfig({ execution: { retries: 1 } }), tempStateDir(), {
      selection: { only: ['health-checks'], clusters: ['us-west'] },
      seed: (store) => seedOutputs(store, 'day2.discover-ingress@us-west', { address: US, kind: 'ip' }),
    });
    expect(run.ok).toBe(false);
    expect(run.error?.exitCode).toBe(1);
    // A done check that cannot be evaluated stops the step (running it could create a second health check).
    // The SDK retried the call (retries: 1); the check around it is not retried again, which would square the
    // calls to a throttled API. Nothing was created.
    expect(run.error?.message).toContain(
      'step day2.health-checks@us-west failed: cannot tell whether day2.health-checks@us-west is already done (checked 1 time)',
    );
    expect(run.error?.message).toContain('ListHealthChecks failed: Throttling: Rate exceeded (HTTP 400)');
    expect(aws.seen.filter((r) => r.path.startsWith('/2013-04-01/healthcheck'))).toHaveLength(2);
    expect(aws.seen.filter((r) => r.method === 'POST')).toEqual([]);
  });
});
