"""`POST /api/v1/verify` (public, rate-limited by the default limit) and `GET /api/v1/records/{id}/bundle`."""

from __future__ import annotations

import json
from typing import Any

import click
from flask import Response, current_app, request
from flask_smorest import Blueprint

from api.auth import requires
from api.context import bank_did, keyring, log_signer
from api.extensions import db
from api.ids import path_uuid
from credentials.bundle import make_bundle
from ledger import verify as verifier
from ledger.errors import Conflict, FieldProblem, Invalid
from ledger.log import checkpoints
from ledger.log.proofs import inclusion_proof
from ledger.records import service
from schemas.records import JsonDocument

blp = Blueprint("verify", __name__, url_prefix="/api/v1", cli_group=None,
                description="Verification of credentials and offline proof bundles (public)")


def _json(body: Any, status: int = 200) -> Response:
    return Response(json.dumps(body, ensure_ascii=False, separators=(",", ":")), status=status,
                    mimetype="application/json")


def _invalid(field: str, en: str, zh: str) -> Invalid:
    return Invalid("the request cannot be verified as sent", "无法按所提交的内容进行验证",
                   [FieldProblem(field, en, zh)])


def _input() -> tuple[Any, str | None]:
    if request.mimetype == "multipart/form-data":
        upload = request.files.get("file")
        if upload is None:
            raise _invalid("file", "upload the credential or bundle as the field `file`", "请以 file 字段上传凭证或证明包")
        try:
            document = json.loads(upload.read())
        except (ValueError, UnicodeDecodeError) as exc:
            raise _invalid("file", "the file is not JSON", "文件不是 JSON") from exc
        nid = request.form.get("national_id") or None
    else:
        body = request.get_json(silent=True)
        if not isinstance(body, dict):
            raise _invalid("_body", "send {\"credential\": …} as JSON or a multipart upload",
                           "请以 JSON 提交 {\"credential\": …} 或以表单上传文件")
        document = body.get("credential")
        nid = body.get("national_id")
        if nid is not None and not isinstance(nid, str):
            raise _invalid("national_id", "must be a string", "必须是字符串")
        unknown = set(body) - {"credential", "national_id"}
        if unknown:
            raise _invalid(sorted(unknown)[0], "unknown field", "未知字段")
    if not isinstance(document, dict):
        raise _invalid("credential", "expected a credential or a proof bundle (a JSON object)",
                       "需要凭证或证明包（JSON 对象）")
    return document, nid


@blp.route("/verify", methods=["POST"])
@blp.doc(requestBody={"required": True, "content": {
    "application/json": {"schema": {"type": "object", "properties": {
        "credential": {"type": "object"}, "national_id": {"type": "string"}}, "required": ["credential"]}},
    "multipart/form-data": {"schema": {"type": "object", "properties": {
        "file": {"type": "string", "format": "binary"}, "national_id": {"type": "string"}}}}}})
@blp.response(200, JsonDocument, description="the verdict with its checks")
def verify() -> Any:
    """Verify a record credential or an offline proof bundle (public): the checks `proof`, `issuer`,
    `authority`, `key`, `status`, `log` and, when `national_id` is given, `identity` (never echoed)."""
    document, nid = _input()
    signer = log_signer()
    checkpoints.sign_if_due(db.session, signer, min_interval=float(current_app.config["CHECKPOINT_INTERVAL"]))
    verdict = verifier.verify_document(db.session, keyring(), signer.verifier, document, national_id=nid,
                                       bank_did=bank_did())
    db.session.rollback()
    return _json(verdict)


@blp.route("/records/<string:record_id>/bundle", methods=["GET"])
@blp.response(200, JsonDocument, description="the offline proof bundle (DESIGN.md §8)")
def get_bundle(record_id: str) -> Any:
    """The record's offline proof bundle (public, like the credential and its proof): the credential as
    signed, its entry, the inclusion proof, the checkpoint note and the log's verifier key."""
    record = service.get_record(db.session, path_uuid(record_id))
    signer = log_signer()
    checkpoints.sign_if_due(db.session, signer, min_interval=float(current_app.config["CHECKPOINT_INTERVAL"]))
    cp = checkpoints.latest_checkpoint(db.session)
    if cp is None or cp.size <= record.entry_index:
        raise Conflict("no signed checkpoint covers this record's entry yet; try again shortly",
                       "尚无已签署的检查点覆盖该记录的条目，请稍后再试", code="pending")
    inclusion = inclusion_proof(db.session, record.entry_index, cp.size)
    body = make_bundle(record.credential, inclusion, cp.note, signer.verifier.key_string())
    db.session.commit()
    return _json(body)


def _transcript(account_id: str) -> tuple[dict[str, Any], int]:
    from api.auth import principal
    from ledger import accounts, transcript

    did = bank_did()
    account = accounts.get_account_for(db.session, principal(), path_uuid(account_id), request.args.get("reason"))
    return transcript.transcript_for(db.session, keyring(), did, account)


