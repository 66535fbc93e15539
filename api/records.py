"""`/api/v1/records`: posting (one, batch JSON or CSV), reading, the public credential and proof, revocation,
suspension, correction and recognition (认定); an account's records.

Posting endpoints take an optional `Idempotency-Key` and parse their bodies themselves, so that every
refusal, the wire schema's included, is a field-by-field `invalid` problem (a batch's names the item:
`records.3.outcome.level`, or `rows.5.outcome.level` for a CSV upload).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import gc
import json
from collections.abc import Callable, Iterator
from typing import Any

from flask import Response, current_app, request
from flask_smorest import Blueprint
from marshmallow import Schema, ValidationError
from sqlalchemy.exc import IntegrityError

from api import problems
from api.auth import principal, requires
from api.context import bank_did, keyring
from api.extensions import db
from api.ids import path_uuid
from ledger.errors import Conflict, FieldProblem, Invalid
from ledger.institutions import Institution
from ledger.records import idempotency, service
from ledger.records.models import LearningRecord
from ledger.roles import Role
from schemas.records import (
    AccountRecordsOut,
    AccountRecordsQuery,
    BatchIn,
    BatchOut,
    BatchProblemOut,
    BatchQuery,
    CorrectIn,
    CsvError,
    IdempotencyHeaders,
    JsonDocument,
    OptionalReasonIn,
    ProofOut,
    ProofQuery,
    ReasonIn,
    RecogniseIn,
    RecognitionsOut,
    RecognitionsQuery,
    RecordDetailOut,
    RecordIn,
    RecordOut,
    RecordQuery,
    load_batch,
    parse_records_csv,
    row_number,
)

blp = Blueprint("records", __name__, url_prefix="/api/v1",
                description="Learning records (学习成果): signed Open Badges 3.0 credentials, each an entry in the log")



# --------------------------------------------------------------------------- helpers


def _public_url() -> str:
    return str(current_app.config["PUBLIC_URL"])


def checkpoint_size() -> int:
    """Size of the newest signed checkpoint (0 if none)."""
    from ledger.log.checkpoints import latest_checkpoint_size

    return latest_checkpoint_size(db.session)


def _urn(value: Any) -> str | None:
    return None if value is None else f"urn:uuid:{value}"


def _time(value: dt.datetime | None) -> str | None:
    return None if value is None else value.astimezone(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


# Answers are written as JSON here rather than dumped through the schemas (which document them, and which a
# test checks them against): a page of 200 records costs a third of the time that way.


def _answer(record: Any, signed_size: int) -> dict[str, Any]:
    """RecordOut as JSON, for a record or a row of its listed columns."""
    index = record.entry_index
    return {
        "id": _urn(record.id), "index": index, "credential_url": service.record_url(_public_url(), record.id),
        "checkpoint": signed_size if signed_size > index else "pending", "account": _urn(record.account_id),
        "kind": record.kind, "external_ref": record.external_ref, "issuer": record.issuer,
        "recognition": record.recognition, "recorded_at": _time(record.created_at),
    }


def _detail(record: Any, signed_size: int, insts: dict[Any, Institution]) -> dict[str, Any]:
    """RecordDetailOut as JSON."""
    inst = insts.get(record.institution_id)
    return {
        **_answer(record, signed_size),
        "institution": _urn(record.institution_id), "institution_name": inst.name if inst else None,
        "occurred_on": record.occurred_on.isoformat(), "outcome": record.outcome, "status": record.status,
        "status_reason": record.status_reason, "status_changed_at": _time(record.status_changed_at),
        "superseded_by": _urn(record.superseded_by), "supersedes": _urn(record.supersedes),
        "recognised_by": _urn(record.recognised_by), "recognised_at": _time(record.recognised_at),
        "recognition_note": record.recognition_note, "credential_digest": record.credential_digest,
    }


def _details(records: list[Any]) -> list[dict[str, Any]]:
    size = checkpoint_size()
    insts = service.institutions_of(db.session, records)
    return [_detail(r, size, insts) for r in records]


def _json(body: Any, status: int = 200, mimetype: str = "application/json") -> Response:
    return Response(json.dumps(body, ensure_ascii=False, separators=(",", ":")), status=status, mimetype=mimetype)


def _field_problems(messages: Any, prefix: str = "") -> list[FieldProblem]:
    return [FieldProblem(path, msg, problems.translate(msg)) for path, msg in problems._flatten(messages, prefix)]


def _problem_dicts(fields: list[FieldProblem]) -> list[dict[str, str]]:
    return [{"field": f.field, "message": f.message_en, "message_zh": f.message_zh} for f in fields]


def _json_body() -> Any:
    if not request.is_json:
        raise Invalid("send the record as application/json", "请以 application/json 提交",
                      [FieldProblem("_body", "expected application/json", "需要 application/json")])
    try:
        return json.loads(request.get_data(cache=True) or b"null")
    except ValueError:
        raise Invalid("the body is not JSON", "请求体不是有效的 JSON",
                      [FieldProblem("_body", "not JSON", "不是有效的 JSON")]) from None


def _load(schema: Schema, payload: Any) -> dict[str, Any]:
    try:
        return dict(schema.load(payload))
    except ValidationError as err:
        fields = _field_problems(err.messages)
        raise Invalid("the record has invalid fields", "记录中有无效字段", fields) from None


def _idempotent(key: str | None, run: Callable[[], tuple[dict[str, Any], int]]) -> Response:
    """Run `run` (which must not commit) once per (client, Idempotency-Key); replays get the first answer."""
    if key is None:
        body, status = run()
        if 200 <= status < 300:
            db.session.commit()
        else:
            db.session.rollback()
        return _json(body, status)
    client = principal().actor_ref
    digest = idempotency.request_hash(request.method, request.path, request.query_string,
                                      request.content_type or "", request.get_data(cache=True))
    for attempt in range(2):
        try:
            stored = idempotency.begin(db.session, client, key, digest)
            if stored is not None:
                db.session.rollback()
                return _json(stored.response, stored.status)
            try:
                body, status = run()
            except Exception:
                db.session.rollback()  # the reserved key goes too: a retry runs afresh
                raise
            if 200 <= status < 300:
                idempotency.finish(db.session, client, key, status, body)
                db.session.commit()
            else:
                db.session.rollback()
            return _json(body, status)
        except IntegrityError:
            # A concurrent request with the same key (or the same external_ref) committed first: answer as a replay.
            db.session.rollback()
            if attempt:
                raise
    raise AssertionError("unreachable")


@contextlib.contextmanager
def _cyclic_gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector for one batch.

    A batch of 1,000 records allocates millions of short-lived (acyclic, refcount-freed) objects; each
    generation-2 collection this triggers walks every long-lived object of the process again, which costs
    ~15 % of a batch. Nothing is lost: cycles made meanwhile are collected once the collector resumes.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


_RECORD_BODY = {"required": True, "content": {"application/json": {"schema": RecordIn}}}
_CORRECT_BODY = {"required": True, "content": {"application/json": {"schema": CorrectIn}}}
_BATCH_BODY = {
    "required": True,
    "description": "JSON `{\"records\": […], \"partial\": false}`, or a CSV file whose header uses the same names "
                   "with outcome fields dotted (`outcome.level`), sent as text/csv or as the multipart field `file`.",
    "content": {
        "application/json": {"schema": BatchIn},
        "text/csv": {"schema": {"type": "string"}},
        "multipart/form-data": {"schema": {"type": "object", "required": ["file"],
                                           "properties": {"file": {"type": "string", "format": "binary"}}}},
    },
}


# --------------------------------------------------------------------------- posting


@blp.route("/records", methods=["POST"])
@requires(Role.INSTITUTION)
@blp.arguments(IdempotencyHeaders, location="headers")
@blp.doc(requestBody=_RECORD_BODY)
@blp.response(201, RecordOut)
@blp.alt_response(200, schema=RecordOut, description="the same external_ref with the same content was recorded before")
def post_record(headers: dict[str, Any]) -> Any:
    """Post one learning record as the caller's institution; the bank signs it (custodial key) or checks the
    institution's own signature, and appends a `record` entry."""

    def run() -> tuple[dict[str, Any], int]:
        data = _load(RecordIn(), _json_body())
        [result] = service.post_records(db.session, keyring(), principal(), [service.PostItem(data)], partial=False,
                                        public_url=_public_url(), bank_did=bank_did())
        service.raise_for(result)
        assert result.record is not None
        return (_answer(result.record, checkpoint_size())), 200 if result.replayed else 201

    return _idempotent(headers.get("idempotency_key"), run)


