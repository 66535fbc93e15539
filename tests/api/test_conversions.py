"""Credit conversion catalogue: programmes, rule sets, agreements from the engine's data files."""

from __future__ import annotations

from typing import Any

from flask.testing import FlaskClient

from ledger import conversions
from ledger.conversion import default_agreements, default_programmes, default_rulesets, plan, select_ruleset
from ledger.log import tree_head
from tests.factories import account, auth, institution, institution_client, learner_token, posted_record

POWER = next(p for p in default_programmes() if p.code == "430103")


def test_programmes_list_matches_engine_data(client: FlaskClient) -> None:
    resp = client.get("/api/v1/programmes")
    assert resp.status_code == 200
    body = resp.get_json()
    assert {p["id"] for p in body} == {p.id for p in default_programmes()}
    power = next(p for p in body if p["code"] == "430103")
    assert power["content_hash"].startswith("sha256:")
    assert power["courses"] and isinstance(power["total_credits"], str)
    one = client.get(f"/api/v1/programmes/{power['id']}")
    assert one.status_code == 200 and one.get_json() == power


def test_programme_ids_are_stable_and_unknown_is_404(client: FlaskClient) -> None:
    first = [p["id"] for p in client.get("/api/v1/programmes").get_json()]
    assert first == [p["id"] for p in client.get("/api/v1/programmes").get_json()]
    resp = client.get("/api/v1/programmes/urn:uuid:00000000-0000-4000-8000-000000000000")
    assert resp.status_code == 404 and resp.mimetype == "application/problem+json"
    assert client.get("/api/v1/programmes/not-an-id").status_code == 404


def test_rulesets_list_and_detail(client: FlaskClient) -> None:
    body = client.get("/api/v1/rulesets").get_json()
    assert {(r["id"], r["version"], r["content_hash"]) for r in body} == {
        (r.id, r.version, r.content_hash) for r in default_rulesets()}
    assert {r["style"] for r in body} >= {"chongqing"}
    assert all("rules" not in r for r in body)
    detail = client.get(f"/api/v1/rulesets/{body[0]['id']}").get_json()
    assert detail["rules"] and detail["content_hash"] == body[0]["content_hash"]


def test_agreements_list(client: FlaskClient) -> None:
    body = client.get("/api/v1/agreements").get_json()
    assert {a["id"] for a in body} == {a.id for a in default_agreements()}


def test_preview_equals_engine_plan_and_changes_nothing(client: FlaskClient, db_session: Any) -> None:
    college = institution("college", name="重庆电力高等专科学校")
    acc = account()
    posted_record(client, institution_client(college.id), acc.id, "course_credit")
    token = learner_token(acc.id)
    size0, _ = tree_head(db_session)
    r = client.post(f"/api/v1/accounts/{acc.id}/conversions:preview",
                    json={"programme": POWER.id, "as_of": "2025-06-01"}, headers=auth(token))
    assert r.status_code == 200, r.json
    body = r.get_json()
    assert tree_head(db_session)[0] == size0
    import datetime as dt
    day = dt.date(2025, 6, 1)
    rs = select_ruleset(POWER, default_rulesets(), day)
    assert rs is not None
    expected = conversions.plan_view(plan(conversions.account_outcomes(db_session, acc.id), POWER, rs, day,
                                          transfer=default_agreements()))
    assert body == expected
    assert len(body["lines"]) == 1 and body["ruleset"]["content_hash"] == rs.content_hash
    assert body["lines"][0]["explanation"]["zh"]


def test_preview_of_another_learners_account_is_refused(client: FlaskClient) -> None:
    mine, other = account(), account()
    r = client.post(f"/api/v1/accounts/{other.id}/conversions:preview", json={"programme": POWER.id},
                    headers=auth(learner_token(mine.id)))
    assert r.status_code in (403, 404)
    r = client.post(f"/api/v1/accounts/{mine.id}/conversions:preview",
                    json={"programme": "urn:uuid:00000000-0000-4000-8000-000000000000"},
                    headers=auth(learner_token(mine.id)))
    assert r.status_code == 404


def test_ranking_lists_programmes_most_credits_first(client: FlaskClient) -> None:
    college = institution("college", name="重庆电力高等专科学校")
    acc = account()
    posted_record(client, institution_client(college.id), acc.id, "course_credit")
    r = client.get(f"/api/v1/accounts/{acc.id}/programmes:rank", query_string={"as_of": "2025-06-01"},
                   headers=auth(learner_token(acc.id)))
    assert r.status_code == 200, r.json
    body = r.get_json()
    assert body and {b["programme"] for b in body} <= {p.id for p in default_programmes()}
    keys = [(-float(b["credits"]), -float(b["share"]), b["code"]) for b in body]
    assert keys == sorted(keys)


def test_posting_college_previews_with_a_reason(client: FlaskClient) -> None:
    college = institution("college", name="重庆电力高等专科学校")
    token = institution_client(college.id)
    acc = account()
    posted_record(client, token, acc.id, "course_credit")
    r = client.post(f"/api/v1/accounts/{acc.id}/conversions:preview",
                    json={"programme": POWER.id, "as_of": "2025-06-01", "reason": "enrolment advice for 2025"},
                    headers=auth(token))
    assert r.status_code == 200, r.json
    assert r.get_json()["programme"] == POWER.id
