"""Shares over HTTP: a learner shares records or the transcript, the token opens them (live verdicts), views are
logged and shown, an audience limits opening to one verifier client, withdrawn or expired shares are 410, and
the HTML page shows the verdict with an inline SVG QR code."""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

import sqlalchemy as sa
from flask.testing import FlaskClient

from api.context import log_signer
from ledger.log import checkpoints
from ledger.log.append import tree_head
from ledger.shares import Share
from tests.factories import (
    account,
    api_client,
    auth,
    institution,
    institution_client,
    learner_token,
    posted_record,
)


def _setup(client: FlaskClient, db_session: Any) -> tuple[Any, str, list[dict[str, Any]], str]:
    inst = institution()
    token = institution_client(inst.id)
    acc = account()
    answers = [posted_record(client, token, acc.id) for _ in range(2)]
    checkpoints.sign_if_due(db_session, log_signer(), min_interval=0, force=True)
    return acc, learner_token(acc.id), answers, token


def test_share_open_view_log_and_withdraw(client: FlaskClient, db_session: Any) -> None:
    acc, learner, answers, _ = _setup(client, db_session)
    size = tree_head(db_session)[0]
    r = client.post("/api/v1/shares", json={"records": [answers[0]["id"]]}, headers=auth(learner))
    assert r.status_code == 201, r.json
    share = r.json
    assert share["url"].endswith("/s/" + share["token"]) and len(share["token"]) >= 40
    assert tree_head(db_session)[0] == size + 1  # an entry
    row = db_session.scalar(sa.select(Share).where(Share.id == __import__("uuid").UUID(share["id"][9:])))
    assert row.token_hash == hashlib.sha256(share["token"].encode()).hexdigest()  # stored hashed only
    expires = dt.datetime.fromisoformat(share["expires_at"].replace("Z", "+00:00"))
    assert dt.timedelta(days=29) < expires - dt.datetime.now(dt.UTC) <= dt.timedelta(days=30)

    opened = client.get(f"/api/v1/shares/{share['token']}/credentials")
    assert opened.status_code == 200, opened.json
    [item] = opened.json["credentials"]
    assert item["credential"]["id"] == answers[0]["id"] and item["verified"] is True

    page = client.get(f"/s/{share['token']}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "<svg" in html and "已验证" in html and "<script" not in html and "cdn" not in html.lower()

    mine = client.get("/api/v1/shares", headers=auth(learner)).json["shares"]
    assert mine[0]["view_count"] == 2 and {v["via"] for v in mine[0]["views"]} == {"api", "page"}

    w = client.delete(f"/api/v1/shares/{share['id']}", headers=auth(learner))
    assert w.status_code == 200 and w.json["withdrawn_at"]
    gone = client.get(f"/api/v1/shares/{share['token']}/credentials")
    assert gone.status_code == 410 and gone.mimetype == "application/problem+json"
    assert client.get(f"/s/{share['token']}").status_code == 410


def test_transcript_share_and_audience(client: FlaskClient, db_session: Any) -> None:
    _, learner, answers, inst_token = _setup(client, db_session)
    verifier_id, verifier = api_client("verifier")
    _, other_verifier = api_client("verifier")
    r = client.post("/api/v1/shares", json={"transcript": True, "audience": str(verifier_id),
                                            "expires_in_days": 7}, headers=auth(learner))
    assert r.status_code == 201, r.json
    token = r.json["token"]
    assert client.get(f"/api/v1/shares/{token}/credentials").status_code == 403
    assert client.get(f"/api/v1/shares/{token}/credentials", headers=auth(other_verifier)).status_code == 403
    ok = client.get(f"/api/v1/shares/{token}/credentials", headers=auth(verifier))
    assert ok.status_code == 200 and len(ok.json["credentials"]) == 2
    # a revoked record drops out of the transcript
    client.post(f"/api/v1/records/{answers[1]['id']}:revoke", json={"reason": "错误"}, headers=auth(inst_token))
    again = client.get(f"/api/v1/shares/{token}/credentials", headers=auth(verifier))
    assert [c["credential"]["id"] for c in again.json["credentials"]] == [answers[0]["id"]]
    views = client.get("/api/v1/shares", headers=auth(learner)).json["shares"][0]["views"]
    assert len(views) == 2 and all(v["viewer"] == f"client:{verifier_id}" for v in views)


def test_expired_share_is_gone(client: FlaskClient, db_session: Any) -> None:
    _, learner, answers, _ = _setup(client, db_session)
    r = client.post("/api/v1/shares", json={"records": [answers[0]["id"]]}, headers=auth(learner))
    row = db_session.get(Share, __import__("uuid").UUID(r.json["id"][9:]))
    row.expires_at = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
    db_session.flush()
    assert client.get(f"/api/v1/shares/{r.json['token']}/credentials").status_code == 410


def test_bad_shares_are_refused_and_change_nothing(client: FlaskClient, db_session: Any) -> None:
    _, learner, answers, _ = _setup(client, db_session)
    other = account()
    foreign = posted_record(client, institution_client(institution().id), other.id)
    size = tree_head(db_session)[0]
    for body, field in (({}, "records"), ({"records": []}, "records"),
                        ({"records": [answers[0]["id"]], "transcript": True}, "records"),
                        ({"records": [foreign["id"]]}, "records.0"), ({"records": ["x"]}, "records.0"),
                        ({"transcript": True, "expires_in_days": 366}, "expires_in_days"),
                        ({"transcript": True, "expires_in_days": 0}, "expires_in_days"),
                        ({"transcript": True, "audience": "nobody"}, "audience"),
                        ({"transcript": True, "bogus": 1}, "bogus"), ({"transcript": "yes"}, "transcript")):
        r = client.post("/api/v1/shares", json=body, headers=auth(learner))
        assert r.status_code == 422 and r.json["errors"][0]["field"] == field, (body, r.json)
    assert tree_head(db_session)[0] == size
    assert client.post("/api/v1/shares", json={"transcript": True}).status_code == 401
    inst_token = institution_client(institution().id)
    assert client.post("/api/v1/shares", json={"transcript": True}, headers=auth(inst_token)).status_code == 403
    assert client.get("/api/v1/shares/not-a-token/credentials").status_code == 404
    assert client.get("/s/not-a-token").status_code == 404
    # someone else's share cannot be withdrawn
    r = client.post("/api/v1/shares", json={"transcript": True}, headers=auth(learner))
    assert client.delete(f"/api/v1/shares/{r.json['id']}", headers=auth(learner_token(other.id))).status_code == 404