def _batch_payload(query: dict[str, Any]) -> tuple[Any, bool | None, bool]:
    """The batch as JSON-like data, the body's partial flag, and whether it came as CSV."""
    mimetype = request.mimetype
    if mimetype == "application/json":
        payload = _json_body()
        body_partial = payload.get("partial") if isinstance(payload, dict) else None
        return payload, body_partial if isinstance(body_partial, bool) else None, False
    if mimetype in ("text/csv", "multipart/form-data"):
        if mimetype == "text/csv":
            raw = request.get_data(cache=True)
        else:
            upload = request.files.get("file")
            if upload is None:
                raise Invalid("send the CSV file as the multipart field `file`", "请以 multipart 字段 file 上传 CSV 文件",
                              [FieldProblem("file", "missing", "缺少文件")])
            raw = upload.read()
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise Invalid("the CSV file is not UTF-8 text", "CSV 文件不是 UTF-8 文本",
                          [FieldProblem("file", "not UTF-8", "不是 UTF-8 编码")]) from None
        try:
            return {"records": parse_records_csv(text)}, None, True
        except CsvError as err:
            raise Invalid("the CSV file cannot be read as records", "CSV 文件无法读取为记录",
                          _field_problems(err.messages)) from None
    raise Invalid("send application/json, text/csv or multipart/form-data", "请使用 application/json、text/csv 或 "
                  "multipart/form-data", [FieldProblem("_body", f"unsupported media type {mimetype or 'none'}",
                                                       f"不支持的媒体类型 {mimetype or '无'}")])


