"""Flask-Limiter guards logins (and every route by default); a refusal is a 429 problem.

Flask-Limiter keeps its settings on one Limiter per process (as gunicorn runs one app per worker), so
each scenario runs in a process of its own rather than re-configuring the suite's shared limiter.
"""

from __future__ import annotations

import multiprocessing
from pathlib import Path
from typing import Any


def _login_scenario(tmp: str) -> list[tuple[int, str, dict[str, Any], dict[str, str]]]:
    from tests.conftest import make_app

    app = make_app("sqlite:///" + tmp + "/rl.db", Path(tmp), RATELIMIT_ENABLED=True,
                   LOGIN_RATE_LIMIT="3 per minute")
    client = app.test_client()
    out = []
    for _ in range(4):
        r = client.post("/api/v1/session", json={"username": "nobody", "password": "whatever!!"})
        out.append((r.status_code, r.mimetype, r.json, dict(r.headers)))
    return out


def _default_scenario(tmp: str) -> list[int]:
    from tests.conftest import make_app

    app = make_app("sqlite:///" + tmp + "/rl.db", Path(tmp), RATELIMIT_ENABLED=True,
                   RATELIMIT_DEFAULT="5 per minute")
    client = app.test_client()
    return [client.get("/api/v1/log/key").status_code for _ in range(6)]


def _run(fn: Any, tmp: Path) -> Any:
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        return pool.apply(fn, (str(tmp),))


def test_login_is_rate_limited(tmp_path: Path) -> None:
    results = _run(_login_scenario, tmp_path)
    assert [r[0] for r in results] == [401, 401, 401, 429]
    status, mimetype, body, headers = results[3]
    assert mimetype == "application/problem+json" and body["title_zh"] == "请求过于频繁"
    assert "X-RateLimit-Limit" in headers or "Retry-After" in headers


def test_default_limit_applies_to_public_reads(tmp_path: Path) -> None:
    assert _run(_default_scenario, tmp_path) == [200] * 5 + [429]
