"""The web pages: language (zh-CN default, English by cookie), login/activation with CSRF, and each page
driving the real services: /me records and conversion preview, /console batches (nothing half-saved) and
revocation, /verify verdicts turning red on revocation, /operator statistics."""

from __future__ import annotations

import io
import json
import re
from html import unescape
from typing import Any

import sqlalchemy as sa
from flask import current_app
from flask.testing import FlaskClient

from ledger import conversions, people
from ledger.principal import SYSTEM
from ledger.records.models import LearningRecord
from tests.factories import account, institution, record_body, user

PW = "correct horse battery"


def csrf(client: FlaskClient, path: str = "/login") -> str:
    html = client.get(path).get_data(as_text=True)
    m = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert m, html[:500]
    return m.group(1)


def log_in(client: FlaskClient, username: str, password: str = PW) -> Any:
    return client.post("/login", data={"username": username, "password": password, "csrf_token": csrf(client)})


def test_landing_is_chinese_by_default_and_english_after_switching(client: FlaskClient) -> None:
    html = client.get("/").get_data(as_text=True)
    assert 'lang="zh-CN"' in html and "求学圆梦学分银行" in html and "您的学习成果" in html
    r = client.get("/lang/en?next=/")
    assert r.status_code == 302 and "cb_lang=en" in r.headers["Set-Cookie"]
    html = client.get("/").get_data(as_text=True)
    assert 'lang="en"' in html and "Your learning, recorded and recognised" in html and "您的学习成果" not in html
    client.get("/lang/zh")
    assert "您的学习成果" in client.get("/").get_data(as_text=True)


def test_accept_language_english_without_cookie(client: FlaskClient) -> None:
    html = client.get("/", headers={"Accept-Language": "en-GB,en;q=0.9"}).get_data(as_text=True)
    assert "Your learning, recorded and recognised" in html
    assert client.get("/lang/fr").status_code == 404
    assert client.get("/lang/en?next=//evil.example").headers["Location"] == "/"


def test_pages_need_login_and_the_right_role(client: FlaskClient, db_session: Any) -> None:
    for path in ("/me", "/console", "/operator"):
        r = client.get(path)
        assert r.status_code == 302 and r.headers["Location"].startswith("/login?next=")
    for path in ("/", "/login", "/activate", "/verify"):
        assert client.get(path).status_code == 200
    u = user("verifier", organisation="某公司")
    assert log_in(client, u.username).status_code == 302
    for path in ("/me", "/console", "/operator"):
        r = client.get(path)
        assert r.status_code == 403 and "此账号无权访问" in r.get_data(as_text=True)


def test_login_errors_in_chinese_and_csrf_required(client: FlaskClient, db_session: Any) -> None:
    u = user("learner", account_id=account().id)
    r = client.post("/login", data={"username": u.username, "password": "nope", "csrf_token": csrf(client)})
    assert r.status_code == 422 and "用户名或密码错误" in r.get_data(as_text=True)
    assert db_session.get(people.User, u.id).failed_logins == 1
    r = client.post("/login", data={"username": u.username, "password": PW})
    assert r.status_code == 400  # no CSRF token
    client.get("/lang/en")
    r = client.post("/login", data={"username": u.username, "password": "nope", "csrf_token": csrf(client)})
    assert "wrong username or password" in r.get_data(as_text=True)
    r = log_in(client, u.username)
    assert r.status_code == 302 and r.headers["Location"] == "/me" and "cb_session=" in r.headers["Set-Cookie"]
    token = csrf(client, "/me")
    assert client.post("/logout", data={"csrf_token": token}).status_code == 302
    assert client.get("/me").status_code == 302