@blp.route("/records:batch", methods=["POST"])
@requires(Role.INSTITUTION)
@blp.arguments(BatchQuery, location="query")
@blp.arguments(IdempotencyHeaders, location="headers")
@blp.doc(requestBody=_BATCH_BODY)
@blp.response(201, BatchOut)
@blp.alt_response(200, schema=BatchOut, description="partial batch: the valid records were recorded, the rest refused")
@blp.alt_response(422, schema=BatchProblemOut, content_type="application/problem+json",
                  description="not partial and some record refused: nothing recorded; every item's problems")
def post_batch(query: dict[str, Any], headers: dict[str, Any]) -> Any:
    """Post up to 1,000 records at once (JSON or CSV); one answer per record, in order."""

    def run() -> tuple[dict[str, Any], int]:
        payload, body_partial, csv_upload = _batch_payload(query)
        try:
            loaded = load_batch(payload, partial=True)
        except ValidationError as err:
            raise Invalid("the batch is malformed", "批次格式错误", _field_problems(err.messages)) from None
        partial = query["partial"] if query.get("partial") is not None else bool(body_partial)
        count = len(loaded.records) + len(loaded.errors)
        items = [service.PostItem(None) for _ in range(count)]
        for i, record in loaded.records:
            items[i] = service.PostItem(record)
        for i, messages in loaded.errors.items():
            items[i] = service.PostItem(None, _field_problems(messages))
        results = service.post_records(db.session, keyring(), principal(), items, partial=partial,
                                       public_url=_public_url(), bank_did=bank_did())
        size = checkpoint_size()
        refused = [r for r in results if r.problems]
        out = []
        for r in results:
            out.append({"item": r.item, "row": row_number(r.item) if csv_upload else None, "ok": r.ok and (
                partial or not refused), "record": (_answer(r.record, size))
                if r.record is not None and (partial or not refused) else None,
                "errors": _problem_dicts(r.problems)})
        body = {"partial": partial, "recorded": sum(1 for o in out if o["ok"]), "rejected": len(refused),
                "results": out}
        if refused and not partial:
            prefix = "rows" if csv_upload else "records"
            errors = [{"field": f"{prefix}.{row_number(r.item) if csv_upload else r.item}.{p.field}",
                       "message": p.message_en, "message_zh": p.message_zh} for r in refused for p in r.problems]
            raise _BatchRefused(body, errors)
        return body, 200 if refused else 201

    try:
        with _cyclic_gc_paused():
            return _idempotent(headers.get("idempotency_key"), run)
    except _BatchRefused as refused:
        db.session.rollback()
        return problems.problem(422, f"{refused.body['rejected']} of {len(refused.body['results'])} records refused; "
                                     "nothing was recorded",
                                detail_zh=f"{len(refused.body['results'])} 条记录中有 {refused.body['rejected']} "
                                          "条被拒绝；未记入任何记录",
                                code="invalid", errors=refused.errors, **refused.body)


