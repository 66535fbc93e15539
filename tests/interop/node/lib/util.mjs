/* Small helpers shared by both verifiers. */

/** Flatten an error tree (VerificationError.errors, cause, JSON-LD details)
 * into readable strings, outermost first. */
export function errorMessages(err, out = [], seen = new Set()) {
  if(err === undefined || err === null || seen.has(err)) {
    return out;
  }
  if(typeof err !== 'object') {
    out.push(String(err));
    return out;
  }
  seen.add(err);
  let msg = err.message || String(err);
  const event = err.details?.event;
  if(event) {
    const prop = event.details?.property ?? event.details?.type ??
      event.details?.term;
    msg += ` (${event.code || 'event'}` +
      (prop !== undefined ? `: ${JSON.stringify(prop)}` : '') + ')';
  }
  out.push(msg);
  if(Array.isArray(err.errors)) {
    for(const e of err.errors) {
      errorMessages(e, out, seen);
    }
  }
  errorMessages(err.cause, out, seen);
  errorMessages(err.details?.cause, out, seen);
  return out;
}

export function unique(list) {
  return [...new Set(list)];
}

/** Structural equality of two JSON values (object key order ignored). */
export function jsonEqual(a, b) {
  if(a === b) {
    return true;
  }
  if(typeof a !== typeof b || a === null || b === null ||
    typeof a !== 'object') {
    return false;
  }
  if(Array.isArray(a) !== Array.isArray(b)) {
    return false;
  }
  if(Array.isArray(a)) {
    return a.length === b.length && a.every((v, i) => jsonEqual(v, b[i]));
  }
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  return ka.length === kb.length &&
    ka.every(k => Object.hasOwn(b, k) && jsonEqual(a[k], b[k]));
}

const VM_RELATIONS = [
  'verificationMethod', 'assertionMethod', 'authentication',
  'capabilityInvocation', 'capabilityDelegation', 'keyAgreement'
];

/** Index a controller document and its embedded verification methods by
 * id; each method is served with the controller document's @context. */
export function indexControllers(controllers = []) {
  const index = new Map();
  for(const doc of controllers) {
    if(!doc || typeof doc !== 'object' || typeof doc.id !== 'string') {
      throw new TypeError('each controller document needs a string "id"');
    }
    index.set(doc.id, doc);
    for(const rel of VM_RELATIONS) {
      for(const vm of [].concat(doc[rel] ?? [])) {
        if(vm && typeof vm === 'object' && typeof vm.id === 'string' &&
          !index.has(vm.id)) {
          index.set(vm.id, {'@context': doc['@context'], ...vm});
        }
      }
    }
  }
  return index;
}

/** Per-entry status details from a credential's credentialStatus. */
export function statusEntries(credential) {
  return [].concat(credential?.credentialStatus ?? []).filter(
    s => s && typeof s === 'object');
}