def test_activate_with_one_time_code_then_log_in(client: FlaskClient, db_session: Any) -> None:
    u = people.create_user(db_session, SYSTEM, current_app.extensions["creditbank.hasher"], username="newbie",
                           display_name="新学员", roles=["learner"], account_id=account().id)
    code = people.issue_reset_code(db_session, SYSTEM, u.username)
    db_session.commit()
    data = {"username": "newbie", "code": "wrong", "password": "a long new password", "password2": "a long new password"}
    r = client.post("/activate", data={**data, "csrf_token": csrf(client, "/activate")})
    assert r.status_code == 422 and 'role="alert"' in r.get_data(as_text=True)
    r = client.post("/activate", data={**data, "code": code, "csrf_token": csrf(client, "/activate")})
    assert r.status_code == 200 and "密码已设置" in r.get_data(as_text=True)
    assert log_in(client, "newbie", "a long new password").status_code == 302


def _college_and_learner(db_session: Any) -> tuple[Any, Any, Any, Any]:
    college = institution("college")
    acct = account()
    staff = user("institution", institution_id=college.id, organisation=college.name)
    learner = user("learner", account_id=acct.id)
    return college, acct, staff, learner


def _upload(client: FlaskClient, body: Any) -> Any:
    token = csrf(client, "/console")
    data = {"csrf_token": token, "file": (io.BytesIO(json.dumps(body).encode()), "batch.json")}
    return client.post("/console/batch", data=data, content_type="multipart/form-data")


def test_console_batch_with_a_bad_row_saves_nothing_then_posts(client: FlaskClient, db_session: Any) -> None:
    college, acct, staff, _ = _college_and_learner(db_session)
    assert log_in(client, staff.username).headers["Location"] == "/console"
    good = [record_body(acct.id, external_ref=f"WEB-{i}") for i in range(3)]
    bad = record_body(acct.id, external_ref="WEB-BAD")
    bad["outcome"] = {}
    r = _upload(client, {"records": [*good, bad]})
    html = r.get_data(as_text=True)
    assert r.status_code == 422 and "1 行被拒绝；未保存任何记录" in html and 'class="bad"' in html
    assert db_session.scalar(sa.select(sa.func.count()).select_from(LearningRecord)
                             .where(LearningRecord.institution_id == college.id)) == 0
    r = _upload(client, {"records": good})
    assert r.status_code == 200 and "已提交 3 条记录" in r.get_data(as_text=True)
    refs = set(db_session.scalars(sa.select(LearningRecord.external_ref)
                                  .where(LearningRecord.institution_id == college.id)))
    assert refs == {"WEB-0", "WEB-1", "WEB-2"}
    assert "WEB-1" in client.get("/console").get_data(as_text=True)


def test_console_csv_upload_names_the_row(client: FlaskClient, db_session: Any) -> None:
    _, _, staff, _ = _college_and_learner(db_session)
    log_in(client, staff.username)
    token = csrf(client, "/console")
    r = client.post("/console/batch", data={"csrf_token": token, "file": (io.BytesIO(b"not,a,records,file\n1,2,3,4\n"),
                                                                         "x.csv")}, content_type="multipart/form-data")
    assert r.status_code == 422 and 'role="alert"' in r.get_data(as_text=True)


def test_me_shows_records_and_a_conversion_preview_and_verify_turns_red(client: FlaskClient, db_session: Any) -> None:
    college, acct, staff, learner = _college_and_learner(db_session)
    log_in(client, staff.username)
    assert _upload(client, {"records": [record_body(acct.id, external_ref="WEB-ME-1")]}).status_code == 200
    record = db_session.scalar(sa.select(LearningRecord).where(LearningRecord.external_ref == "WEB-ME-1"))
    credential = json.dumps(record.credential)
    client.post("/logout", data={"csrf_token": csrf(client, "/console")})

    log_in(client, learner.username)
    html = client.get("/me").get_data(as_text=True)
    assert "课程学分" in html and "已认定" in html and "学分转换预览" in html and "下载凭证" in html
    programme = conversions.list_programmes()[0]["id"]
    r = client.get("/me", query_string={"programme": programme, "fragment": "plan"}, headers={"HX-Request": "true"})
    assert r.status_code == 200 and "可认定学分" in r.get_data(as_text=True) and "<html" not in r.get_data(as_text=True)
    client.post("/logout", data={"csrf_token": csrf(client, "/me")})

    def verdict(text: str) -> str:
        html = client.post("/verify", data={"credential": text, "csrf_token": csrf(client, "/verify")}).get_data(
            as_text=True)
        m = re.search(r'data-verdict="(\w+)"', html)
        assert m, html
        return m.group(1)

    assert verdict(credential) == "green"
    tampered = json.loads(credential)
    tampered["name"] = "伪造"
    assert verdict(json.dumps(tampered)) == "red"
    assert verdict("not json") == "red"

    log_in(client, staff.username)
    r = client.post(f"/console/records/{record.id}/revoke", data={"reason": "发错了", "csrf_token": csrf(client, "/console")})
    assert r.status_code == 302
    client.post("/logout", data={"csrf_token": csrf(client, "/console")})
    assert verdict(credential) == "red"
    assert "已撤销" in client.post("/verify", data={"credential": credential, "csrf_token": csrf(client, "/verify")}
                                  ).get_data(as_text=True)


