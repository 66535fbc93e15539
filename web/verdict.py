"""The /verify verdict: the page shows the same checks as POST /api/v1/verify (ledger.verify), coloured
green (verified), amber (nothing failed but a warning, e.g. an issuer outside the registry) or red."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from flask import current_app
from sqlalchemy.orm import Session

TOKEN_RE = re.compile(r"(?:/s/)?([A-Za-z0-9_-]{16,128})/?")


@dataclass
class Check:
    ok: bool | None  # True pass, False fail, None could not tell (a warning)
    text: str
    id: str = ""


@dataclass
class Verdict:
    colour: str  # green | amber | red
    headline: str
    checks: list[Check] = field(default_factory=list)


def share_token(text: str) -> str | None:
    """The token of a pasted share link (`https://…/s/{token}`) or a bare token; None for anything else."""
    text = text.strip()
    if not text or text.startswith(("{", "[")) or len(text) > 512:
        return None
    if "://" in text:
        text = text.split("://", 1)[1]
        text = text[text.find("/"):] if "/" in text else ""
        text = text.split("?", 1)[0].split("#", 1)[0]
        m = TOKEN_RE.fullmatch(text)
        return m.group(1) if m and text.startswith("/s/") else None
    m = TOKEN_RE.fullmatch(text)
    return m.group(1) if m else None


def verdict_for(session: Session, text: str, *, zh: bool) -> Verdict:
    """Check a pasted credential or proof bundle with ledger.verify, the same verdict as the API."""
    from api.context import bank_did, keyring, log_signer
    from ledger import verify
    from ledger.log import checkpoints

    def t(zh_text: str, en_text: str) -> str:
        return zh_text if zh else en_text

    try:
        doc: Any = json.loads(text)
        if not isinstance(doc, dict):
            raise ValueError("not an object")
    except ValueError:
        return Verdict("red", t("无法验证", "Cannot be verified"),
                       [Check(False, t("内容不是 JSON 格式的凭证。", "This is not a JSON credential."), "json")])
    signer = log_signer()
    checkpoints.sign_if_due(session, signer, min_interval=float(current_app.config["CHECKPOINT_INTERVAL"]))
    result = verify.verify_document(session, keyring(), signer.verifier, doc, bank_did=bank_did())
    checks = [Check(True if c["ok"] else (None if c["severity"] == "warning" else False),
                    c["message_zh"] if zh else c["message_en"], c["id"]) for c in result["checks"]]
    if result["verified"]:
        return Verdict("green", t("真实有效", "Genuine and valid"), checks)
    failed = {c.id for c in checks if c.ok is False}
    if not failed:
        return Verdict("amber", t("签名有效，但需要注意", "Signed, but needs attention"), checks)
    if failed == {"status"}:
        status = next(c for c in checks if c.id == "status")
        if "revoked" in status.text or "已撤销" in status.text:
            return Verdict("red", t("已撤销", "Revoked"), checks)
        return Verdict("amber", t("需要注意", "Needs attention"), checks)
    if "proof" in failed:
        return Verdict("red", t("不可信", "Not genuine"), checks)
    return Verdict("red", t("无法验证", "Cannot be verified"), checks)
