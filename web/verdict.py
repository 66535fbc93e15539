"""The /verify verdict: one function, `verdict_for`, so the page can switch to ledger.verify when it exists."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session


@dataclass
class Check:
    ok: bool | None  # True pass, False fail, None could not tell
    text: str


@dataclass
class Verdict:
    colour: str  # green | amber | red
    headline: str
    checks: list[Check] = field(default_factory=list)


def verdict_for(session: Session, text: str, *, zh: bool) -> Verdict:
    """Check a pasted credential: JSON, signature, known to this bank, and its status now."""
    from credentials.dataintegrity import verify
    from ledger.records.digests import credential_digest
    from ledger.records.models import LearningRecord

    def t(zh_text: str, en_text: str) -> str:
        return zh_text if zh else en_text

    checks: list[Check] = []
    try:
        doc: Any = json.loads(text)
        if not isinstance(doc, dict):
            raise ValueError("not an object")
    except ValueError:
        checks.append(Check(False, t("内容不是 JSON 格式的凭证。", "This is not a JSON credential.")))
        return Verdict("red", t("无法验证", "Cannot be verified"), checks)
    checks.append(Check(True, t("内容是 JSON 格式的凭证。", "The credential is well-formed JSON.")))
    try:
        verify(doc)
        checks.append(Check(True, t("签名有效，内容未被篡改。", "The signature is valid: nothing was altered.")))
    except Exception:  # noqa: BLE001 — any failure to verify means the same to the reader
        checks.append(Check(False, t("签名无效：内容被修改过或不是本系统签发的。",
                                     "The signature is not valid: the credential was altered or not signed.")))
        return Verdict("red", t("不可信", "Not genuine"), checks)
    try:
        digest = credential_digest(doc)
    except Exception:  # noqa: BLE001
        digest = ""
    record = session.scalar(sa.select(LearningRecord).where(LearningRecord.credential_digest == digest)) if digest else None
    if record is None:
        checks.append(Check(None, t("本学分银行没有这份凭证的记录。", "This credit bank holds no record of it.")))
        return Verdict("amber", t("签名有效，但无法确认状态", "Signed, but its status is unknown"), checks)
    checks.append(Check(True, t("凭证已记入学分银行的透明日志。", "The credential is recorded in the bank's log.")))
    if record.status == "revoked":
        checks.append(Check(False, t("签发机构已撤销这条记录。", "The issuer has revoked this record.")))
        return Verdict("red", t("已撤销", "Revoked"), checks)
    if record.status != "active":
        checks.append(Check(None, t(f"记录当前状态：{record.status}。", f"The record is {record.status}.")))
        return Verdict("amber", t("需要注意", "Needs attention"), checks)
    checks.append(Check(True, t("记录现时有效，未被撤销或暂停。", "The record stands: not revoked or suspended.")))
    return Verdict("green", t("真实有效", "Genuine and valid"), checks)
