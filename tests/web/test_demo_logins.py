"""Demo mode: `flask demo init` writes a web login per role into instance/demo-keys.json, and they log in."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from flask import current_app
from flask.testing import FlaskClient

from ledger import demo
from ledger.roles import Role

pytestmark = pytest.mark.slow


def test_demo_logins_per_role_open_their_pages(client: FlaskClient, runner: Any, db_session: Any) -> None:
    current_app.config["DEMO"] = True
    try:
        result = runner.invoke(args=["demo", "init"])
    finally:
        current_app.config["DEMO"] = False
    assert result.exit_code == 0, result.output
    doc = json.loads((Path(current_app.instance_path) / "demo-keys.json").read_text())
    logins = doc["logins"]
    assert set(logins) == {r.value for r in Role}
    hasher = current_app.extensions["creditbank.hasher"]
    assert demo.logins_still_valid(db_session, hasher, logins)
    assert not demo.logins_still_valid(db_session, hasher, {**logins, "learner": {**logins["learner"], "password": "x"}})
    homes = {"learner": "/me", "institution": "/console", "operator": "/operator", "verifier": "/verify",
             "union": "/union"}
    for role, home in homes.items():
        html = client.get("/login").get_data(as_text=True)
        token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)  # type: ignore[union-attr]
        r = client.post("/login", data={"username": logins[role]["username"], "password": logins[role]["password"],
                                        "csrf_token": token})
        assert r.status_code == 302 and r.headers["Location"] == home, role
        assert client.get(home).status_code == 200, role
        client.post("/logout", data={"csrf_token": re.search(r'name="csrf_token" value="([^"]+)"', client.get(
            home).get_data(as_text=True)).group(1)})  # type: ignore[union-attr]
