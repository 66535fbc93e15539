"""The conversion store on both databases: the revocation cascade runs in the revoking transaction (a rollback
undoes the flag), a correction (supersede) flags too, and already-used outcomes follow active conversions."""

from __future__ import annotations

import uuid
from typing import Any

import sqlalchemy as sa
from flask import current_app
from flask.testing import FlaskClient

from api.context import bank_did
from ledger import conversion_store
from ledger.conversion import default_programmes
from ledger.conversion_store import Conversion
from ledger.principal import Principal
from ledger.records import service
from ledger.roles import Role
from tests.factories import account, auth, institution, institution_client, posted_record, record_body

POWER = next(p for p in default_programmes() if p.code == "430103")


def _setup(client: FlaskClient) -> dict[str, Any]:
    college = institution("college", name="重庆电力高等专科学校")
    token = institution_client(college.id)
    acc = account()
    posted_record(client, token, acc.id, "course_credit")
    appraiser = institution("appraisal_body", name="重庆市职业技能鉴定中心")
    atoken = institution_client(appraiser.id)
    rec = posted_record(client, atoken, acc.id, "skill_level")
    assert client.post(f"/api/v1/records/{rec['id']}:recognise", json={"decision": "recognised"},
                       headers=auth(token)).status_code == 200
    return {"college": college, "acc": acc, "rec": rec, "appraiser": appraiser, "atoken": atoken}


def _college(inst_id: uuid.UUID) -> Principal:
    return Principal(kind="client", id=uuid.uuid4(), name="招生办", roles=(Role.INSTITUTION,), institution_id=inst_id)


def _status(session: Any, conv_id: uuid.UUID) -> str:
    session.expire_all()
    return session.scalar(sa.select(Conversion.status).where(Conversion.id == conv_id))


def test_flag_is_part_of_the_revoking_transaction(client: FlaskClient, db_session: Any) -> None:
    s = _setup(client)
    conv = conversion_store.apply(db_session, _college(s["college"].id), bank_did(), s["acc"].id, POWER.id, None,
                                  "ENR-1", "enrolment conversion check")
    db_session.commit()
    assert conv.outcomes == [s["rec"]["id"]] and conv.status == "active"
    issuer = Principal(kind="client", id=uuid.uuid4(), name="鉴定中心", roles=(Role.INSTITUTION,),
                       institution_id=s["appraiser"].id)
    record_id = uuid.UUID(s["rec"]["id"].removeprefix("urn:uuid:"))
    service.revoke_record(db_session, current_app.extensions["creditbank.keyring"], issuer, record_id, "撤销测试")
    assert db_session.get(Conversion, conv.id).status == "flagged"
    db_session.rollback()
    assert _status(db_session, conv.id) == "active"
    assert conversion_store.used_outcomes(db_session, [s["acc"].id], POWER.id) == {s["rec"]["id"]}


def test_a_correction_flags_the_conversion(client: FlaskClient, db_session: Any) -> None:
    s = _setup(client)
    conv = conversion_store.apply(db_session, _college(s["college"].id), bank_did(), s["acc"].id, POWER.id, None,
                                  "ENR-2", "enrolment conversion check")
    db_session.commit()
    body = record_body(s["acc"].id, "skill_level", external_ref="corrected-skill")
    body.pop("account")
    r = client.post(f"/api/v1/records/{s['rec']['id']}:correct", json={**body, "reason": "等级录入错误"},
                    headers=auth(s["atoken"]))
    assert r.status_code == 201, r.json
    assert _status(db_session, conv.id) == "flagged"
    row = db_session.get(Conversion, conv.id)
    assert row.flag_record == s["rec"]["id"] and row.flag_reason == "等级录入错误"
    # a flagged conversion still holds its outcomes against double counting until it is superseded
    assert s["rec"]["id"] in conversion_store.used_outcomes(db_session, [s["acc"].id], POWER.id)
