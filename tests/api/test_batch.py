"""Batches over HTTP (DESIGN.md §8): all or nothing unless `partial`, per-item answers in order, CSV uploads
(as text/csv and as a multipart file) with row numbers, idempotency, limits."""

from __future__ import annotations

import csv
import io
import uuid
from typing import Any

import sqlalchemy as sa
from flask.testing import FlaskClient

from ledger.log import tree_head
from ledger.records.models import LearningRecord
from tests.factories import account, auth, institution, institution_client, record_body
from tests.unit.test_record_schemas import VALID

ALL_KINDS = list(VALID)


def _records(db_session: Any) -> int:
    return int(db_session.scalar(sa.select(sa.func.count()).select_from(LearningRecord)))


def _college() -> str:
    return institution_client(institution("college", authorised_kinds=ALL_KINDS).id)


def test_a_valid_batch_records_every_item_in_order(client: FlaskClient, db_session: Any) -> None:
    token = _college()
    acc = account()
    records = [record_body(acc.id, kind) for kind in ALL_KINDS]
    size = tree_head(db_session)[0]
    r = client.post("/api/v1/records:batch", json={"records": records}, headers=auth(token))
    assert r.status_code == 201, r.json
    body = r.json
    assert body["partial"] is False and body["recorded"] == len(ALL_KINDS) and body["rejected"] == 0
    assert [x["item"] for x in body["results"]] == list(range(len(ALL_KINDS)))
    assert all(x["ok"] and x["errors"] == [] and x["row"] is None for x in body["results"])
    indexes = [x["record"]["index"] for x in body["results"]]
    assert indexes == list(range(size, size + len(ALL_KINDS)))
    assert [x["record"]["kind"] for x in body["results"]] == ALL_KINDS
    assert all(x["record"]["checkpoint"] == "pending" for x in body["results"])
    assert tree_head(db_session)[0] == size + len(ALL_KINDS) == size + _records(db_session)


def test_one_bad_item_records_nothing_and_every_problem_is_reported(client: FlaskClient, db_session: Any) -> None:
    token = _college()
    acc = account()
    records = [record_body(acc.id, kind) for kind in ("course_credit", "skill_level", "training", "degree")]
    records[1]["outcome"]["level"] = 7  # wire schema
    records[3]["account"] = f"urn:uuid:{uuid.uuid4()}"  # domain rule
    size, count = tree_head(db_session)[0], _records(db_session)
    r = client.post("/api/v1/records:batch", json={"records": records, "partial": False}, headers=auth(token))
    assert r.status_code == 422 and r.mimetype == "application/problem+json"
    body = r.json
    assert body["type"].endswith("/invalid") and body["recorded"] == 0 and body["rejected"] == 2
    assert {e["field"] for e in body["errors"]} == {"records.1.outcome.level", "records.3.account"}
    assert [x["ok"] for x in body["results"]] == [False, False, False, False]
    assert [bool(x["errors"]) for x in body["results"]] == [False, True, False, True]
    assert all(x["record"] is None for x in body["results"])
    assert (tree_head(db_session)[0], _records(db_session)) == (size, count)


def test_partial_records_exactly_the_valid_ones(client: FlaskClient, db_session: Any) -> None:
    token = _college()
    acc = account()
    records = [record_body(acc.id, kind) for kind in ("course_credit", "skill_level", "training", "degree")]
    records[1]["outcome"]["level"] = 7
    records[3]["kind"] = "no_such_kind"
    size = tree_head(db_session)[0]
    r = client.post("/api/v1/records:batch", json={"records": records, "partial": True}, headers=auth(token))
    assert r.status_code == 200, r.json
    body = r.json
    assert body["recorded"] == 2 and body["rejected"] == 2
    assert [x["ok"] for x in body["results"]] == [True, False, True, False]
    assert body["results"][1]["errors"][0]["field"] == "outcome.level"
    assert body["results"][3]["errors"][0]["field"] == "kind"
    recorded = [x["record"]["external_ref"] for x in body["results"] if x["ok"]]
    assert recorded == [records[0]["external_ref"], records[2]["external_ref"]]
    assert tree_head(db_session)[0] == size + 2 and _records(db_session) == 2