def test_revoke_without_reason_shows_the_error_and_changes_nothing(client: FlaskClient, db_session: Any) -> None:
    _, acct, staff, _ = _college_and_learner(db_session)
    log_in(client, staff.username)
    _upload(client, {"records": [record_body(acct.id, external_ref="WEB-R-1")]})
    record = db_session.scalar(sa.select(LearningRecord).where(LearningRecord.external_ref == "WEB-R-1"))
    r = client.post(f"/console/records/{record.id}/revoke", data={"reason": "", "csrf_token": csrf(client, "/console")})
    assert r.status_code == 422
    db_session.refresh(record)
    assert record.status == "active"


def test_operator_page_has_statistics_charts(client: FlaskClient, db_session: Any) -> None:
    op = user("operator")
    log_in(client, op.username)
    html = client.get("/operator").get_data(as_text=True)
    assert "统计" in html and "<svg" in html and "日志条目数" in html and "透明日志" in html and "机构与密钥" in html


def test_console_posts_one_pasted_record(client: FlaskClient, db_session: Any) -> None:
    college, acct, staff, _ = _college_and_learner(db_session)
    log_in(client, staff.username)
    body = json.dumps(record_body(acct.id, external_ref="WEB-ONE"))
    r = client.post("/console/batch", data={"csrf_token": csrf(client, "/console"), "text": body})
    assert r.status_code == 200 and "已提交 1 条记录" in r.get_data(as_text=True)
    assert db_session.scalar(sa.select(LearningRecord.external_ref).where(
        LearningRecord.institution_id == college.id)) == "WEB-ONE"


def test_console_correct_supersedes_the_record(client: FlaskClient, db_session: Any) -> None:
    _, acct, staff, _ = _college_and_learner(db_session)
    log_in(client, staff.username)
    _upload(client, {"records": [record_body(acct.id, external_ref="WEB-C-1")]})
    old = db_session.scalar(sa.select(LearningRecord).where(LearningRecord.external_ref == "WEB-C-1"))
    page = client.get(f"/console/records/{old.id}/correct")
    assert page.status_code == 200 and "WEB-C-1-C" in page.get_data(as_text=True)
    body = json.loads(unescape(re.search(r'<textarea id="text" name="text" rows="14">(.*?)</textarea>',
                                page.get_data(as_text=True), re.S).group(1)))  # type: ignore[union-attr]
    token = csrf(client, "/console")
    r = client.post(f"/console/records/{old.id}/correct", data={"csrf_token": token, "text": "{bad"})
    assert r.status_code == 422
    body["reason"] = "学分录入错误"
    r = client.post(f"/console/records/{old.id}/correct", data={"csrf_token": token, "text": json.dumps(body)})
    assert r.status_code == 302, r.get_data(as_text=True)
    db_session.refresh(old)
    assert old.status == "superseded"
    assert db_session.scalar(sa.select(LearningRecord.status).where(LearningRecord.external_ref == "WEB-C-1-C")) == "active"


