"""`/api/v1/subsidies/…`: policies, claims (learner), evidence, review decisions and payments (union),
public notice (公示, JSON and CSV) and district reports."""

from __future__ import annotations

import base64
import binascii
import csv
import datetime as dt
import io
from typing import Any
from urllib.parse import quote

from flask import Response, current_app
from flask_smorest import Blueprint

from api.auth import principal, requires
from api.context import bank_did, keyring
from api.extensions import db
from api.ids import path_uuid
from ledger.errors import FieldProblem, Invalid
from ledger.roles import Role
from ledger.subsidies import service
from ledger.subsidies.models import SubsidyClaim
from ledger.subsidies.policies import get_policy
from schemas.subsidies import (
    AttachmentIn,
    AttachmentOut,
    ClaimCorrectionIn,
    ClaimIn,
    ClaimOut,
    ClaimQuery,
    DecisionIn,
    NoticeQuery,
    NoticeRowOut,
    PaymentIn,
    PolicyOut,
    PolicySummaryOut,
    ReportRowOut,
    ReviewerIn,
    ReviewerOut,
)

blp = Blueprint("subsidies", __name__, url_prefix="/api/v1/subsidies",
                description="Tuition subsidies (学费补贴): policies, claims, review, payments, public notice")


def _now() -> dt.datetime | None:
    """The service clock; `SUBSIDY_NOW` (ISO date-time) pins it for demos and tests of past policies."""
    pinned = current_app.config.get("SUBSIDY_NOW")
    return dt.datetime.fromisoformat(pinned) if pinned else None


def _policy_out(p: Any, full: bool = False) -> dict[str, Any]:
    out = {"id": p.id, "version": p.version, "title_zh": p.title_zh, "title_en": p.title_en, "year": p.year,
           "published_on": p.published_on, "content_hash": p.content_hash}
    if full:
        out["document"] = p.document
    return out


def _claim_out(claim: SubsidyClaim) -> dict[str, Any]:
    levels = get_policy(claim.policy_id).review_levels
    return {"id": claim.id, "policy_id": claim.policy_id, "account_id": claim.account_id,
            "education_level": claim.education_level, "district": claim.district, "batch_id": claim.batch_id,
            "status": claim.status,
            "review_level": levels[claim.level_index] if claim.status == "submitted" else None,
            "submitted_at": claim.submitted_at, "decided_at": claim.decided_at, "reason": claim.reason,
            "amounts": claim.amounts, "total": claim.total, "entry_index": claim.entry_index,
            "decisions": service.decisions(db.session, claim.id), "payments": service.payments(db.session, claim.id),
            "payment_status": service.payment_status(db.session, claim),
            "attachments": service.attachments(db.session, claim.id),
            "missing_attachments": service.missing_attachments(db.session, claim)}


@blp.route("/policies", methods=["GET"])
@blp.response(200, PolicySummaryOut(many=True))
def list_policies() -> Any:
    """Every published subsidy policy with its content hash."""
    return [_policy_out(p) for p in service.all_policies()]


@blp.route("/policies/<string:policy_id>", methods=["GET"])
@blp.response(200, PolicyOut)
def get_policy_view(policy_id: str) -> Any:
    """One policy, the whole published document."""
    return _policy_out(get_policy(policy_id), full=True)


@blp.route("/claims", methods=["POST"])
@requires(Role.LEARNER, Role.OPERATOR)
@blp.arguments(ClaimIn)
@blp.response(201, ClaimOut)
def create_claim(body: dict[str, Any]) -> Any:
    """File a claim for one's own account; refused naming every failed rule (problem+json, `rules.<name>`)."""
    claim = service.submit_claim(db.session, keyring(), principal(), bank_did(), policy_id=body["policy"],
                                 account_id=body["account"], district=body["district"],
                                 declarations=body["declarations"], now=_now())
    db.session.commit()
    return _claim_out(claim)


@blp.route("/claims", methods=["GET"])
@requires()
@blp.arguments(ClaimQuery, location="query")
@blp.response(200, ClaimOut(many=True))
def list_claims(query: dict[str, Any]) -> Any:
    """Claims the caller may see: a learner's own, a county union's district, every claim for a city union."""
    rows = service.list_claims(db.session, principal(), policy_id=query.get("policy"), status=query.get("status"))
    return [_claim_out(c) for c in rows]


@blp.route("/claims/<string:claim_id>", methods=["GET"])
@requires()
@blp.response(200, ClaimOut)
def get_claim(claim_id: str) -> Any:
    """One claim with each review step, payments per funder and evidence metadata."""
    return _claim_out(service.get_claim_for(db.session, principal(), path_uuid(claim_id)))


@blp.route("/claims/<string:claim_id>/correction", methods=["POST"])
@requires(Role.LEARNER)
@blp.arguments(ClaimCorrectionIn)
@blp.response(200, ClaimOut)
def correct_claim(body: dict[str, Any], claim_id: str) -> Any:
    """Correct a returned claim; it keeps its submission time and goes back to the first review level."""
    claim = service.resubmit(db.session, principal(), bank_did(), path_uuid(claim_id), body["declarations"])
    db.session.commit()
    return _claim_out(claim)


