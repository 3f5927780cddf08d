/**
 * Canonical hosted zone ids of Elastic Load Balancing per region, for Route 53 alias records. Network Load
 * Balancers and Application/Classic Load Balancers have different zones. Source: AWS General Reference,
 * "Elastic Load Balancing endpoints and quotas" (the same table the Terraform AWS provider ships in
 * internal/service/elbv2/hosted_zone_id_data_source.go). `dns.aliasHostedZoneIds` overrides it.
 */
const NLB: Record<string, string> = {
  'af-south-1': 'Z203XCE67M25HM',
  'ap-east-1': 'Z12Y7K3UBGUAD1',
  'ap-northeast-1': 'Z31USIVHYNEOWT',
  'ap-northeast-2': 'ZIBE1TIR4HY56',
  'ap-northeast-3': 'Z1GWIQ4HH19I5X',
  'ap-south-1': 'ZVDDRBQ08TROA',
  'ap-south-2': 'Z0711778386UTO08407HT',
  'ap-southeast-1': 'ZKVM4W9LS7TM',
  'ap-southeast-2': 'ZCT6FZBF4DROD',
  'ap-southeast-3': 'Z01971771FYVNCOVWJU1G',
  'ca-central-1': 'Z2EPGBW3API2WT',
  'eu-central-1': 'Z3F0SRJ5LGBH90',
  'eu-central-2': 'Z02239872DOALSIDCX66S',
  'eu-north-1': 'Z1UDT6IFJ4EJM',
  'eu-south-1': 'Z23146JA1KNAFP',
  'eu-south-2': 'Z1011216NVTVYADP1SSV',
  'eu-west-1': 'Z2IFOLAFXWLO4F',
  'eu-west-2': 'ZD4D7Y8KGAS4G',
  'eu-west-3': 'Z1CMS0P5QUZ6D5',
  'me-central-1': 'Z00282643NTTLPANJJG2P',
  'me-south-1': 'Z3QSRYVP46NYYV',
  'sa-east-1': 'ZTK26PT1VY4CU',
  'us-east-1': 'Z26RNL4JYFTOTI',
  'us-east-2': 'ZLMOA37VPKANP',
  'us-gov-east-1': 'Z1ZSMQQ6Q24QQ8',
  'us-gov-west-1': 'ZMG1MZ2THAWF1',
  'us-west-1': 'Z24FKFUX50B4VW',
  'us-west-2': 'Z18D5FSROUN65G',
};

const ALB_CLB: Record<string, string> = {
  'af-south-1': 'Z268VQBMOI5EKX',
  'ap-east-1': 'Z3DQVH9N71FHZ0',
  'ap-northeast-1': 'Z14GRHDCWA56QT',
  'ap-northeast-2': 'ZWKZPGTI48KDX',
  'ap-northeast-3': 'Z5LXEXXYW11ES',
  'ap-south-1': 'ZP97RAFLXTNZK',
  'ap-south-2': 'Z0173938T07WNTVAEPZN',
  'ap-southeast-1': 'Z1LMS91P8CMLE5',
  'ap-southeast-2': 'Z1GM3OXH4ZPM65',
  'ap-southeast-3': 'Z08888821HLRG5A9ZRTER',
  'ca-central-1': 'ZQSVJUPU6J1EY',
  'eu-central-1': 'Z215JYRZR1TBD5',
  'eu-central-2': 'Z06391101F2ZOEP8P5EB3',
  'eu-north-1': 'Z23TAZ6LKFMNIO',
  'eu-south-1': 'Z3ULH7SSC9OV64',
  'eu-south-2': 'Z0956581394HF5D5LXGAP',
  'eu-west-1': 'Z32O12XQLNTSW2',
  'eu-west-2': 'ZHURV8PSTC4K8',
  'eu-west-3': 'Z3Q77PNBQS71R4',
  'me-central-1': 'Z08230872XQRWHG2XF6I',
  'me-south-1': 'ZS929ML54UICD',
  'sa-east-1': 'Z2P70J7HTTTPLU',
  'us-east-1': 'Z35SXDOTRQ7X7K',
  'us-east-2': 'Z3AADJGX6KTTL2',
  'us-gov-east-1': 'Z166TLBEWOO7G0',
  'us-gov-west-1': 'Z33AYJ8TM3BH4J',
  'us-west-1': 'Z368ELLRRE2KJ0',
  'us-west-2': 'Z1H1FL5HABSF5',
};

export interface LoadBalancerName {
  type: 'network' | 'application-or-classic';
  region: string;
}

/**
 * What an ELB DNS name says about its load balancer. NLBs are named `<name>-<id>.elb.<region>.amazonaws.com`,
 * ALBs and Classic ELBs `<name>-<id>.<region>.elb.amazonaws.com` (optionally `internal-`, `dualstack.`).
 */
export function parseLoadBalancerName(hostname: string): LoadBalancerName | undefined {
  const name = hostname.toLowerCase().replace(/\.$/, '');
  const nlb = /\.elb\.([a-z]{2}(?:-gov)?-[a-z]+-\d)\.amazonaws\.com(?:\.cn)?$/.exec(name);
  if (nlb) return { type: 'network', region: nlb[1]! };
  const alb = /\.([a-z]{2}(?:-gov)?-[a-z]+-\d)\.elb\.amazonaws\.com(?:\.cn)?$/.exec(name);
  if (alb) return { type: 'application-or-classic', region: alb[1]! };
  return undefined;
}

/**
 * The hosted zone id an alias record to this load balancer must carry. The configured override for the
 * cluster's region wins; otherwise the table, by the type and region read from the name.
 */
export function aliasHostedZoneId(hostname: string, clusterRegion: string, overrides: Record<string, string>): { zoneId?: string; why: string } {
  const override = overrides[clusterRegion];
  if (override) return { zoneId: override, why: `dns.aliasHostedZoneIds.${clusterRegion}` };
  const parsed = parseLoadBalancerName(hostname);
  if (!parsed) return { why: `${hostname} is not an Elastic Load Balancing name (…elb.<region>.amazonaws.com)` };
  const zoneId = (parsed.type === 'network' ? NLB : ALB_CLB)[parsed.region];
  if (!zoneId) return { why: `no ${parsed.type} load balancer zone known for region ${parsed.region}` };
  return { zoneId, why: `${parsed.type === 'network' ? 'Network' : 'Application/Classic'} Load Balancer in ${parsed.region}` };
}
