/*
 * Offline guard. Imported FIRST by verify.mjs, before any verifier library.
 *
 * 1. Every socket connect is refused (covers undici agents, http/https, tls).
 * 2. globalThis.fetch is replaced by a "simulated network": it answers only
 *    URLs the current job registered (see setSimulatedDocuments) and refuses
 *    everything else. Only the DCC verifier uses it: verifier-core accepts no
 *    document loader and fetches whatever it does not bundle, so serving the
 *    job's documents at their URLs is the one way to hand them to it, exactly
 *    as the bank would serve them over HTTP.
 * 3. console output goes to stderr: stdout carries one JSON line per job and
 *    verifier-core logs with console.log.
 */
import net from 'node:net';

export class OfflineError extends Error {
  constructor(message) {
    super(message);
    this.name = 'OfflineError';
  }
}

const refusedLog = [];

function refuse(what) {
  refusedLog.push(what);
  return new OfflineError(`offline harness: network access refused: ${what}`);
}

net.Socket.prototype.connect = function connect(...args) {
  const opts = args[0];
  let where = 'socket';
  if(opts && typeof opts === 'object') {
    where = `${opts.host || opts.path || '?'}:${opts.port ?? ''}`;
  } else if(typeof opts === 'number' || typeof opts === 'string') {
    where = `${args[1] || 'localhost'}:${opts}`;
  }
  const err = refuse(where);
  process.nextTick(() => this.destroy(err));
  return this;
};

let simulated = new Map();

/** Serve these URL -> JSON document pairs to fetch() until the next call. */
export function setSimulatedDocuments(map) {
  simulated = map instanceof Map ? map : new Map(Object.entries(map || {}));
}

/** URLs refused since the last call (and reset the list). */
export function takeRefused() {
  return refusedLog.splice(0, refusedLog.length);
}

globalThis.fetch = async function offlineFetch(input /* , init */) {
  const url = typeof input === 'string' ? input :
    (input instanceof URL ? input.href : input?.url);
  const key = String(url).split('#')[0];
  if(simulated.has(key)) {
    return new Response(JSON.stringify(simulated.get(key)), {
      status: 200,
      headers: {'content-type': 'application/ld+json'}
    });
  }
  throw refuse(String(url));
};

for(const level of ['log', 'info', 'debug', 'warn']) {
  console[level] = (...args) => console.error(...args);
}
