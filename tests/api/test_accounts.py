"""Learner accounts over HTTP: one person one account, who may read, access log with reasons, merge, correct, export."""

from __future__ import annotations

import sqlalchemy as sa
from flask.testing import FlaskClient

from ledger import card_number
from ledger.accounts import AccountAccess
from ledger.documents import EntryDocument
from ledger.log import tree_head
from ledger.log.models import LogEntry
from tests.factories import (
    account,
    api_client,
    auth,
    institution,
    institution_client,
    learner_token,
    national_id_for,
    random_national_id,
)

NID = national_id_for(7, region="500103", born="19850315")


def _open(client: FlaskClient, token: str, nid: str = NID, **extra: object) -> object:
    body = {"national_id": nid, "name": "李四", "phone": "13912345678", **extra}
    return client.post("/api/v1/accounts", json=body, headers=auth(token))


def test_an_institution_opens_an_account_with_a_card_number(client: FlaskClient, db_session) -> None:  # type: ignore[no-untyped-def]
    token = institution_client(institution().id)
    size0, _ = tree_head(db_session)
    r = _open(client, token)
    assert r.status_code == 201, r.json
    assert r.json["id"].startswith("urn:uuid:") and r.json["created"] is True and r.json["status"] == "active"
    assert card_number.is_valid(r.json["card_number"]) and len(r.json["card_number"]) == 16
    assert "name" not in r.json and "national_id" not in r.json
    assert tree_head(db_session)[0] == size0 + 1
    entry = db_session.scalar(sa.select(LogEntry).where(LogEntry.index == size0))
    assert entry.kind == "account-open" and entry.subject_ref == r.json["id"]
    assert NID not in entry.leaf.decode() and r.json["id"] not in entry.leaf.decode()


def test_one_person_one_account_across_institutions(client: FlaskClient) -> None:
    a, b = institution(), institution("training_body")
    first = _open(client, institution_client(a.id))
    # the same ID typed with a lower-case x / full-width digits is the same person
    nid = national_id_for(11, born="19791201")
    if nid.endswith("X"):
        typed = nid[:-1] + "x"
    else:
        typed = "".join(chr(ord(c) + 0xFEE0) for c in nid)  # full-width digits
    again_a = _open(client, institution_client(a.id), nid=nid)
    assert again_a.status_code == 201
    again_b = _open(client, institution_client(b.id), nid=typed, name="另一个名字")
    assert again_b.status_code == 200, again_b.json
    assert again_b.json["id"] == again_a.json["id"] and again_b.json["created"] is False
    second = _open(client, institution_client(b.id))
    assert second.status_code == 200 and second.json["id"] == first.json["id"]
    _, op = api_client("operator")
    got = client.get(f"/api/v1/accounts/{first.json['id']}", query_string={"reason": "审核"}, headers=auth(op)).json
    assert {o["institution"] for o in got["openings"]} == {f"urn:uuid:{a.id}", f"urn:uuid:{b.id}"}
    assert got["name"] == "李四"  # opening again changes nothing


def test_bad_details_are_field_by_field_in_both_languages(client: FlaskClient) -> None:
    token = institution_client(institution().id)
    bad_check = NID[:17] + ("0" if NID[17] != "0" else "1")
    r = _open(client, token, nid=bad_check, name="   ", phone="12345678901")
    assert r.status_code == 422
    errors = {e["field"]: e for e in r.json["errors"]}
    assert set(errors) == {"national_id", "name", "phone"}
    assert "check character" in errors["national_id"]["message"] and "校验码" in errors["national_id"]["message_zh"]
    assert "手机" in errors["phone"]["message_zh"]
    legacy = _open(client, token, nid="500103850315071")
    [err] = legacy.json["errors"]
    assert legacy.status_code == 422 and "15-digit" in err["message"] and "15 位" in err["message_zh"]
    for nid, en, zh in [("50010319850230071X", "date of birth", "出生日期"),
                        ("990103198503150711", "province", "省级"),
                        ("5001031985031507", "18 characters", "18 位")]:
        [err] = _open(client, token, nid=nid).json["errors"]
        assert en in err["message"] and zh in err["message_zh"], (nid, err)


def test_client_bound_to_no_registered_institution_cannot_open(client: FlaskClient) -> None:
    import uuid

    _, token = api_client("institution", institution_id=uuid.uuid4())
    assert _open(client, token).status_code == 403
    _, unbound = api_client("institution")
    assert _open(client, unbound).status_code == 403
    _, verifier = api_client("verifier")
    assert _open(client, verifier).status_code == 403