class _BatchRefused(Exception):
    def __init__(self, body: dict[str, Any], errors: list[dict[str, str]]) -> None:
        super().__init__("batch refused")
        self.body = body
        self.errors = errors


# --------------------------------------------------------------------------- reading


@blp.route("/records/<string:record_id>", methods=["GET"])
@requires()
@blp.arguments(RecordQuery, location="query")
@blp.response(200, RecordDetailOut)
def get_record(query: dict[str, Any], record_id: str) -> Any:
    """A record with its status, recognition and outcome (its learner, its issuer; operators with a reason, logged)."""
    record = service.record_for(db.session, principal(), path_uuid(record_id), query["reason"])
    [body] = _details([record])
    db.session.commit()
    return _json(body)


@blp.route("/records/<string:record_id>/credential", methods=["GET"])
@blp.response(200, JsonDocument, description="the OpenBadgeCredential exactly as signed")
def get_credential(record_id: str) -> Any:
    """The record's signed credential, exactly as signed (public). A revoked record's credential is still
    served: its status list says it is revoked."""
    record = service.get_record(db.session, path_uuid(record_id))
    resp = _json(record.credential)
    resp.headers["Cache-Control"] = "public, max-age=3600"
    return resp


@blp.route("/records/<string:record_id>/proof", methods=["GET"])
@blp.arguments(ProofQuery, location="query")
@blp.response(200, ProofOut)
def get_proof(query: dict[str, Any], record_id: str) -> Any:
    """The inclusion proof of the record's entry against the newest signed checkpoint (public).

    Until a checkpoint covers the entry the answer is 409 (`pending`); `wait` waits up to that many seconds.
    """
    from api.context import log_signer
    from ledger.log import checkpoints
    from ledger.log.proofs import inclusion_proof

    record = service.get_record(db.session, path_uuid(record_id))
    interval = float(current_app.config["CHECKPOINT_INTERVAL"])
    index = record.entry_index
    # Lazy cadence, as the log's own endpoints: a reader gets a fresh checkpoint where no signer thread runs.
    if query["wait"]:
        db.session.commit()
        checkpoints.wait_for_checkpoint(db.sessionmaker, log_signer(), index + 1, min_interval=interval,
                                        timeout=query["wait"])
    else:
        checkpoints.sign_if_due(db.session, log_signer(), min_interval=interval)
    checkpoint = checkpoints.latest_checkpoint(db.session)
    if checkpoint is None or checkpoint.size <= index:
        raise Conflict("no signed checkpoint covers this record's entry yet; try again shortly (or pass wait)",
                       "尚无已签署的检查点覆盖该记录的条目，请稍后再试（或使用 wait 参数）", code="pending")
    inclusion = inclusion_proof(db.session, index, checkpoint.size)
    return _json(ProofOut().dump({"record": record.id, "index": index,
                                  "credential_digest": record.credential_digest, "inclusion": inclusion,
                                  "checkpoint": checkpoint.note}))


@blp.route("/accounts/<string:account_id>/records", methods=["GET"])
@requires()
@blp.arguments(AccountRecordsQuery, location="query")
@blp.response(200, AccountRecordsOut)
def account_records(query: dict[str, Any], account_id: str) -> Any:
    """An account's records, newest first, with credit totals by kind (the learner; institutions: the records
    they posted; operators: all; everyone but the learner gives a reason and is logged)."""
    page = service.account_records(db.session, principal(), path_uuid(account_id), query["reason"],
                                   kind=query["kind"], status=query["status"], since=query["since"],
                                   limit=query["limit"], cursor=query["cursor"])
    account = path_uuid(account_id)
    survivor = page.records[0].account_id if page.records else account
    body = {"account": f"urn:uuid:{survivor}", "items": _details(page.records),
            "next_cursor": page.next_cursor,
            "credit_totals": {k: format(v.normalize(), "f") for k, v in sorted(page.credit_totals.items())},
            "counts": dict(sorted(page.counts.items()))}
    db.session.commit()
    return _json(body)


