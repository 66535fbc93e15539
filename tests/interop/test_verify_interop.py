"""Transcripts and bad copies across verifiers: @digitalbazaar/vc verifies the bank's CLR 2.0 transcript;
tampered, expired and wrong-issuer copies of a record credential are rejected by Digital Bazaar and DCC; a revoked
one by Digital Bazaar (with its status list); and our POST /api/v1/verify rejects each with the right check."""

from __future__ import annotations

import copy
import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from flask.testing import FlaskClient

from api.context import keyring, log_signer
from credentials.dataintegrity import sign
from credentials.didkey import did_key, verification_method
from ledger.institutions import InstitutionKey
from ledger.log import checkpoints
from tests.factories import account, auth, institution, institution_client, learner_token, posted_record

from .nodeverify import NodeVerifier

pytestmark = pytest.mark.interop

PUBLIC = "http://127.0.0.1:8000"
CLR = "https://purl.imsglobal.org/spec/clr/v2p0/context-2.0.1.json"
CONTEXTS = {CLR: json.loads((Path(__file__).resolve().parents[2] / "credentials" / "contexts"
                             / "clr-v2p0-context-2.0.1.json").read_text())}


@pytest.fixture(scope="module")
def node_verifier() -> Iterator[NodeVerifier]:
    with NodeVerifier() as nv:
        yield nv


def _lists(client: FlaskClient, credential: dict[str, Any]) -> dict[str, Any]:
    return {e["statusListCredential"]: client.get(e["statusListCredential"][len(PUBLIC):]).json
            for e in credential.get("credentialStatus", [])}


def _failing(client: FlaskClient, credential: dict[str, Any]) -> set[str]:
    v = client.post("/api/v1/verify", json={"credential": credential}).json
    assert v["verified"] is False
    return {c["id"] for c in v["checks"] if not c["ok"]}


def test_digital_bazaar_verifies_the_transcript(client: FlaskClient, db_session: Any,
                                                node_verifier: NodeVerifier) -> None:
    inst = institution()
    token = institution_client(inst.id)
    acc = account()
    for _ in range(2):
        posted_record(client, token, acc.id)
    clr = client.get(f"/api/v1/accounts/{acc.ref}/transcript", headers=auth(learner_token(acc.id))).json
    [result] = node_verifier.verify([clr], "digitalbazaar", contexts=CONTEXTS)
    assert result["verified"], result["errors"]
    tampered = copy.deepcopy(clr)
    tampered["credentialSubject"]["verifiableCredential"].pop()
    [bad] = node_verifier.verify([tampered], "digitalbazaar", contexts=CONTEXTS)
    assert not bad["verified"]
    checkpoints.sign_if_due(db_session, log_signer(), min_interval=0, force=True)
    assert _failing(client, tampered) == {"proof", "log"}


def test_bad_copies_are_rejected_everywhere(client: FlaskClient, db_session: Any, node_verifier: NodeVerifier) -> None:
    inst = institution()
    token = institution_client(inst.id)
    answer = posted_record(client, token, account().id)
    checkpoints.sign_if_due(db_session, log_signer(), min_interval=0, force=True)
    credential = client.get(f"/api/v1/records/{answer['id']}/credential").json
    lists = _lists(client, credential)

    tampered = copy.deepcopy(credential)
    tampered["credentialSubject"]["achievement"]["name"] = "伪造"
    key = db_session.scalar(sa.select(InstitutionKey).where(InstitutionKey.did == credential["issuer"]["id"]))
    unsigned = {k: v for k, v in credential.items() if k != "proof"}
    expired = sign({**unsigned, "validUntil": "2025-01-01T00:00:00Z"}, key.private(keyring()),
                   verification_method=key.verification_method, created=dt.datetime(2024, 7, 1, tzinfo=dt.UTC))
    stranger = Ed25519PrivateKey.generate()
    wrong = sign({**unsigned, "issuer": {**unsigned["issuer"], "id": did_key(stranger.public_key())}}, stranger,
                 verification_method=verification_method(stranger.public_key()),
                 created=dt.datetime(2024, 7, 1, tzinfo=dt.UTC))
    # a copy claiming another issuer under the original proof: rejected by all (issuer ≠ key controller)
    swapped = {**copy.deepcopy(credential), "issuer": {**credential["issuer"], "id": did_key(stranger.public_key())}}
    for name in ("digitalbazaar", "dcc"):
        got = node_verifier.verify([tampered, expired, swapped], name, status_lists=lists)
        assert [r["verified"] for r in got] == [False, False, False], (name, [r["errors"] for r in got])
    assert {"proof", "issuer", "log"} <= _failing(client, swapped)
    # re-signed by the other (unknown) key, the copy is cryptographically fine, which Node verifiers accept for a
    # did:key they resolve; the bank says the issuer is unknown (a warning) and the log never saw it
    assert _failing(client, tampered) == {"proof", "log"}
    assert _failing(client, expired) == {"proof", "log"}
    failing = _failing(client, wrong)
    assert {"issuer", "log"} <= failing and "proof" not in failing

    client.post(f"/api/v1/records/{answer['id']}:revoke", json={"reason": "撤销"}, headers=auth(token))
    [revoked] = node_verifier.verify([credential], "digitalbazaar", status_lists=_lists(client, credential))
    assert not revoked["verified"]
    assert _failing(client, credential) == {"status"}