def test_an_institution_cannot_read_an_account_it_did_not_open(client: FlaskClient) -> None:
    opener = institution_client(institution().id)
    aid = _open(client, opener).json["id"]
    stranger = institution_client(institution().id)
    r = client.get(f"/api/v1/accounts/{aid}", query_string={"reason": "招生"}, headers=auth(stranger))
    assert r.status_code == 403 and r.json["detail_zh"]
    other_learner = learner_token(account().id)
    assert client.get(f"/api/v1/accounts/{aid}", headers=auth(other_learner)).status_code == 403


def test_reads_by_others_need_a_reason_and_are_logged(client: FlaskClient, db_session) -> None:  # type: ignore[no-untyped-def]
    inst = institution(name="天津开放大学")
    opener = institution_client(inst.id)
    aid = _open(client, opener).json["id"]
    r = client.get(f"/api/v1/accounts/{aid}", headers=auth(opener))
    assert r.status_code == 422 and r.json["errors"][0]["field"] == "reason"
    r = client.get(f"/api/v1/accounts/{aid}", query_string={"reason": "学分认定"}, headers=auth(opener))
    assert r.status_code == 200 and r.json["name"] == "李四" and r.json["phone"] == "13912345678"
    assert r.json["national_id_masked"] == NID[:3] + "*" * 11 + NID[-4:]
    _, op = api_client("operator", name="运营值班")
    assert client.get(f"/api/v1/accounts/{aid}", query_string={"reason": "投诉处理"}, headers=auth(op)).status_code == 200
    learner = learner_token(r.json["id"])
    own = client.get(f"/api/v1/accounts/{aid}", headers=auth(learner))
    assert own.status_code == 200  # the owner needs no reason and is not logged
    assert db_session.scalar(sa.select(sa.func.count()).select_from(AccountAccess)) == 2
    log = client.get(f"/api/v1/accounts/{aid}/access-log", headers=auth(learner))
    assert log.status_code == 200
    items = log.json["items"]
    assert [(i["reason"], i["role"]) for i in items] == [("投诉处理", "operator"), ("学分认定", "institution")]
    assert items[1]["institution_name"] == "天津开放大学" and items[0]["actor_name"] == "运营值班"
    assert client.get(f"/api/v1/accounts/{aid}/access-log", headers=auth(opener)).status_code == 403


