import { runSimulation } from '@cloud-copilot/iam-simulate';
import fs from 'fs';
const cases = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const out = [];
function derived(c) {
  const ctx = Object.assign({}, c.context || {});
  const lower = new Set(Object.keys(ctx).map(k => k.toLowerCase()));
  const put = (k, v) => { if (!lower.has(k.toLowerCase()) && v) ctx[k] = v; };
  const p = c.principal; const m = /^arn:([^:]+):(iam|sts)::(\d{12}):(.*)$/.exec(p);
  if (m) {
    const [, part, svc, acct, res] = m;
    let parn = p;
    if (svc === 'sts' && res.startsWith('assumed-role/')) parn = `arn:${part}:iam::${acct}:role/${res.split('/')[1]}`;
    put('aws:PrincipalArn', parn); put('aws:PrincipalAccount', acct);
    if (svc === 'iam' && res.startsWith('user/')) put('aws:username', res.split('/').pop());
    const type = res === 'root' ? 'Account' : res.startsWith('user/') ? 'User'
      : res.startsWith('federated-user/') ? 'FederatedUser' : 'AssumedRole';
    put('aws:PrincipalType', type); put('aws:PrincipalIsAWSService', 'false');
    if (res === 'root') put('aws:userid', acct);
  }
  put('aws:ResourceAccount', c.resource_owner);
  if (/^arn:[^:]+:s3:/.test(c.resource)) put('s3:ResourceAccount', c.resource_owner);
  return ctx;
}
for (const c of cases) {
  const sim = {
    request: {
      principal: c.principal === 'anonymous' ? { type: 'Anonymous' } : c.principal,
      action: c.action,
      resource: { resource: c.resource, accountId: c.resource_owner },
      contextVariables: derived(c),
    },
    identityPolicies: (c.identity_policies || []).map((p, i) => ({ name: 'id' + i, policy: p })),
    serviceControlPolicies: (c.scps || []).map((lvl, i) => ({ orgIdentifier: 'lvl' + i, policies: lvl.map((p, j) => ({ name: 's' + i + j, policy: p })) })),
    resourceControlPolicies: (c.rcps || []).map((lvl, i) => ({ orgIdentifier: 'lvl' + i, policies: lvl.map((p, j) => ({ name: 'r' + i + j, policy: p })) })),
    resourcePolicy: c.resource_policy || undefined,
    permissionBoundaryPolicies: c.permissions_boundary ? [{ name: 'pb', policy: c.permissions_boundary }] : undefined,
    sessionPolicy: c.session_policy || undefined,
    vpcEndpointPolicies: c.vpc_endpoint_policy ? [{ name: 'vpce', policy: c.vpc_endpoint_policy }] : undefined,
  };
  try {
    const r = await runSimulation(sim, {});
    if (r.resultType === 'error') out.push({ error: r.errors.message, detail: r.errors });
    else if (r.resultType === 'single') out.push({ decision: r.overallResult, ignored: r.result.ignoredContextKeys });
    else out.push({ decision: r.overallResult, multi: true });
  } catch (e) { out.push({ error: String(e) }); }
}
console.log(JSON.stringify(out));
