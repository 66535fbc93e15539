/*
 * Digital Bazaar verifier: @digitalbazaar/vc + DataIntegrityProof with the
 * eddsa-rdfc-2022 and eddsa-jcs-2022 cryptosuites, did:key resolved locally,
 * Bitstring Status List via @digitalbazaar/vc-bitstring-status-list.
 *
 * Checks (full mode): signature, issuer == verification method controller
 * (CredentialIssuancePurpose), validFrom/validUntil against `now`, and every
 * credentialStatus entry against the list supplied in options.statusLists.
 * proofOnly: the signature and that the key is an assertionMethod of its
 * controller, nothing else (the W3C vectors' issuer is not the key's DID).
 */
import * as vc from '@digitalbazaar/vc';
import jsigs from 'jsonld-signatures';
import {DataIntegrityProof} from '@digitalbazaar/data-integrity';
import {cryptosuite as eddsaRdfc2022} from
  '@digitalbazaar/eddsa-rdfc-2022-cryptosuite';
import {createVerifyCryptosuite as eddsaJcs2022} from
  '@digitalbazaar/eddsa-jcs-2022-cryptosuite';
import * as Ed25519Multikey from '@digitalbazaar/ed25519-multikey';
import {driver as didKeyDriverFactory} from '@digitalbazaar/did-method-key';
import {checkStatus as bslCheckStatus} from
  '@digitalbazaar/vc-bitstring-status-list';

import {BUNDLED_CONTEXTS} from './contexts.mjs';
import {errorMessages, indexControllers, jsonEqual, unique} from './util.mjs';

const didKeyDriver = didKeyDriverFactory();
didKeyDriver.use({
  multibaseMultikeyHeader: 'z6Mk',
  fromMultibase: Ed25519Multikey.from
});

// Suites are stateless for verification; build once.
const SUITE = [
  new DataIntegrityProof({cryptosuite: eddsaRdfc2022}),
  new DataIntegrityProof({cryptosuite: eddsaJcs2022()})
];

/**
 * Build the job's document loader: bundled contexts, job contexts, did:key,
 * job controller documents, job status list credentials. Anything else is
 * refused with "offline loader: no document for <url>".
 */
export function buildLoader({contexts = {}, controllers = [], statusLists = {}}) {
  const jobContexts = new Map(Object.entries(contexts));
  for(const [url, doc] of jobContexts) {
    const bundled = BUNDLED_CONTEXTS.get(url);
    if(bundled && !jsonEqual(bundled, doc)) {
      throw new Error(
        `context ${url} differs from the published document bundled with ` +
        'the verifier (do not modify standard contexts)');
    }
  }
  const controllerIndex = indexControllers(controllers);
  const lists = new Map(Object.entries(statusLists));

  return async function documentLoader(url) {
    if(typeof url !== 'string') {
      throw new TypeError('offline loader: URL must be a string');
    }
    if(url.startsWith('did:key:')) {
      const document = await didKeyDriver.get({url});
      return {contextUrl: null, documentUrl: url, document};
    }
    const bundled = BUNDLED_CONTEXTS.get(url);
    if(bundled) {
      // `static` lets jsonld keep the resolved context across operations;
      // safe because bundled documents never change.
      return {contextUrl: null, documentUrl: url,
        document: structuredClone(bundled), tag: 'static'};
    }
    // job-supplied documents: no tag, so jsonld never caches them beyond
    // one operation and a later job cannot see them.
    for(const source of [jobContexts, controllerIndex, lists]) {
      if(source.has(url)) {
        return {contextUrl: null, documentUrl: url,
          document: structuredClone(source.get(url))};
      }
    }
    throw new Error(`offline loader: no document for ${url}`);
  };
}

function statusDetails(statusResult) {
  const entries = [];
  for(const r of statusResult?.results ?? []) {
    const cs = r.credentialStatus ?? {};
    entries.push({
      purpose: cs.statusPurpose,
      index: cs.statusListIndex,
      list: cs.statusListCredential,
      set: r.status === true
    });
  }
  return entries;
}

/** Verify one credential; returns the harness result object. */
export async function verifyOne(credential, {documentLoader, proofOnly, now}) {
  const errors = [];
  let statusChecked = false;
  let revoked = null;
  let suspended = null;
  let status = [];
  let verified;

  if(proofOnly) {
    const res = await jsigs.verify(structuredClone(credential), {
      suite: SUITE,
      purpose: new jsigs.purposes.AssertionProofPurpose(),
      documentLoader
    });
    verified = res.verified === true;
    if(!verified) {
      errorMessages(res.error, errors);
      for(const r of res.results ?? []) {
        errorMessages(r.error, errors);
      }
    }
  } else {
    const res = await vc.verifyCredential({
      credential: structuredClone(credential),
      suite: SUITE,
      documentLoader,
      now: now ? new Date(now) : undefined,
      // the library's status checker verifies the list credential (same
      // suites, same loader) and that its issuer is the credential's issuer
      checkStatus: opts => bslCheckStatus({
        ...opts, suite: SUITE, documentLoader, verifyMatchingIssuers: true
      })
    });
    verified = res.verified === true;
    errorMessages(res.error, errors);
    for(const r of res.results ?? []) {
      errorMessages(r.error, errors);
    }
    const sr = res.statusResult;
    if(sr) {
      errorMessages(sr.error, errors);
      statusChecked = sr.verified === true;
      status = statusDetails(sr);
      if(statusChecked) {
        // Library semantics: statusResult.verified === true means "the list
        // was fetched and verified", NOT "not revoked"; the bit is `status`.
        const purposes = p => status.filter(s => s.purpose === p);
        revoked = purposes('revocation').length ?
          purposes('revocation').some(s => s.set) : null;
        suspended = purposes('suspension').length ?
          purposes('suspension').some(s => s.set) : null;
        for(const s of status) {
          if(s.set) {
            verified = false;
            errors.push(
              `${s.purpose} bit is set at index ${s.index} of ${s.list}`);
          }
        }
      }
    }
  }
  if(!verified && errors.length === 0) {
    errors.push('not verified (the library reported no error)');
  }
  const result = {
    verified,
    errors: verified ? [] : unique(errors),
    statusChecked,
    revoked
  };
  if(suspended !== null) {
    result.suspended = suspended;
  }
  if(status.length) {
    result.status = status;
  }
  return result;
}
