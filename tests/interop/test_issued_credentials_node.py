"""Credentials issued by the running app, fetched over HTTP with their status lists, checked by independent Node
verifiers (offline): Digital Bazaar's @digitalbazaar/vc verifies every kind with its status lists and rejects a
revoked or suspended record; DCC's verifier-core accepts them too; a rotated key's old credential and list still
verify."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from flask.testing import FlaskClient

from tests.factories import account, auth, institution, institution_client, posted_record
from tests.unit.test_record_schemas import VALID

from .nodeverify import NodeVerifier

pytestmark = pytest.mark.interop

PUBLIC = "http://127.0.0.1:8000"


@pytest.fixture(scope="module")
def node_verifier() -> Iterator[NodeVerifier]:
    """One warm ``verify.mjs --server`` process for this module."""
    with NodeVerifier() as nv:
        yield nv


def _get(client: FlaskClient, url: str) -> Any:
    r = client.get(url[len(PUBLIC):])
    assert r.status_code == 200, url
    return r.json


def _fetch(client: FlaskClient, answers: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """The credentials of `answers` and every status list they name, as a verifier would fetch them."""
    credentials = [_get(client, a["credential_url"]) for a in answers]
    lists = {e["statusListCredential"]: _get(client, e["statusListCredential"])
             for c in credentials for e in c["credentialStatus"]}
    return credentials, lists


def test_digital_bazaar_verifies_what_the_app_issues_and_rejects_revoked(
        client: FlaskClient, node_verifier: NodeVerifier) -> None:
    inst = institution("college", name="重庆开放大学", authorised_kinds=list(VALID))
    token = institution_client(inst.id)
    acc = account()
    answers = [posted_record(client, token, acc.id, kind) for kind in VALID]
    credentials, lists = _fetch(client, answers)
    results = node_verifier.verify(credentials, "digitalbazaar", status_lists=lists)
    assert [r["errors"] for r in results] == [[]] * len(VALID)
    assert all(r["verified"] and r["statusChecked"] for r in results)

    revoked, suspended = answers[1], answers[3]
    assert client.post(f"/api/v1/records/{revoked['id']}:revoke", json={"reason": "证书注销"},
                       headers=auth(token)).status_code == 200
    assert client.post(f"/api/v1/records/{suspended['id']}:suspend", json={"reason": "核查中"},
                       headers=auth(token)).status_code == 200
    credentials, lists = _fetch(client, answers)
    results = node_verifier.verify(credentials, "digitalbazaar", status_lists=lists)
    verdicts = [r["verified"] for r in results]
    assert verdicts == [i not in (1, 3) for i in range(len(VALID))], [r["errors"] for r in results]
    assert results[1]["revoked"] is True
    assert any("revocation bit is set" in e for e in results[1]["errors"])
    assert any("suspension bit is set" in e for e in results[3]["errors"])


def test_dcc_verifies_what_the_app_issues(client: FlaskClient, node_verifier: NodeVerifier) -> None:
    inst = institution("college", authorised_kinds=list(VALID))
    token = institution_client(inst.id)
    acc = account()
    answers = [posted_record(client, token, acc.id, kind) for kind in ("course_credit", "degree", "skill_level")]
    credentials, lists = _fetch(client, answers)
    results = node_verifier.verify(credentials, "dcc", status_lists=lists)
    assert all(r["verified"] for r in results), [r["errors"] for r in results]
    client.post(f"/api/v1/records/{answers[0]['id']}:revoke", json={"reason": "撤销"}, headers=auth(token))
    credentials, lists = _fetch(client, answers)
    first = node_verifier.verify(credentials[:1], "dcc", status_lists=lists)[0]
    assert first["verified"] is False and first["revoked"] is True


def test_a_rotated_keys_credentials_and_lists_still_verify(client: FlaskClient, node_verifier: NodeVerifier) -> None:
    inst = institution("college")
    token = institution_client(inst.id)
    acc = account()
    before = posted_record(client, token, acc.id)
    kept = posted_record(client, token, acc.id)
    assert client.post(f"/api/v1/institutions/urn:uuid:{inst.id}/keys:rotate", headers=auth(token)).status_code == 201
    after = posted_record(client, token, acc.id)
    assert before["issuer"] != after["issuer"]
    # revoking the old record makes the bank re-sign the old key's list with the old key
    assert client.post(f"/api/v1/records/{before['id']}:revoke", json={"reason": "撤销"},
                       headers=auth(token)).status_code == 200
    credentials, lists = _fetch(client, [before, kept, after])
    old, still, new = node_verifier.verify(credentials, "digitalbazaar", status_lists=lists)
    assert old["verified"] is False and old["revoked"] is True and old["statusChecked"] is True
    assert still["verified"] is True and still["statusChecked"] is True, still["errors"]
    assert new["verified"] is True, new["errors"]