def test_verify_shows_the_api_checks_and_a_pasted_share_link_opens_the_share(client: FlaskClient, db_session: Any) -> None:
    _, acct, staff, _ = _college_and_learner(db_session)
    log_in(client, staff.username)
    _upload(client, {"records": [record_body(acct.id, external_ref="WEB-V-1")]})
    record = db_session.scalar(sa.select(LearningRecord).where(LearningRecord.external_ref == "WEB-V-1"))
    client.post("/logout", data={"csrf_token": csrf(client, "/console")})
    client.get("/lang/en")
    html = client.post("/verify", data={"credential": json.dumps(record.credential),
                                        "csrf_token": csrf(client, "/verify")}).get_data(as_text=True)
    assert 'data-verdict="green"' in html
    # the ledger.verify checks, in English: proof, issuer, authority, key, status, log
    assert "the signature is valid" in html and "(signed checkpoint)" in html and "not revoked or suspended" in html
    token = "A" * 43
    for pasted in (f"http://bank.example/s/{token}", token, f"  https://x.example/s/{token}/  "):
        r = client.post("/verify", data={"credential": pasted, "csrf_token": csrf(client, "/verify")})
        assert r.status_code == 302 and r.headers["Location"] == f"/s/{token}"
    r = client.post("/verify", data={"credential": "https://x.example/other/" + token, "csrf_token": csrf(client, "/verify")})
    assert r.status_code == 200 and 'data-verdict="red"' in r.get_data(as_text=True)


def test_me_shares_create_list_withdraw_and_downloads(client: FlaskClient, db_session: Any) -> None:
    _, acct, staff, learner = _college_and_learner(db_session)
    log_in(client, staff.username)
    _upload(client, {"records": [record_body(acct.id, external_ref="WEB-S-1")]})
    record = db_session.scalar(sa.select(LearningRecord).where(LearningRecord.external_ref == "WEB-S-1"))
    client.post("/logout", data={"csrf_token": csrf(client, "/console")})
    log_in(client, learner.username)
    html = client.get("/me").get_data(as_text=True)
    assert "还没有分享" in html or "No shares yet" in html
    # nothing chosen: a clear error, nothing created
    r = client.post("/me/shares", data={"csrf_token": csrf(client, "/me")})
    assert r.status_code == 422 and "分享未创建" in r.get_data(as_text=True)
    assert client.post("/me/shares", data={"records": f"urn:uuid:{record.id}"}).status_code == 400  # no CSRF
    r = client.post("/me/shares", data={"records": f"urn:uuid:{record.id}", "expires_in_days": "soon",
                                        "csrf_token": csrf(client, "/me")})
    assert r.status_code == 422 and "天数必须是整数" in r.get_data(as_text=True)
    assert "还没有分享" in client.get("/me").get_data(as_text=True)
    r = client.post("/me/shares", data={"records": f"urn:uuid:{record.id}", "expires_in_days": "7",
                                        "csrf_token": csrf(client, "/me")})
    assert r.status_code == 201
    html = r.get_data(as_text=True)
    m = re.search(r'data-share-url="[^"]*/s/([^"]+)"', html)
    assert m and "<svg" in html
    token = m.group(1)
    # the share page opens (a view) and is green; /me lists the share with one view
    page_html = client.get(f"/s/{token}").get_data(as_text=True)
    assert record.credential["credentialSubject"]["achievement"]["name"] in unescape(page_html)
    html = client.get("/me").get_data(as_text=True)
    row = re.search(r'<tr data-share="([^"]+)">.*?<td class="views">(\d+)</td>', html, re.S)
    assert row and row.group(2) == "1"
    # downloads work with the page's session cookie
    r = client.get(f"/api/v1/accounts/{acct.id}/transcript")
    assert r.status_code == 200 and "ClrCredential" in r.get_data(as_text=True)
    r = client.get(f"/api/v1/accounts/{acct.id}/statement.pdf")
    assert r.status_code == 200 and r.data.startswith(b"%PDF")
    # withdraw: the share page answers 410 and /me says withdrawn
    r = client.post(f"/me/shares/{row.group(1)}/withdraw", data={"csrf_token": csrf(client, "/me")})
    assert r.status_code == 302
    assert client.get(f"/s/{token}").status_code == 410
    assert "已撤回" in client.get("/me").get_data(as_text=True)