def test_access_log_pages_with_a_cursor(client: FlaskClient) -> None:
    opener = institution_client(institution().id)
    aid = _open(client, opener).json["id"]
    for i in range(5):
        client.get(f"/api/v1/accounts/{aid}", query_string={"reason": f"第{i}次"}, headers=auth(opener))
    learner = learner_token(aid)
    seen = []
    cursor = None
    while True:
        q = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = client.get(f"/api/v1/accounts/{aid}/access-log", query_string=q, headers=auth(learner)).json
        seen += [i["reason"] for i in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == [f"第{i}次" for i in reversed(range(5))]
    bad = client.get(f"/api/v1/accounts/{aid}/access-log", query_string={"cursor": "nonsense"}, headers=auth(learner))
    assert bad.status_code == 422


def test_a_union_opens_and_reads_what_it_opened(client: FlaskClient) -> None:
    _, union = api_client("union", organisation="重庆市总工会")
    aid = _open(client, union).json["id"]
    assert client.get(f"/api/v1/accounts/{aid}", query_string={"reason": "补贴审核"}, headers=auth(union)).status_code == 200
    _, other_union = api_client("union")
    assert client.get(f"/api/v1/accounts/{aid}", query_string={"reason": "x" * 3},
                      headers=auth(other_union)).status_code == 403


def test_merge_redirects_reads_to_the_surviving_account(client: FlaskClient, db_session) -> None:  # type: ignore[no-untyped-def]
    a, b = institution(), institution()
    keep = _open(client, institution_client(a.id)).json["id"]
    dup = _open(client, institution_client(b.id), nid=random_national_id()).json["id"]
    _, op = api_client("operator")
    size0, _ = tree_head(db_session)
    r = client.post(f"/api/v1/accounts/{keep}:merge", json={"from": dup}, headers=auth(op))
    assert r.status_code == 200, r.json
    assert r.json["id"] == keep
    entry = db_session.scalar(sa.select(LogEntry).where(LogEntry.index == size0))
    assert entry.kind == "account-merge" and entry.object_ref == dup
    # the duplicate's learner and opener now see the surviving account
    r = client.get(f"/api/v1/accounts/{dup}", headers=auth(learner_token(dup)))
    assert r.status_code == 200 and r.json["id"] == keep and r.json["merged_from"] == [dup]
    r = client.get(f"/api/v1/accounts/{dup}", query_string={"reason": "成绩录入"}, headers=auth(institution_client(b.id)))
    assert r.status_code == 200 and r.json["id"] == keep
    assert client.post(f"/api/v1/accounts/{keep}:merge", json={"from": dup}, headers=auth(op)).status_code == 409
    assert client.post(f"/api/v1/accounts/{keep}:merge", json={"from": keep}, headers=auth(op)).status_code == 422
    assert client.post(f"/api/v1/accounts/{keep}:merge", json={"from": dup},
                       headers=auth(institution_client(a.id))).status_code == 403


def test_corrections_carry_no_personal_data_into_the_log(client: FlaskClient, db_session) -> None:  # type: ignore[no-untyped-def]
    inst = institution()
    opener = institution_client(inst.id)
    aid = _open(client, opener).json["id"]
    learner = learner_token(aid)
    size0, _ = tree_head(db_session)
    r = client.patch(f"/api/v1/accounts/{aid}", json={"phone": "13700001111"}, headers=auth(learner))
    assert r.status_code == 200 and r.json["phone"] == "13700001111"
    doc = db_session.scalar(sa.select(EntryDocument).where(EntryDocument.entry_index == size0))
    assert doc.kind == "correction" and doc.document["fields"] == ["phone"]
    assert "13700001111" not in str(doc.document) and "李四" not in str(doc.document)
    # the opener corrects with a reason, a stranger may not
    assert client.patch(f"/api/v1/accounts/{aid}", json={"name": "李四四"}, headers=auth(opener)).status_code == 422
    r = client.patch(f"/api/v1/accounts/{aid}", json={"name": "李思", "reason": "学员申请更正"}, headers=auth(opener))
    assert r.status_code == 200 and r.json["name"] == "李思"
    stranger = institution_client(institution().id)
    assert client.patch(f"/api/v1/accounts/{aid}", json={"name": "王五", "reason": "xx"},
                        headers=auth(stranger)).status_code == 403
    bad = client.patch(f"/api/v1/accounts/{aid}", json={"phone": "1234"}, headers=auth(learner))
    assert bad.status_code == 422 and bad.json["errors"][0]["field"] == "phone"
    assert client.patch(f"/api/v1/accounts/{aid}", json={}, headers=auth(learner)).status_code == 422
    removed = client.patch(f"/api/v1/accounts/{aid}", json={"phone": None}, headers=auth(learner))
    assert removed.status_code == 200 and removed.json["phone"] is None


def test_export_holds_everything_about_the_learner(client: FlaskClient) -> None:
    inst = institution(name="四川开放大学")
    opener = institution_client(inst.id)
    aid = _open(client, opener).json["id"]
    client.get(f"/api/v1/accounts/{aid}", query_string={"reason": "学分认定"}, headers=auth(opener))
    learner = learner_token(aid)
    r = client.get(f"/api/v1/accounts/{aid}/export", headers=auth(learner))
    assert r.status_code == 200, r.json
    doc = r.json
    assert doc["account"]["national_id"] == NID and doc["account"]["name"] == "李四"
    assert doc["account"]["phone"] == "13912345678" and doc["account"]["id"] == aid
    assert doc["openings"][0]["institution_name"] == "四川开放大学"
    assert [a["reason"] for a in doc["access_log"]] == ["学分认定"]
    assert [e["kind"] for e in doc["log_entries"]] == ["account-open"]
    assert len(doc["api_clients"]) == 1 and isinstance(doc["sections"], dict)
    _, op = api_client("operator")
    assert client.get(f"/api/v1/accounts/{aid}/export", headers=auth(op)).status_code == 422
    assert client.get(f"/api/v1/accounts/{aid}/export", query_string={"reason": "依申请导出"},
                      headers=auth(op)).status_code == 200
    assert client.get(f"/api/v1/accounts/{aid}/export", query_string={"reason": "想看看"},
                      headers=auth(opener)).status_code == 403


def test_erase_over_http(client: FlaskClient) -> None:
    opener = institution_client(institution().id)
    aid = _open(client, opener).json["id"]
    _, op = api_client("operator")
    assert client.post(f"/api/v1/accounts/{aid}:erase", json={"reason": "学员申请 #2024-17"},
                       headers=auth(opener)).status_code == 403
    r = client.post(f"/api/v1/accounts/{aid}:erase", json={"reason": "学员申请 #2024-17"}, headers=auth(op))
    assert r.status_code == 200 and r.json["status"] == "erased" and r.json["erased_at"]
    got = client.get(f"/api/v1/accounts/{aid}", query_string={"reason": "核对"}, headers=auth(opener)).json
    assert got["name"] is None and got["phone"] is None and got["national_id_masked"] is None
    assert client.post(f"/api/v1/accounts/{aid}:erase", json={"reason": "again"}, headers=auth(op)).status_code == 409
    assert client.patch(f"/api/v1/accounts/{aid}", json={"name": "x", "reason": "更正"},
                        headers=auth(op)).status_code == 409
    # the person can no longer be found by ID: opening again starts a new account
    again = _open(client, opener)
    assert again.status_code == 201 and again.json["id"] != aid
