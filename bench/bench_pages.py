"""Page latency benchmark: p50/p90 of every web page with the demo data, on SQLite. Prints one JSON line.

    .venv/bin/python bench/bench_pages.py [--requests 50]

A fresh instance in a temporary directory: migrated, demo data loaded (`flask demo init`, 300 learners and
their records), then gunicorn (2 sync workers) on a loopback port. Each demo login logs in through /login
(CSRF and all) and each page is fetched `--requests` times after 5 warm-up fetches. Target: p50 < 200 ms.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = ROOT / ".venv" / "bin"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _cookies(resp: http.client.HTTPResponse, jar: dict[str, str]) -> None:
    for header in resp.headers.get_all("Set-Cookie") or []:
        name, _, rest = header.partition("=")
        jar[name.strip()] = rest.split(";", 1)[0]


def _get(port: int, path: str, jar: dict[str, str]) -> tuple[int, str]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("GET", path, headers={"Cookie": "; ".join(f"{k}={v}" for k, v in jar.items())})
    resp = conn.getresponse()
    body = resp.read().decode()
    _cookies(resp, jar)
    conn.close()
    return resp.status, body


def _login(port: int, username: str, password: str) -> dict[str, str]:
    jar: dict[str, str] = {}
    _, html = _get(port, "/login", jar)
    m = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert m
    body = urllib.parse.urlencode({"username": username, "password": password, "csrf_token": m.group(1)})
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("POST", "/login", body=body, headers={"Content-Type": "application/x-www-form-urlencoded",
                                                       "Cookie": "; ".join(f"{k}={v}" for k, v in jar.items())})
    resp = conn.getresponse()
    resp.read()
    _cookies(resp, jar)
    conn.close()
    assert resp.status == 302, resp.status
    return jar


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=50)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "CREDITBANK_INSTANCE_PATH": tmp, "CREDITBANK_DEMO": "true",
               "CREDITBANK_CHECKPOINT_THREAD": "false", "CREDITBANK_RATELIMIT_ENABLED": "false"}
        subprocess.run([str(BIN / "flask"), "--app", "app", "db", "upgrade"], cwd=ROOT, env=env, check=True,
                       capture_output=True)
        t0 = time.perf_counter()
        subprocess.run([str(BIN / "flask"), "--app", "app", "demo", "init"], cwd=ROOT, env=env, check=True,
                       capture_output=True)
        demo_s = time.perf_counter() - t0
        logins = json.loads((Path(tmp) / "demo-keys.json").read_text())["logins"]
        port = _free_port()
        server = subprocess.Popen([str(BIN / "gunicorn"), "--workers", "2", "--bind", f"127.0.0.1:{port}",
                                   "app:create_app()"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL)
        try:
            for _ in range(100):
                try:
                    _get(port, "/", {})
                    break
                except OSError:
                    time.sleep(0.1)
            from ledger import conversions

            programme = conversions.list_programmes()[0]["id"]
            pages = [("/", None), ("/login", None), ("/verify", None), ("/me", "learner"),
                     (f"/me?programme={urllib.parse.quote(programme)}", "learner"), ("/console", "institution"),
                     ("/operator", "operator")]
            jars = {role: _login(port, logins[role]["username"], logins[role]["password"])
                    for role in {r for _, r in pages if r}}
            results = {}
            for path, role in pages:
                jar = dict(jars[role]) if role else {}
                for _ in range(5):
                    status, _ = _get(port, path, jar)
                    assert status == 200, (path, status)
                times = []
                for _ in range(args.requests):
                    t = time.perf_counter()
                    _get(port, path, jar)
                    times.append((time.perf_counter() - t) * 1000)
                times.sort()
                results[path] = {"p50_ms": round(statistics.median(times), 1),
                                 "p90_ms": round(times[int(len(times) * 0.9) - 1], 1)}
        finally:
            server.terminate()
            server.wait(10)
    print(json.dumps({"bench": "pages", "requests": args.requests, "demo_init_s": round(demo_s, 1),
                      "pages": results, "python": platform.python_version(), "load": os.getloadavg()},
                     ensure_ascii=False))


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    main()