def test_console_lists_conversions_flagged_by_a_revocation_with_a_recheck_diff(client: FlaskClient,
                                                                               db_session: Any) -> None:
    from ledger.conversion import default_programmes
    from tests.factories import auth, institution_client, posted_record

    power = next(p for p in default_programmes() if p.code == "430103")
    college, acct, staff, _ = _college_and_learner(db_session)
    token = institution_client(college.id)
    posted_record(client, token, acct.id, "course_credit")
    appraiser = institution_client(institution("appraisal_body", name="重庆市职业技能鉴定中心").id)
    rec = posted_record(client, appraiser, acct.id, "skill_level")
    assert client.post(f"/api/v1/records/{rec['id']}:recognise", json={"decision": "recognised", "note": "核验"},
                       headers=auth(token)).status_code == 200
    conv = client.post(f"/api/v1/accounts/{acct.id}/conversions", json={
        "programme": power.id, "enrolment_ref": "ENR-WEB-1", "reason": "转换"}, headers=auth(token)).get_json()
    log_in(client, staff.username)
    assert "没有需要复核的转换" in client.get("/console").get_data(as_text=True)
    assert client.post(f"/api/v1/records/{rec['id']}:revoke", json={"reason": "证书信息有误"},
                       headers=auth(appraiser)).status_code == 200
    html = client.get("/console").get_data(as_text=True)
    cid = conv["id"].removeprefix("urn:uuid:")
    assert f'data-conversion="{cid}"' in html and "证书信息有误" in html
    r = client.get(f"/console/conversions/{cid}/recheck")
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and f'data-lost="{rec["id"]}"' in html and "复核结果" in html
    # another college sees neither the queue entry nor the recheck
    other = institution("college", name="另一所学院")
    other_staff = user("institution", institution_id=other.id, organisation=other.name)
    client.post("/logout", data={"csrf_token": csrf(client, "/console")})
    log_in(client, other_staff.username)
    assert f'data-conversion="{cid}"' not in client.get("/console").get_data(as_text=True)
    assert client.get(f"/console/conversions/{cid}/recheck").status_code == 404


def test_operator_audits_the_log_and_sees_a_tampered_entry_named(client: FlaskClient, db_session: Any) -> None:
    from ledger.log.models import LogEntry

    _college_and_learner(db_session)
    op = user("operator")
    log_in(client, op.username)
    token = csrf(client, "/operator")
    html = client.post("/operator/audit", data={"csrf_token": token}).get_data(as_text=True)
    assert "审计通过" in html and "审计失败" not in html
    last = db_session.scalar(sa.select(sa.func.max(LogEntry.index)))
    leaf = db_session.get(LogEntry, last).leaf
    db_session.execute(sa.update(LogEntry).where(LogEntry.index == last).values(leaf=leaf.replace(b'"', b"'", 1)))
    html = client.post("/operator/audit", data={"csrf_token": token}).get_data(as_text=True)
    assert f"审计失败，首个问题条目 {last}" in html
    # without the token nothing runs
    assert client.post("/operator/audit", data={}).status_code == 400


