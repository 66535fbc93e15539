"""Demo data: every record passes the wire schema, every kind is there, loading twice loads once, and the
example ids and keys are what DESIGN.md §7 promises."""

from __future__ import annotations

import uuid
from typing import Any

import sqlalchemy as sa
from flask import current_app
from flask.testing import FlaskClient

from api.context import bank_did
from ledger import demo
from ledger.conversion.model import OutcomeKind
from ledger.log import tree_head
from ledger.records.models import LearningRecord
from schemas.records import RecordIn
from tests.factories import auth

PUBLIC = "http://127.0.0.1:8000"


def test_every_demo_record_passes_the_wire_schema() -> None:
    learners = [(uuid.uuid4(), "open_university" if n % 3 else "power_college") for n in range(demo.LEARNERS)]
    records = [r for rows in demo.all_demo_records(learners).values() for r in rows]
    schema = RecordIn()
    for record in records:
        schema.load({**record, "account": f"urn:uuid:{record['account']}",
                     "occurred_on": record["occurred_on"].isoformat()})
    assert {r["kind"] for r in records} == {k.value for k in OutcomeKind}
    assert len({r["external_ref"] for r in records}) == len(records)


def test_demo_data_loads_once_with_its_example_ids(client: FlaskClient, db_session: Any) -> None:
    keyring = current_app.extensions["creditbank.keyring"]
    ids = demo.load_demo_data(db_session, keyring, bank_did(), PUBLIC)
    db_session.commit()
    size = tree_head(db_session)[0]
    assert demo.load_demo_data(db_session, keyring, bank_did(), PUBLIC) == ids
    assert tree_head(db_session)[0] == size
    statuses = dict(db_session.execute(sa.select(LearningRecord.status, sa.func.count()).group_by(LearningRecord.status))
                    .all())
    assert statuses["revoked"] >= 5 and statuses["active"] > 1000
    keys = demo.make_demo_keys(db_session, demo.key_bindings(db_session, ids))
    db_session.commit()
    doc = demo.demo_document(keys, ids)
    assert set(doc["keys"]) == {"operator", "institution", "learner", "verifier", "union"}
    learner, institution = auth(keys["learner"]), auth(keys["institution"])
    mine = client.get(f"/api/v1/accounts/{ids['account']}/records", query_string={"limit": 500}, headers=learner).json
    assert {ids["record"], ids["revoked_record"]} <= {i["id"] for i in mine["items"]}
    record = client.get(f"/api/v1/records/{ids['record']}", headers=institution)
    assert record.status_code == 200 and record.json["status"] == "active"  # the institution key is the issuer's
    revoked = client.get(f"/api/v1/records/{ids['revoked_record']}", headers=learner).json
    assert revoked["status"] == "revoked"
    assert client.get(f"/api/v1/records/{ids['record']}/credential").status_code == 200
    assert demo.keys_still_valid(db_session, keys)