# --------------------------------------------------------------------------- changes


def _changed(record: LearningRecord) -> Response:
    [body] = _details([record])
    db.session.commit()
    return _json(body)


@blp.route("/records/<string:record_id>:revoke", methods=["POST"])
@requires(Role.INSTITUTION)
@blp.arguments(ReasonIn)
@blp.response(200, RecordDetailOut)
def revoke(data: dict[str, Any], record_id: str) -> Any:
    """Revoke the record for good (its issuer): the revocation bit is set, a `revocation` entry appended."""
    return _changed(service.revoke_record(db.session, keyring(), principal(), path_uuid(record_id), data["reason"]))


@blp.route("/records/<string:record_id>:suspend", methods=["POST"])
@requires(Role.INSTITUTION)
@blp.arguments(ReasonIn)
@blp.response(200, RecordDetailOut)
def suspend(data: dict[str, Any], record_id: str) -> Any:
    """Suspend the record (its issuer): the suspension bit is set, a `suspension` entry appended."""
    return _changed(service.suspend_record(db.session, keyring(), principal(), path_uuid(record_id), data["reason"]))


@blp.route("/records/<string:record_id>:reinstate", methods=["POST"])
@requires(Role.INSTITUTION)
@blp.arguments(OptionalReasonIn)
@blp.response(200, RecordDetailOut)
def reinstate(data: dict[str, Any], record_id: str) -> Any:
    """Lift a suspension (its issuer): the bit is cleared, a `reinstatement` entry appended."""
    return _changed(service.reinstate_record(db.session, keyring(), principal(), path_uuid(record_id),
                                             data["reason"]))


@blp.route("/records/<string:record_id>:correct", methods=["POST"])
@requires(Role.INSTITUTION)
@blp.arguments(IdempotencyHeaders, location="headers")
@blp.doc(requestBody=_CORRECT_BODY)
@blp.response(201, RecordOut)
def correct(headers: dict[str, Any], record_id: str) -> Any:
    """Supersede the record with a corrected one (its issuer): a new record with its own external_ref, the old
    one revoked with reason `superseded`, a `correction` entry linking the two."""
    target = path_uuid(record_id)

    def run() -> tuple[dict[str, Any], int]:
        data = _load(CorrectIn(), _json_body())
        reason = data.pop("reason", None)
        new = service.correct_record(db.session, keyring(), principal(), target, data, reason,
                                     public_url=_public_url(), bank_did=bank_did())
        return (_answer(new, checkpoint_size())), 201

    return _idempotent(headers.get("idempotency_key"), run)


@blp.route("/records/<string:record_id>:recognise", methods=["POST"])
@requires(Role.INSTITUTION, Role.OPERATOR)
@blp.arguments(RecogniseIn)
@blp.response(200, RecordDetailOut)
def recognise(data: dict[str, Any], record_id: str) -> Any:
    """Recognise (认定) or reject a pending record (colleges, operators): a `recognition` entry."""
    return _changed(service.recognise_record(db.session, principal(), path_uuid(record_id), decision=data["decision"],
                                             reason=data["reason"], note=data["note"], bank_did=bank_did()))


@blp.route("/recognitions", methods=["GET"])
@requires(Role.INSTITUTION, Role.OPERATOR)
@blp.arguments(RecognitionsQuery, location="query")
@blp.response(200, RecognitionsOut)
def recognitions(query: dict[str, Any]) -> Any:
    """Records awaiting recognition (or decided), oldest first (colleges, operators)."""
    records, cursor = service.recognitions(db.session, principal(), state=query["status"], limit=query["limit"],
                                           cursor=query["cursor"])
    return _json({"items": _details(records), "next_cursor": cursor})

