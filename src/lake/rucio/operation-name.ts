// The catalogue operation a REST call performs, in the words of Rucio's permission policy
// (add_rule, del_rule, set_metadata …), so a refusal names what the account may not do.

/** Ordered: the first match wins. */
const OPERATIONS: [method: string, path: RegExp, name: string][] = [
  ['POST', /^\/rules\/?$/, 'add rule'],
  ['DELETE', /^\/rules\/[^/]+$/, 'delete rule'],
  ['PUT', /^\/rules\/[^/]+$/, 'update rule'],
  ['POST', /^\/dids\/.+\/meta\/lifetime$/, 'set DID lifetime'],
  ['POST', /^\/dids\/.+\/meta(?:\/|$)/, 'set metadata'],
  ['POST', /^\/dids\/.+\/dids$/, 'attach DIDs'],
  ['POST', /^\/dids\/[^/]+\/[^/]+$/, 'add DID'],
  ['POST', /^\/replicas\/list$/, 'list replicas'],
  ['POST', /^\/replicas$/, 'add replicas'],
  ['DELETE', /^\/replicas$/, 'delete replicas'],
  ['PUT', /^\/replicas$/, 'update replica states'],
  ['POST', /^\/accounts\/[^/]+\/limits\//, 'set account limit'],
  ['POST', /^\/accounts\/[^/]+\/scopes\//, 'add scope'],
];

/** 'delete rule' for DELETE /rules/<id>; else 'read <resource>' or '<METHOD> <resource>'. */
export function catalogueOperation(method: string, path: string): string {
  const bare = path.split('?')[0] ?? path;
  for (const [m, pattern, name] of OPERATIONS) if (m === method && pattern.test(bare)) return name;
  const resource = bare.split('/').find(Boolean) ?? '/';
  return method === 'GET' ? `read ${resource}` : `${method} ${resource}`;
}
