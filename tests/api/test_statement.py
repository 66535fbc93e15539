"""The PDF statement: Chinese text extractable (CJK font embedded), the learner's records listed, a QR code when a
share token is given, readers limited as for the account."""

from __future__ import annotations

import io
from typing import Any

import pypdf
from flask.testing import FlaskClient

from tests.factories import account, auth, institution, institution_client, learner_token, posted_record


def test_statement_pdf_has_chinese_and_the_records(client: FlaskClient, db_session: Any) -> None:
    inst = institution(name="重庆开放大学")
    token = institution_client(inst.id)
    acc = account(name="李小梅")
    answers = [posted_record(client, token, acc.id) for _ in range(2)]
    learner = learner_token(acc.id)
    r = client.get(f"/api/v1/accounts/{acc.ref}/statement.pdf", headers=auth(learner))
    assert r.status_code == 200 and r.mimetype == "application/pdf", r.data[:200]
    reader = pypdf.PdfReader(io.BytesIO(r.data))
    text = "".join(p.extract_text() for p in reader.pages)
    assert "学习账户对账单" in text and "李小梅" in text and "重庆开放大学" in text
    assert f"#{answers[0]['index']}" in text and f"#{answers[1]['index']}" in text
    fonts = str(reader.pages[0]["/Resources"]["/Font"])
    assert "WenQuanYi" in str([reader.pages[0]["/Resources"]["/Font"][k].get_object()["/BaseFont"]
                               for k in reader.pages[0]["/Resources"]["/Font"]]), fonts
    share = client.post("/api/v1/shares", json={"transcript": True}, headers=auth(learner)).json
    with_qr = client.get(f"/api/v1/accounts/{acc.ref}/statement.pdf?share={share['token']}", headers=auth(learner))
    assert with_qr.status_code == 200 and "扫码在线验证" in pypdf.PdfReader(io.BytesIO(with_qr.data)).pages[0].extract_text()
    bad = client.get(f"/api/v1/accounts/{acc.ref}/statement.pdf?share={share['id']}", headers=auth(learner))
    assert bad.status_code == 422 and bad.json["errors"][0]["field"] == "share"
    assert client.get(f"/api/v1/accounts/{acc.ref}/statement.pdf",
                      headers=auth(learner_token(account().id))).status_code == 403
