"""Public documents every verifier relies on: Bitstring Status Lists (and own-key uploads) and the contexts map."""

from __future__ import annotations

import json
from typing import Any

from flask import Response, current_app, request
from flask_smorest import Blueprint

from api.auth import principal, requires
from api.extensions import db
from api.ids import path_uuid
from ledger.errors import FieldProblem, Invalid
from ledger.records import service, statuslists
from ledger.roles import Role
from schemas.records import ContextsOut, JsonDocument

blp = Blueprint("status", __name__, url_prefix="/api/v1",
                description="Status lists (Bitstring Status List) and JSON-LD contexts, public")

# Contexts the bank's credentials use beyond the standard W3C and Open Badges ones (DESIGN.md §4). Record
# credentials and status lists use only VC 2.0 and OB 3.0.3, so today there are none; a bank context
# (for the transcript fallback) is added here with its one fixed URL when it exists.
EXTRA_CONTEXTS: dict[str, Any] = {}


def _json(body: Any, status: int = 200) -> Response:
    return Response(json.dumps(body, ensure_ascii=False, separators=(",", ":")), status=status,
                    mimetype="application/json")


@blp.route("/status/<string:list_id>", methods=["GET"])
@blp.response(200, JsonDocument, description="the BitstringStatusListCredential, signed by the credentials' key")
def get_status_list(list_id: str) -> Any:
    """A status list credential, at the URL its entries name (public; re-signed whenever a bit changes)."""
    row = statuslists.get_list(db.session, path_uuid(list_id))
    resp = _json(row.signed)
    resp.headers["Cache-Control"] = "public, max-age=60"
    return resp


@blp.route("/status/<string:list_id>", methods=["PUT"])
@requires(Role.INSTITUTION)
@blp.doc(requestBody={"required": True, "content": {"application/json": {"schema": JsonDocument}}})
@blp.response(200, JsonDocument)
def put_status_list(list_id: str) -> Any:
    """Upload a status list an own-key institution signed (new, or a new version: revocations are never lifted).

    The credential's `id` is this list's URL; records whose bits changed change status, each an entry.
    """
    target = path_uuid(list_id)
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise Invalid("send the signed list credential as a JSON object", "请以 JSON 对象提交已签名的状态列表凭证",
                      [FieldProblem("_body", "expected a JSON object", "需要 JSON 对象")])
    row = service.upload_status_list(db.session, principal(), target, body,
                                     public_url=str(current_app.config["PUBLIC_URL"]))
    db.session.commit()
    return _json(row.signed)


@blp.route("/contexts", methods=["GET"])
@blp.response(200, ContextsOut)
def contexts() -> Any:
    """JSON-LD contexts the bank's credentials use beyond the standard W3C and Open Badges ones, by URL (public)."""
    resp = _json(EXTRA_CONTEXTS)
    resp.headers["Cache-Control"] = "public, max-age=3600"
    return resp
