#!/usr/bin/env node
/*
 * Offline interop verifier for the credit bank's credentials.
 *
 *   node verify.mjs job.json        one job from a file
 *   node verify.mjs [-] < job.json  one job from stdin
 *   node verify.mjs --server        newline-delimited jobs on stdin, one
 *                                   JSON line answered per job (stays warm)
 *
 * Job:
 *   {"id": any (echoed), "verifier": "digitalbazaar" | "dcc",
 *    "credentials": [<credential>...],
 *    "options": {"proofOnly": bool, "contexts": {url: doc},
 *                "controllers": [doc], "statusLists": {url: listCredential},
 *                "now": "ISO date", "repeat": N}}
 * Answer (one line):
 *   {"id": ..., "results": [{"verified", "errors", "statusChecked",
 *    "revoked", ...}], "timing": {...}}   or   {"id": ..., "error": "..."}
 *
 * See README.md for the semantics of each field and of each verifier.
 */
// MUST stay the first import: it disables the network before any library
// module is evaluated and moves console output to stderr.
import './lib/network.mjs';

import {readFileSync} from 'node:fs';
import {createInterface} from 'node:readline';
import {performance} from 'node:perf_hooks';

import * as db from './lib/digitalbazaar.mjs';
import * as dcc from './lib/dcc.mjs';
import {errorMessages} from './lib/util.mjs';

const VERIFIERS = new Set(['digitalbazaar', 'dcc']);
const OPTION_KEYS = new Set(
  ['proofOnly', 'contexts', 'controllers', 'statusLists', 'now', 'repeat']);

let verificationsDone = 0;

function isObject(x) {
  return x !== null && typeof x === 'object' && !Array.isArray(x);
}

function checkJob(job) {
  if(!isObject(job)) {
    throw new TypeError('job must be a JSON object');
  }
  const verifier = job.verifier ?? 'digitalbazaar';
  if(!VERIFIERS.has(verifier)) {
    throw new TypeError(`unknown verifier ${JSON.stringify(verifier)}`);
  }
  if(!Array.isArray(job.credentials) || !job.credentials.every(isObject)) {
    throw new TypeError('"credentials" must be an array of objects');
  }
  const options = job.options ?? {};
  if(!isObject(options)) {
    throw new TypeError('"options" must be an object');
  }
  for(const k of Object.keys(options)) {
    if(!OPTION_KEYS.has(k)) {
      throw new TypeError(`unknown option ${JSON.stringify(k)}`);
    }
  }
  for(const k of ['contexts', 'statusLists']) {
    if(options[k] !== undefined && !isObject(options[k])) {
      throw new TypeError(`"options.${k}" must be an object (URL -> doc)`);
    }
  }
  if(options.controllers !== undefined && !Array.isArray(options.controllers)) {
    throw new TypeError('"options.controllers" must be an array');
  }
  if(options.now !== undefined && options.now !== null &&
    Number.isNaN(Date.parse(options.now))) {
    throw new TypeError('"options.now" must be an ISO 8601 date-time');
  }
  const repeat = options.repeat ?? 0;
  if(!Number.isInteger(repeat) || repeat < 0) {
    throw new TypeError('"options.repeat" must be a non-negative integer');
  }
  return {verifier, credentials: job.credentials, options, repeat};
}

function verdict(r) {
  return JSON.stringify([r.verified, r.statusChecked, r.revoked]);
}

async function runJob(job) {
  const {verifier, credentials, options, repeat} = checkJob(job);
  const wasWarm = verificationsDone > 0;
  let verifyOne;
  if(verifier === 'digitalbazaar') {
    const documentLoader = db.buildLoader(options);
    const opts = {documentLoader, proofOnly: !!options.proofOnly,
      now: options.now ?? undefined};
    verifyOne = c => db.verifyOne(c, opts);
  } else {
    if(options.proofOnly) {
      throw new TypeError('proofOnly is not supported by verifier "dcc"');
    }
    dcc.prepare(options);
    verifyOne = c => dcc.verifyOne(c, {now: options.now});
  }

  const guarded = verifyOne;
  verifyOne = async c => {
    try {
      return await guarded(c);
    } catch(e) {
      // libraries normally report failures in their result; never let one
      // credential's exception sink the rest of the job
      return {verified: false, errors: errorMessages(e).map(m => `harness: ${m}`),
        statusChecked: false, revoked: null};
    }
  };

  const t0 = performance.now();
  const results = [];
  for(const c of credentials) {
    results.push(await verifyOne(c));
  }
  const firstMs = performance.now() - t0;
  verificationsDone += credentials.length;

  let warmMs = null;
  if(repeat > 0 && credentials.length) {
    const t1 = performance.now();
    for(let i = 0; i < repeat; i++) {
      for(const [k, c] of credentials.entries()) {
        const again = await verifyOne(c);
        if(verdict(again) !== verdict(results[k])) {
          results[k].verified = false;
          results[k].errors.push(
            `harness: non-deterministic verdict on repeat ${i + 1}`);
        }
      }
    }
    warmMs = (performance.now() - t1) / (repeat * credentials.length);
    verificationsDone += repeat * credentials.length;
  }
  const n = credentials.length || 1;
  const round = x => (x === null ? null : Math.round(x * 1000) / 1000);
  return {
    results,
    timing: {
      // mean over the `repeat` extra passes; without repeat, this job's
      // single pass (warm only if the process had verified before)
      warm_ms_per_credential: round(
        warmMs ?? (wasWarm ? firstMs / n : null)),
      first_pass_ms_per_credential: round(firstMs / n),
      first_pass_warm: wasWarm,
      repeat,
      credentials: credentials.length
    }
  };
}

async function answer(job) {
  const id = isObject(job) && 'id' in job ? {id: job.id} : {};
  try {
    return {...id, ...await runJob(job)};
  } catch(e) {
    return {...id, error: errorMessages(e).join('; ')};
  }
}

function emit(obj) {
  process.stdout.write(JSON.stringify(obj) + '\n');
}

async function serve() {
  const rl = createInterface({input: process.stdin, crlfDelay: Infinity});
  for await (const line of rl) {
    if(!line.trim()) {
      continue;
    }
    let job;
    try {
      job = JSON.parse(line);
    } catch(e) {
      emit({error: `invalid JSON job: ${e.message}`});
      continue;
    }
    emit(await answer(job));
  }
}

async function once(source) {
  const text = source === '-' ? readFileSync(0, 'utf8') :
    readFileSync(source, 'utf8');
  let job;
  try {
    job = JSON.parse(text);
  } catch(e) {
    emit({error: `invalid JSON job: ${e.message}`});
    return 2;
  }
  const out = await answer(job);
  emit(out);
  return out.error ? 2 : 0;
}

const args = process.argv.slice(2);
if(args.includes('-h') || args.includes('--help')) {
  console.error('usage: node verify.mjs [job.json | - | --server]');
  process.exitCode = 0;
} else if(args[0] === '--server') {
  await serve();
} else if(args.length <= 1) {
  process.exit(await once(args[0] ?? "-"));
} else {
  console.error('usage: node verify.mjs [job.json | - | --server]');
  process.exitCode = 2;
}
