"""A running bank serves its checkpoint, key and proofs over HTTP; Go's x/mod sumdb/note + tlog verify them."""

from __future__ import annotations

import json
import threading
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from tests.conftest import make_app
from tests.logtools import append_committed

pytestmark = pytest.mark.interop


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, object]]:
    """The app on a fresh SQLite database, served over real HTTP on a loopback port."""
    app = make_app("sqlite:///" + str(tmp_path / "go.db"), tmp_path, CHECKPOINT_INTERVAL=0.0)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", app
    finally:
        server.shutdown()


def _get(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=30) as resp:  # noqa: S310 — loopback test server
        return bytes(resp.read())


def _append(app: object, n: int) -> None:
    from api.extensions import db

    with app.app_context(), db.sessionmaker() as session:  # type: ignore[attr-defined]
        append_committed(session, n)


def test_go_verifies_what_the_running_bank_serves(served, gotlog, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from .golang import run_gotlog

    base, app = served
    _append(app, 37)
    _append(app, 1)
    old = tmp_path / "old.txt"
    old.write_bytes(_get(base + "/api/v1/log/checkpoint"))
    _append(app, 500)
    _append(app, 3)
    cp = tmp_path / "cp.txt"
    cp.write_bytes(_get(base + "/api/v1/log/checkpoint"))
    vkey = _get(base + "/api/v1/log/key").decode().strip()
    assert b"\n541\n" in cp.read_bytes() and b"\n38\n" in old.read_bytes()
    inclusions = []
    for index in (0, 1, 37, 38, 300, 540):
        path = tmp_path / f"inc{index}.json"
        path.write_bytes(_get(f"{base}/api/v1/log/proof/inclusion?index={index}"))
        inclusions.append(path)
    cons = tmp_path / "cons.json"
    cons.write_bytes(_get(f"{base}/api/v1/log/proof/consistency?old_size=38&new_size=541"))
    run = run_gotlog(gotlog, vkey, cp, inclusions=inclusions, consistencies=[cons], old_checkpoint=old)
    assert run.returncode == 0, (run.results, run.stderr)
    assert len(run.results) >= len(inclusions) + 1 and all(r.get("ok") for r in run.results)

    # The same verifier refuses a proof one hash of which was altered: the harness can fail.
    proof = json.loads(inclusions[-1].read_bytes())
    proof["audit_path"][0] = proof["audit_path"][1]
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(proof))
    refused = run_gotlog(gotlog, vkey, cp, inclusions=[bad])
    assert refused.returncode != 0