def test_console_record_form_lists_authorised_kinds_and_reloads_the_fields(client: FlaskClient, db_session: Any) -> None:
    from ledger.institutions import Authorisation

    college, _, staff, _ = _college_and_learner(db_session)
    authorised = set(db_session.scalars(sa.select(Authorisation.kind).where(Authorisation.institution_id == college.id)))
    log_in(client, staff.username)
    html = client.get("/console").get_data(as_text=True)
    assert 'id="record-form"' in html and 'name="outcome.course_code"' in html and "课程代码" in html
    kinds = set(re.findall(r'<option value="(\w+)"', html.split('id="r-kind"')[1].split("</select>")[0]))
    assert kinds == authorised and "course_credit" in kinds and len(kinds) < 12  # only what the college may issue
    other = next(k for k in ("online_course", "training", "practice", "degree", "enrolment") if k in kinds)
    reloaded = client.get("/console", query_string={"kind": other}).get_data(as_text=True)  # no JS: the console reloads
    from schemas.records import OUTCOME_SCHEMAS, OutcomeKind

    expected = set(OUTCOME_SCHEMAS[OutcomeKind(other)]().fields)
    assert f'<option value="{other}" selected>' in reloaded
    assert set(re.findall(r'name="outcome\.(\w+)"', reloaded)) == expected != set(re.findall(r'name="outcome\.(\w+)"', html))
    r = client.get("/console/record/fields", query_string={"kind": "course_credit"}, headers={"HX-Request": "true"})
    part = r.get_data(as_text=True)
    assert r.status_code == 200 and "<html" not in part and 'name="outcome.credits"' in part and "学分" in part
    assert re.search(r'for="f-course_name">课程名称 <span class="required"', part)


def _form(acct: Any, **over: str) -> dict[str, str]:
    data = {"account": f"urn:uuid:{acct.id}", "kind": "course_credit", "external_ref": "FORM-1",
            "occurred_on": "2024-06-20", "outcome.course_code": "CS201", "outcome.course_name": "数据结构",
            "outcome.credits": "2.5", "outcome.grade": "良好", "outcome.started_on": "2025-02-24"}
    data.update(over)
    return data


def test_console_record_form_posts_a_record(client: FlaskClient, db_session: Any) -> None:
    college, acct, staff, _ = _college_and_learner(db_session)
    log_in(client, staff.username)
    r = client.post("/console/record", data={**_form(acct, account=acct.card_number), "csrf_token": csrf(client, "/console")})
    assert r.status_code == 302 and "posted=FORM-1" in r.headers["Location"]
    record = db_session.scalar(sa.select(LearningRecord).where(LearningRecord.institution_id == college.id))
    assert record.external_ref == "FORM-1" and record.account_id == acct.id
    assert record.outcome["credits"] == "2.5" and record.outcome["grade"] == "良好" and "score" not in record.outcome
    assert "FORM-1" in client.get("/console?posted=FORM-1").get_data(as_text=True)


def test_console_record_form_shows_the_error_on_the_field_and_saves_nothing(client: FlaskClient,
                                                                           db_session: Any) -> None:
    college, acct, staff, _ = _college_and_learner(db_session)
    log_in(client, staff.username)
    r = client.post("/console/record", data={**_form(acct, **{"outcome.credits": "abc"}),
                                             "csrf_token": csrf(client, "/console")})
    html = r.get_data(as_text=True)
    assert r.status_code == 422 and "未保存任何内容" in html
    field = html.split('data-field="outcome.credits"')[1].split("</div>")[0]
    assert 'class="field-error"' in field and 'aria-invalid="true"' in field and 'value="abc"' in field
    assert "不是允许范围内的十进制数字字符串" in field  # the field's error in the page language
    assert 'class="field-error"' not in html.split('data-field="outcome.course_name"')[1].split("</div>")[0]
    assert db_session.scalar(sa.select(sa.func.count()).select_from(LearningRecord)
                             .where(LearningRecord.institution_id == college.id)) == 0
    client.get("/lang/en")
    r = client.post("/console/record", data={**_form(acct, account="8800 0000 0000 0000"),
                                             "csrf_token": csrf(client, "/console")})
    account_field = r.get_data(as_text=True).split('data-field="account"')[1].split("</div>")[0]
    assert r.status_code == 422 and "card number of an account" in account_field
    assert db_session.scalar(sa.select(sa.func.count()).select_from(LearningRecord)
                             .where(LearningRecord.institution_id == college.id)) == 0
