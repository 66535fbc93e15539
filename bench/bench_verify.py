"""Benchmark: POST /api/v1/verify of one record credential over HTTP vs @digitalbazaar/vc in one warm Node process.

A fresh SQLite instance (migrated, a college with a custodial key, one account, one posted record), gunicorn
with 1 sync worker on a loopback port, one client connection: p50/p90 latency of `POST /api/v1/verify`
(every check: proof, issuer, authority, key, status, log with inclusion proof). Then, in the same run on the
same machine, the warm Node harness (tests/interop/node, `repeat`) verifies the same credential with its status
list. Prints one JSON line with both sides and the ratio of throughputs (one connection / one Node process;
neither is pinned to a core, both share the machine's cores).

    .venv/bin/python bench/bench_verify.py [--requests 300] [--repeat 300]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench._server import gunicorn, pct  # noqa: E402
from bench.bench_account_read import _setup  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--repeat", type=int, default=300)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="creditbank-bench-") as tmp:
        instance = Path(tmp)
        setup = _setup(instance)
        credential = setup["credential"]
        with gunicorn(instance, workers=1) as port:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            body = json.dumps({"credential": credential}).encode()
            headers = {"Content-Type": "application/json"}
            # a checkpoint covering the record first (the lazy cadence signs at most once a second)
            deadline = time.time() + 10
            while True:
                conn.request("POST", "/api/v1/verify", body=body, headers=headers)
                answer = json.loads(conn.getresponse().read())
                if answer["verified"] or time.time() > deadline:
                    break
                time.sleep(0.3)
            assert answer["verified"], answer
            lists = {}
            for entry in credential["credentialStatus"]:
                url = entry["statusListCredential"]
                conn.request("GET", url.split("8000", 1)[1])
                lists[url] = json.loads(conn.getresponse().read())
            load_before = os.getloadavg()
            times = []
            for _ in range(args.requests):
                t0 = time.perf_counter()
                conn.request("POST", "/api/v1/verify", body=body, headers=headers)
                resp = conn.getresponse()
                resp.read()
                times.append(time.perf_counter() - t0)
                assert resp.status == 200
            conn.close()
    from tests.interop.nodeverify import NodeVerifier

    with NodeVerifier() as nv:
        nv.verify([credential], "digitalbazaar", status_lists=lists)  # warm-up
        answer = nv.run({"verifier": "digitalbazaar", "credentials": [credential],
                         "options": {"statusLists": lists, "repeat": args.repeat}})
    node_ms = answer["timing"]["warm_ms_per_credential"]
    assert answer["results"][0]["verified"], answer["results"][0]["errors"]
    load_after = os.getloadavg()
    mean_s = sum(times) / len(times)
    ours_per_s = 1 / mean_s
    node_per_s = 1000 / node_ms
    print(json.dumps({
        "bench": "verify", "db": "sqlite", "workers": 1, "connections": 1, "requests": args.requests,
        "verify_http_p50_ms": pct(times, 0.5), "verify_http_p90_ms": pct(times, 0.9),
        "verify_http_per_s": round(ours_per_s, 1), "digitalbazaar_warm_ms": node_ms,
        "digitalbazaar_per_s": round(node_per_s, 1), "ratio_ours_over_digitalbazaar": round(ours_per_s / node_per_s, 2),
        "note": "ours: full bank verdict over HTTP incl. DB reads and inclusion proof; DB: proof + status list only",
        "loadavg_before": [round(x, 2) for x in load_before], "loadavg_after": [round(x, 2) for x in load_after],
        "cpus": os.cpu_count(), "python": platform.python_version(),
    }))


if __name__ == "__main__":
    main()