def test_duplicates_in_a_batch_and_against_the_ledger(client: FlaskClient, db_session: Any) -> None:
    token = _college()
    acc = account()
    before = record_body(acc.id, external_ref="A-1")
    assert client.post("/api/v1/records", json=before, headers=auth(token)).status_code == 201
    changed = record_body(acc.id, external_ref="A-1", outcome={**VALID["course_credit"], "credits": "1"})
    twice = record_body(acc.id, external_ref="B-1")
    r = client.post("/api/v1/records:batch", json={"records": [before, changed, twice, dict(twice)], "partial": True},
                    headers=auth(token))
    results = r.json["results"]
    assert results[0]["ok"] and results[0]["record"]["external_ref"] == "A-1"  # a replay answers with the record
    assert results[1]["errors"][0]["field"] == "external_ref" and not results[1]["ok"]
    assert results[2]["ok"] and results[3]["errors"][0]["field"] == "external_ref"
    assert _records(db_session) == 2


def _csv(rows: list[dict[str, Any]]) -> str:
    columns: list[str] = []
    flat_rows = []
    for row in rows:
        flat = {k: v for k, v in row.items() if k != "outcome"}
        flat.update({f"outcome.{k}": v for k, v in row["outcome"].items()})
        flat_rows.append(flat)
        columns += [c for c in flat if c not in columns]
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns)
    writer.writeheader()
    for flat in flat_rows:
        writer.writerow({k: ("true" if v is True else "false" if v is False else v) for k, v in flat.items()})
    return out.getvalue()


def test_a_csv_upload_with_a_bad_row(client: FlaskClient, db_session: Any) -> None:
    token = _college()
    acc = account()
    rows = [record_body(acc.id, "skill_level") for _ in range(3)]
    rows[2]["outcome"]["level"] = "八"
    text = _csv(rows)
    size = tree_head(db_session)[0]
    r = client.post("/api/v1/records:batch", data=text.encode(), content_type="text/csv; charset=utf-8",
                    headers=auth(token))
    assert r.status_code == 422
    assert [e["field"] for e in r.json["errors"]] == ["rows.4.outcome.level"]
    assert [x["row"] for x in r.json["results"]] == [2, 3, 4]
    assert tree_head(db_session)[0] == size
    ok = client.post("/api/v1/records:batch", query_string={"partial": "true"}, data=text.encode(),
                     content_type="text/csv", headers=auth(token))
    assert ok.status_code == 200 and ok.json["recorded"] == 2 and ok.json["results"][2]["row"] == 4
    assert tree_head(db_session)[0] == size + 2
    # the same file as a multipart upload: the first two rows are replays, the fixed third row is new
    rows[2]["outcome"]["level"] = 3
    upload = client.post("/api/v1/records:batch", data={"file": (io.BytesIO(_csv(rows).encode()), "records.csv")},
                         content_type="multipart/form-data", headers=auth(token))
    assert upload.status_code == 201, upload.json
    assert upload.json["results"][0]["record"]["id"] == ok.json["results"][0]["record"]["id"]
    assert tree_head(db_session)[0] == size + 3


def test_an_unreadable_upload_is_a_field_problem(client: FlaskClient) -> None:
    token = _college()
    r = client.post("/api/v1/records:batch", data=b"account,kind\n", content_type="text/csv", headers=auth(token))
    assert r.status_code == 422 and r.json["type"].endswith("/invalid") and r.json["errors"]
    r = client.post("/api/v1/records:batch", data=b"\xff\xfe", content_type="text/csv", headers=auth(token))
    assert r.status_code == 422
    r = client.post("/api/v1/records:batch", data=b"x", content_type="application/xml", headers=auth(token))
    assert r.status_code == 422
    too_many = {"records": [record_body(account().id)] * 1001}
    r = client.post("/api/v1/records:batch", json=too_many, headers=auth(token))
    assert r.status_code == 422 and r.json["errors"][0]["field"] == "records"


def test_batch_idempotency(client: FlaskClient, db_session: Any) -> None:
    token = _college()
    acc = account()
    batch = {"records": [record_body(acc.id), record_body(acc.id, "training")]}
    headers = {**auth(token), "Idempotency-Key": "batch-2025-06-30"}
    first = client.post("/api/v1/records:batch", json=batch, headers=headers)
    size = tree_head(db_session)[0]
    again = client.post("/api/v1/records:batch", json=batch, headers=headers)
    assert again.status_code == first.status_code == 201 and again.json == first.json
    assert tree_head(db_session)[0] == size
    batch["records"].append(record_body(acc.id))
    assert client.post("/api/v1/records:batch", json=batch, headers=headers).status_code == 409
