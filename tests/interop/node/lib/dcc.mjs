/*
 * Digital Credentials Consortium verifier-core (the library behind the
 * Learner Credential Wallet and VerifierPlus), used exactly as its API
 * allows: verifyCredential({credential, knownDIDRegistries}). It accepts no
 * document loader, no clock and no status list: it bundles the VC, OB 3.0,
 * Data Integrity, status-list and did contexts, resolves did:key locally and
 * FETCHES everything else (other contexts, did:web / https controller
 * documents, status lists, the OB JSON schema).
 *
 * Offline, network.mjs refuses those fetches except for documents the job
 * supplied (options.contexts, options.controllers, options.statusLists),
 * which are served at their URLs as the bank would serve them.
 *
 * What we count (verified): signature (includes issuer == key controller;
 * verifier-core reports a mismatch as "The signature is not valid."),
 * validity dates against the SYSTEM clock (options.now is ignored), and a
 * set status bit when a status list was supplied. Not counted, reported in
 * `info`: the issuer registry step (knownDIDRegistries is empty, so it is
 * always false), the OB JSON-schema check (its schema fetch is refused), and
 * a status list that could not be loaded (statusChecked false, revoked null).
 */
import {setSimulatedDocuments, takeRefused} from './network.mjs';
import {errorMessages, indexControllers, unique} from './util.mjs';

let dccModule;

async function load() {
  dccModule ??= await import('@digitalcredentials/verifier-core');
  return dccModule;
}

/** Prepare the simulated network for one job. */
export function prepare({contexts = {}, controllers = [], statusLists = {}}) {
  const docs = new Map(Object.entries(contexts));
  for(const [id, doc] of indexControllers(controllers)) {
    docs.set(id, doc);
  }
  for(const [url, doc] of Object.entries(statusLists)) {
    docs.set(url, doc);
  }
  setSimulatedDocuments(docs);
}

export async function verifyOne(credential, {now} = {}) {
  const {verifyCredential} = await load();
  takeRefused();
  const r = await verifyCredential({
    credential: structuredClone(credential),
    // note: the README says `knownDidRegistries`; the code reads this name
    knownDIDRegistries: []
  });
  const errors = [];
  const info = [];
  let statusChecked = false;
  let revoked = null;
  let verified;

  if(Array.isArray(r.errors) && r.errors.length) {
    // fatal: bad signature, issuer mismatch, JSON-LD error, no proof, ...
    verified = false;
    for(const e of r.errors) {
      errors.push(`${e.name}: ${e.message}`);
    }
  } else {
    const log = r.log ?? [];
    const step = id => log.find(s => s.id === id);
    const sig = step('valid_signature');
    const exp = step('expiration');
    verified = sig?.valid === true;
    if(r.error) {
      // e.g. validFrom in the future: thrown after the signature passed,
      // and the log then lacks the signature step
      verified = false;
      errors.push(...errorMessages(r.error));
    } else if(!verified) {
      errors.push('valid_signature: not reported valid');
    }
    if(exp && exp.valid !== true) {
      verified = false;
      errors.push('expiration: credential is expired or not yet valid');
    }
    for(const s of log.filter(s => /_status$/.test(s.id))) {
      if(s.error) {
        info.push(`${s.id}: not checked (${s.error.name}: ${s.error.message})`);
        continue;
      }
      // this fork's status library: valid === !bit (unlike Digital Bazaar's)
      statusChecked = true;
      if(s.id === 'revocation_status') {
        revoked = (revoked === true) || s.valid === false;
      }
      if(s.valid === false) {
        verified = false;
        errors.push(`${s.id}: status bit is set`);
      }
    }
    const reg = step('registered_issuer');
    if(reg) {
      info.push(`registered_issuer: ${reg.valid} (no registries configured)`);
    }
    for(const a of r.additionalInformation ?? []) {
      if(a.id === 'schema_check') {
        info.push(`schema_check: ${JSON.stringify(a.results)}`);
      }
    }
  }
  if(now) {
    info.push('options.now ignored: verifier-core uses the system clock');
  }
  const refused = unique(takeRefused());
  if(refused.length) {
    info.push(`network refused: ${refused.join(', ')}`);
  }
  return {
    verified,
    errors: verified ? [] : unique(errors),
    statusChecked,
    revoked,
    info
  };
}
