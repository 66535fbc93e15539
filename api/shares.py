"""`/api/v1/shares` (learner: create, list with views, withdraw; verifier or anyone with the token: open) and
the public HTML page `/s/{token}` with the live verdict and an inline QR code (SVG made here, no CDN)."""

from __future__ import annotations

import json
from typing import Any

import segno
from flask import Blueprint as FlaskBlueprint
from flask import Response, current_app, render_template, request
from flask_smorest import Blueprint

from api import problems
from api.auth import current_principal, principal, requires
from api.context import bank_did, keyring, log_signer
from api.extensions import db
from api.ids import path_uuid
from ledger import shares, verify
from ledger.documents import timestamp
from ledger.errors import FieldProblem, Invalid, LedgerError
from ledger.log import checkpoints
from ledger.roles import Role
from schemas.records import JsonDocument

problems.STATUS_OF[shares.Gone] = 410
problems._TITLES.setdefault(410, ("Gone", "已失效"))

blp = Blueprint("shares", __name__, url_prefix="/api/v1", description="Shares of records with verifiers")
page = FlaskBlueprint("share_page", __name__, template_folder="../web/templates")


def _json(body: Any, status: int = 200) -> Response:
    return Response(json.dumps(body, ensure_ascii=False, separators=(",", ":")), status=status,
                    mimetype="application/json")


def share_url(token: str) -> str:
    """The page URL of a share token."""
    return f"{str(current_app.config['PUBLIC_URL']).rstrip('/')}/s/{token}"


def _row(share: shares.Share, views: list[shares.ShareView] | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": share.ref, "records": share.records, "transcript": share.transcript,
        "audience": f"urn:uuid:{share.audience}" if share.audience else None,
        "created_at": timestamp(share.created_at), "expires_at": timestamp(share.expires_at),
        "withdrawn_at": timestamp(share.withdrawn_at) if share.withdrawn_at else None, "index": share.entry_index}
    if views is not None:
        body["view_count"] = len(views)
        body["views"] = [shares.view_row(v) for v in views]
    return body


def _body() -> dict[str, Any]:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise Invalid("send a JSON object", "请提交 JSON 对象", [FieldProblem("_body", "expected a JSON object", "需要 JSON 对象")])
    unknown = set(body) - {"records", "transcript", "audience", "expires_in_days"}
    if unknown:
        raise Invalid("unknown field", "未知字段", [FieldProblem(sorted(unknown)[0], "unknown field", "未知字段")])
    checks = (("records", list), ("transcript", bool), ("audience", str), ("expires_in_days", int))
    for name, typ in checks:
        value = body.get(name)
        if value is not None and (not isinstance(value, typ) or (typ is int and isinstance(value, bool))):
            raise Invalid("wrong type", "类型错误", [FieldProblem(name, f"must be {typ.__name__}", "类型错误")])
    return body


@blp.route("/shares", methods=["POST"])
@requires(Role.LEARNER)
@blp.doc(requestBody={"required": True, "content": {"application/json": {"schema": {"type": "object", "properties": {
    "records": {"type": "array", "items": {"type": "string"}}, "transcript": {"type": "boolean"},
    "audience": {"type": "string", "description": "API client id of the verifier allowed to open it"},
    "expires_in_days": {"type": "integer", "minimum": 1, "maximum": 365, "default": 30}}}}}})
@blp.response(201, JsonDocument)
def create() -> Any:
    """Share records (or the transcript) with a token link; the token is shown only in this answer."""
    body = _body()
    share, token = shares.create_share(db.session, principal(), bank_did(), records=body.get("records"),
                                       transcript=bool(body.get("transcript")), audience=body.get("audience"),
                                       expires_in_days=body.get("expires_in_days"))
    out = {**_row(share), "token": token, "url": share_url(token)}
    db.session.commit()
    return _json(out, 201)


@blp.route("/shares", methods=["GET"])
@requires(Role.LEARNER)
@blp.response(200, JsonDocument)
def my_shares() -> Any:
    """The learner's shares with their view counts and view log."""
    rows = [_row(s, v) for s, v in shares.my_shares(db.session, principal())]
    return _json({"shares": rows})


@blp.route("/shares/<string:share_id>", methods=["DELETE"])
@requires(Role.LEARNER)
@blp.response(200, JsonDocument)
def withdraw(share_id: str) -> Any:
    """Withdraw a share: from now on it answers 410."""
    share = shares.withdraw_share(db.session, principal(), bank_did(), path_uuid(share_id))
    out = _row(share)
    db.session.commit()
    return _json(out)


def _verdicts(records: list[Any]) -> list[dict[str, Any]]:
    signer = log_signer()
    checkpoints.sign_if_due(db.session, signer, min_interval=float(current_app.config["CHECKPOINT_INTERVAL"]))
    return [verify.verify_document(db.session, keyring(), signer.verifier, r.credential) for r in records]


@blp.route("/shares/<string:token>/credentials", methods=["GET"])
@blp.response(200, JsonDocument)
def open_credentials(token: str) -> Any:
    """The shared credentials exactly as signed, each with the bank's live verdict (anyone with the token;
    only the named verifier client when the share has an audience). The view is recorded."""
    share, records = shares.open_share(db.session, token, current_principal(optional=True), "api")
    verdicts = _verdicts(records)
    out = {"share": _row(share), "credentials": [
        {"credential": r.credential, "verified": v["verified"], "checks": v["checks"]}
        for r, v in zip(records, verdicts, strict=True)]}
    db.session.commit()
    return _json(out)


@page.route("/s/<string:token>")
def share_page(token: str) -> Any:
    """The share as a page: credentials, live verdict, QR code of this URL."""
    try:
        share, records = shares.open_share(db.session, token, current_principal(optional=True), "page")
    except LedgerError as err:
        status = problems.STATUS_OF.get(type(err), 400)
        db.session.rollback()
        return render_template("share/gone.html", status=status, message_zh=err.message_zh,
                               message_en=err.message_en), status
    verdicts = _verdicts(records)
    qr = segno.make(share_url(token), error="m").svg_inline(scale=3)
    items = []
    for r, v in zip(records, verdicts, strict=True):
        subject = r.credential.get("credentialSubject", {})
        ach = subject.get("achievement", {}) if isinstance(subject, dict) else {}
        items.append({"name": ach.get("name"), "issuer": v["issuer"]["name"] or v["issuer"]["id"],
                      "kind": r.kind, "verdict": v, "id": r.ref,
                      "amber": not v["verified"] and all(c["ok"] or c["severity"] == "warning" for c in v["checks"])})
    db.session.commit()
    return render_template("share/share.html", share=_row(share), items=items, qr=qr)