@blp.route("/claims/<string:claim_id>/attachments", methods=["POST"])
@requires(Role.LEARNER)
@blp.arguments(AttachmentIn)
@blp.response(201, AttachmentOut)
def attach(body: dict[str, Any], claim_id: str) -> Any:
    """Add evidence (tuition receipt, bank account …); the content is sealed, only metadata is shown."""
    try:
        content = base64.b64decode(body["content_base64"], validate=True)
    except (binascii.Error, ValueError):
        raise Invalid("invalid attachment", "附件无效",
                      [FieldProblem("content_base64", "not base64", "不是 base64 编码")]) from None
    att = service.add_attachment(db.session, keyring(), principal(), path_uuid(claim_id), kind=body["kind"],
                                 filename=body["filename"], media_type=body["media_type"], content=content)
    db.session.commit()
    return att


@blp.route("/claims/<string:claim_id>/attachments/<string:attachment_id>", methods=["GET"])
@requires()
@blp.response(200, {"type": "string", "format": "binary"}, content_type="application/octet-stream")
def read_attachment(claim_id: str, attachment_id: str) -> Any:
    """The evidence file itself, for the claimant, the claim's union reviewers and operators (else 404).

    Reads by anyone but the claimant are written to the account's access log."""
    att, content = service.read_attachment(db.session, keyring(), principal(), path_uuid(claim_id),
                                           path_uuid(attachment_id))
    db.session.commit()
    resp = Response(content, mimetype=att.media_type)
    resp.headers["Content-Disposition"] = content_disposition(att.filename)
    resp.headers["Cache-Control"] = "no-store"
    resp.headers["X-Content-Type-Options"] = "nosniff"
    return resp


def content_disposition(filename: str) -> str:
    """`attachment` with an ASCII fallback name and the UTF-8 name (RFC 6266 / 5987)."""
    ascii_name = "".join(c if c.isascii() and c.isprintable() and c not in '"\\' else "_" for c in filename) or "file"
    return f'attachment; filename="{ascii_name}"; filename*=UTF-8\'\'{quote(filename, safe="")}'


@blp.route("/claims/<string:claim_id>/decisions", methods=["POST"])
@requires(Role.UNION)
@blp.arguments(DecisionIn)
@blp.response(200, ClaimOut)
def decide(body: dict[str, Any], claim_id: str) -> Any:
    """Approve (to the next level; the last level takes a quota place by submission order), return, reject."""
    claim = service.decide(db.session, principal(), bank_did(), path_uuid(claim_id), decision=body["decision"],
                           reason=body.get("reason"), now=_now())
    db.session.commit()
    return _claim_out(claim)


@blp.route("/claims/<string:claim_id>/payments", methods=["POST"])
@requires(Role.UNION, Role.OPERATOR)
@blp.arguments(PaymentIn)
@blp.response(200, ClaimOut)
def pay(body: dict[str, Any], claim_id: str) -> Any:
    """Record one funder's payment: paid, failed, or reissued after a failure."""
    service.record_payment(db.session, principal(), bank_did(), path_uuid(claim_id), funder_id=body["funder"],
                           status=body["status"], reference=body.get("reference"))
    db.session.commit()
    return _claim_out(service.get_claim(db.session, path_uuid(claim_id)))


@blp.route("/policies/<string:policy_id>/notice", methods=["GET"])
@blp.arguments(NoticeQuery, location="query")
@blp.response(200, NoticeRowOut(many=True))
def notice(query: dict[str, Any], policy_id: str) -> Any:
    """公示 (public): approved claims, names and ID numbers masked (张*三, 3701**********1234)."""
    return service.notice(db.session, keyring(), policy_id, district=query.get("district"), batch=query.get("batch"))


@blp.route("/policies/<string:policy_id>/notice.csv", methods=["GET"])
@blp.arguments(NoticeQuery, location="query")
@blp.response(200, {"type": "string"}, content_type="text/csv")
def notice_csv(query: dict[str, Any], policy_id: str) -> Any:
    """公示 as CSV (UTF-8 with BOM so spreadsheet programs read the Chinese)."""
    rows = service.notice(db.session, keyring(), policy_id, district=query.get("district"), batch=query.get("batch"))
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(["district", "district_name", "batch", "name", "national_id", "education_level", "total"])
    for r in rows:
        w.writerow([r["district"], r["district_name"], r["batch"], r["name"], r["national_id"],
                    r["education_level"], r["total"]])
    return Response("\ufeff" + buf.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{policy_id}-notice.csv"'})


@blp.route("/policies/<string:policy_id>/report", methods=["GET"])
@requires(Role.UNION, Role.OPERATOR)
@blp.response(200, ReportRowOut(many=True))
def report(policy_id: str) -> Any:
    """Per district: places, used, pending, amounts by funder, mean processing time."""
    return service.report(db.session, policy_id)


@blp.route("/reviewers", methods=["PUT"])
@requires(Role.OPERATOR)
@blp.arguments(ReviewerIn)
@blp.response(200, ReviewerOut)
def set_reviewer(body: dict[str, Any]) -> Any:
    """Give a union client or person its review level and region (operator)."""
    row = service.set_reviewer(db.session, body["actor"], body["level"], body["region"])
    db.session.commit()
    return row