@blp.route("/accounts/<string:account_id>/transcript", methods=["GET"])
@requires()
@blp.response(200, JsonDocument, description="a CLR 2.0 ClrCredential signed by the bank")
def get_transcript(account_id: str) -> Any:
    """The account's transcript: a CLR 2.0 `ClrCredential` signed by the bank wrapping its current record
    credentials as signed; entered in the log (a new one only when the records changed). The learner, the
    institutions that posted to the account, operators with `?reason=` (logged)."""
    signed, index = _transcript(account_id)
    db.session.commit()
    resp = _json(signed)
    resp.headers["X-Log-Index"] = str(index)
    return resp


@blp.route("/accounts/<string:account_id>/transcript/bundle", methods=["GET"])
@requires()
@blp.response(200, JsonDocument, description="the transcript's offline proof bundle (DESIGN.md §8)")
def get_transcript_bundle(account_id: str) -> Any:
    """The transcript wrapped as an offline proof bundle (409 `pending` until a checkpoint covers it)."""
    signed, index = _transcript(account_id)
    db.session.commit()
    signer = log_signer()
    checkpoints.sign_if_due(db.session, signer, min_interval=float(current_app.config["CHECKPOINT_INTERVAL"]))
    cp = checkpoints.latest_checkpoint(db.session)
    if cp is None or cp.size <= index:
        raise Conflict("no signed checkpoint covers the transcript's entry yet; try again shortly",
                       "尚无已签署的检查点覆盖该成绩总表的条目，请稍后再试", code="pending")
    return _json(make_bundle(signed, inclusion_proof(db.session, index, cp.size), cp.note,
                             signer.verifier.key_string()))


@blp.route("/accounts/<string:account_id>/statement.pdf", methods=["GET"])
@requires()
@blp.response(200, description="the statement as application/pdf")
def get_statement(account_id: str) -> Any:
    """A printable learning-account statement in Chinese (PDF); `?share=<token>` adds a QR code to that share's
    page `/s/{token}` (the bank stores only the token's hash, so it must be given)."""
    import datetime as dt

    import sqlalchemy as sa

    from api.auth import principal
    from ledger import accounts, shares, statement
    from ledger.documents import timestamp
    from ledger.records.service import institutions_of

    actor = principal()
    account = accounts.get_account_for(db.session, actor, path_uuid(account_id), request.args.get("reason"))
    records = statement_records(account)
    names = {str(k): v.name for k, v in institutions_of(db.session, records).items()}
    share_url = None
    share_arg = request.args.get("share")
    if share_arg:
        # The bank keeps only the token's hash, so the QR needs the token itself (the learner has it).
        share = db.session.scalar(sa.select(shares.Share).where(shares.Share.token_hash == shares.token_hash(share_arg)))
        if share is None or share.account_id != account.id or share.withdrawn_at is not None:
            raise _invalid("share", "not a live share token of this account (pass the token, not the id)",
                           "不是该账户有效分享的令牌（请传入令牌而非编号）")
        share_url = f"{str(current_app.config['PUBLIC_URL']).rstrip('/')}/s/{share_arg}"
    pd = accounts.personal_data(keyring(), account)
    pdf = statement.render_statement(holder=pd.name or "", account_ref=account.ref, card_number=account.card_number,
                                     records=records, issuers=names, share_url=share_url,
                                     generated_at=timestamp(dt.datetime.now(dt.UTC)))
    db.session.commit()
    resp = Response(pdf, mimetype="application/pdf")
    resp.headers["Content-Disposition"] = 'inline; filename="statement.pdf"'
    resp.headers["Cache-Control"] = "no-store"
    return resp


def statement_records(account: Any) -> list[Any]:
    """Every record of the account (all statuses: a statement shows revoked ones too), in log order."""
    import sqlalchemy as sa

    from ledger.accounts import merged_ids
    from ledger.records.models import LearningRecord

    return list(db.session.scalars(sa.select(LearningRecord).where(
        LearningRecord.account_id.in_(merged_ids(db.session, account.id))).order_by(LearningRecord.entry_index)))


@blp.cli.command("verify")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--offline", is_flag=True, help="check a bundle without the bank's database")
def verify_command(path: str, offline: bool) -> None:
    """Verify a credential or proof bundle file: with the bank's database, or --offline (bundles only)."""
    from credentials import bundle as bundles
    from credentials.errors import CredentialError

    with open(path, "rb") as fh:
        document = json.load(fh)
    if offline:
        try:
            got = bundles.verify_bundle_offline(document)
        except CredentialError as exc:
            click.echo(f"NOT VERIFIED (offline): {exc}")
            raise SystemExit(1) from exc
        click.echo(f"OK offline: signature by {got.issuer}; entry {got.index} in a log of size {got.checkpoint.size}")
        for item in bundles.NOT_CHECKED_OFFLINE:
            click.echo(f"not checked offline: {item}")
        return
    signer = log_signer()
    verdict = verifier.verify_document(db.session, keyring(), signer.verifier, document, bank_did=bank_did())
    db.session.rollback()
    for check in verdict["checks"]:
        mark = "ok" if check["ok"] else check["severity"]
        click.echo(f"{check['id']:<9} {mark:<7} {check['message_en']}")
    click.echo("VERIFIED" if verdict["verified"] else "NOT VERIFIED")
    if not verdict["verified"]:
        raise SystemExit(1)
