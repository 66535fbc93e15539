"""Learning records: posting (one or a batch; signed by the bank with a custodial key, or self-signed),
reading, revocation, suspension, correction and recognition (认定). Every change is a log entry.

Services open the write transaction (`begin_write`) and never commit: the view commits once.

Posting checks, per record, everything but the wire schema (done at the edge): the account exists
(merged accounts lead to the survivor), the institution is authorised for the kind at the log time
(checked again against the time the entries actually got), `(institution, external_ref)` is new (a
replay with the same content answers with the existing record; other content is a conflict) and, for
self-signed credentials, the proof, issuer key, subject and status entries. A batch that is not
`partial` records nothing unless every record passes; a `partial` one records exactly those that pass.
Everything is loaded in bulk (accounts, existing references, keys, lists), signed in one pass
(`sign_batch`), appended in one call and inserted with one executemany.
"""

from __future__ import annotations

import base64
import datetime as dt
import decimal
import hashlib
import json
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, defer

from credentials.dataintegrity import (
    check_issuer_matches_controller,
    issuer_id,
    sign_batch,
    verify,
)
from credentials.errors import CredentialError, StatusListError
from credentials.statuslist import MAX_SIZE, PURPOSES
from credentials.statuslist import StatusList as Bitstring
from ledger import accounts
from ledger.accounts import Account
from ledger.db import begin_write, locked, utcnow
from ledger.documents import record_action, timestamp
from ledger.errors import Conflict, FieldProblem, Forbidden, Invalid, LedgerError, NotFound
from ledger.institutions import Institution, InstitutionKey, get_institution
from ledger.keyring import Keyring
from ledger.log import NewEntry, append_entries
from ledger.principal import Principal
from ledger.records import events, statuslists
from ledger.records.credential import (
    ACHIEVEMENT_TYPES,
    RecordMappingError,
    build_credential,
    needs_recognition,
)
from ledger.records.digests import credential_digest
from ledger.records.models import LearningRecord, Recognition, RecordStatus, StatusList
from ledger.records.statuslists import REVOCATION, SUSPENSION
from ledger.roles import Role

MAX_REASON = 500
RECORD_PATH = "/api/v1/records/"
_CREDIT_KINDS = ("course_credit", "online_course", "enterprise_course")


def record_url(public_url: str, record_id: uuid.UUID) -> str:
    """Where a record's signed credential is served (public)."""
    return f"{public_url.rstrip('/')}{RECORD_PATH}urn:uuid:{record_id}/credential"


def achievement_base(public_url: str, institution_id: uuid.UUID) -> str:
    """The base of the institution's achievement ids in its credentials."""
    return f"{public_url.rstrip('/')}/api/v1/institutions/urn:uuid:{institution_id}/achievements"


# --------------------------------------------------------------------------- posting


@dataclass
class PostItem:
    """One record to post: the wire-validated record (RecordIn data), or None with the wire problems."""

    record: dict[str, Any] | None
    problems: list[FieldProblem] = field(default_factory=list)


@dataclass
class Result:
    """What became of one posted record: recorded now, found recorded before (`replayed`), or refused.

    `code` says what kind of refusal the problems are: `invalid`, `conflict` or `forbidden`.
    """

    item: int
    record: LearningRecord | None = None
    problems: list[FieldProblem] = field(default_factory=list)
    code: str = "invalid"
    replayed: bool = False

    @property
    def ok(self) -> bool:
        """True if the record is in the ledger (now or from before)."""
        return self.record is not None and not self.problems

    def refuse(self, code: str, field_name: str, en: str, zh: str) -> None:
        """Add a problem; the strongest code wins (forbidden > conflict > invalid)."""
        self.problems.append(FieldProblem(field_name, en, zh))
        order = ("invalid", "conflict", "forbidden")
        if order.index(code) > order.index(self.code) or len(self.problems) == 1:
            self.code = code


_ERRORS: dict[str, type[LedgerError]] = {"invalid": Invalid, "conflict": Conflict, "forbidden": Forbidden}


def raise_for(result: Result) -> None:
    """Raise the domain error of a refused record (for single-record requests)."""
    if result.ok:
        return
    first = result.problems[0]
    raise _ERRORS[result.code](first.message_en, first.message_zh, list(result.problems))


@dataclass
class _Prepared:
    """A record that passed every check, ready to be signed (custodial) and appended."""

    result: Result
    record_id: uuid.UUID
    account: Account
    kind: str
    external_ref: str
    occurred_on: dt.date
    outcome: dict[str, Any]
    credits: decimal.Decimal | None
    content_hash: str
    recognition: str
    credential: dict[str, Any] | None = None  # self-signed: as posted
    key: InstitutionKey | None = None
    status: list[tuple[StatusList, int]] = field(default_factory=list)


def _jsonable(value: Any) -> Any:
    if isinstance(value, decimal.Decimal):
        return format(value.normalize(), "f")
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return value


def outcome_json(outcome: dict[str, Any]) -> dict[str, Any]:
    """A typed outcome (Decimal, date, enums) as the JSON the bank stores: quantities as decimal strings."""
    return {k: _jsonable(v) for k, v in outcome.items() if v is not None}


def _content_hash(record: dict[str, Any], outcome: dict[str, Any], credential: dict[str, Any] | None) -> str:
    content = {
        "account": str(record["account"]),
        "kind": _jsonable(record["kind"]),
        "occurred_on": _jsonable(record["occurred_on"]),
        "outcome": outcome,
        "credential": credential_digest(credential) if credential is not None else None,
    }
    return hashlib.sha256(json.dumps(content, sort_keys=True, ensure_ascii=False,
                                     separators=(",", ":")).encode()).hexdigest()


def posting_institution(session: Session, actor: Principal) -> Institution:
    """The institution a caller posts as: its own, and only with the institution role."""
    actor.require(Role.INSTITUTION)
    if actor.institution_id is None:
        raise Forbidden("only an institution's client posts records, as that institution",
                        "只有机构的客户端可以以该机构身份提交记录")
    try:
        return get_institution(session, actor.institution_id)
    except NotFound:
        raise Forbidden("this client is bound to an institution the bank does not know",
                        "该客户端绑定的机构未在银行登记") from None


def _chunks(values: Sequence[Any], size: int = 500) -> Iterable[Sequence[Any]]:
    for start in range(0, len(values), size):
        yield values[start:start + size]


def _load_accounts(session: Session, ids: set[uuid.UUID]) -> dict[uuid.UUID, Account]:
    """Accounts by posted id, merged ones replaced by their survivor."""
    found: dict[uuid.UUID, Account] = {}
    wanted = list(ids)
    while wanted:
        for chunk in _chunks(wanted):
            found.update((a.id, a) for a in session.scalars(sa.select(Account).where(Account.id.in_(chunk))))
        wanted = [a.merged_into_id for a in found.values()
                  if a.merged_into_id is not None and a.merged_into_id not in found]
    out = {}
    for posted in ids:
        account = found.get(posted)
        seen = set()
        while account is not None and account.merged_into_id is not None and account.id not in seen:
            seen.add(account.id)
            account = found.get(account.merged_into_id)
        if account is not None:
            out[posted] = account
    return out


def _existing(session: Session, institution_id: uuid.UUID, refs: list[str]) -> dict[str, LearningRecord]:
    out: dict[str, LearningRecord] = {}
    for chunk in _chunks(refs):
        out.update((r.external_ref, r) for r in session.scalars(
            sa.select(LearningRecord).where(LearningRecord.institution_id == institution_id,
                                            LearningRecord.external_ref.in_(chunk))))
    return out


def _authorised(inst: Institution, kind: str, at: dt.datetime) -> bool:
    return any(a.kind == kind and a.covers(at) for a in inst.authorisations)


def _not_authorised(result: Result, inst: Institution, kind: str, at: dt.datetime) -> None:
    when = timestamp(at)
    result.refuse("forbidden", "kind",
                  f"{inst.name} is not authorised to issue {kind} records at {when} (the log time)",
                  f"{inst.name} 在 {when}（记账时间）未获授权签发 {kind} 类记录")


def _check_own_credential(
    session: Session, inst: Institution, rec: dict[str, Any], account: Account, result: Result,
    now: dt.datetime, lists: dict[str, StatusList],
) -> tuple[uuid.UUID, InstitutionKey, list[tuple[StatusList, int]]] | None:
    """Check a self-signed credential; on success its record id, signing key and status entries."""
    credential = rec["credential"]

    def bad(en: str, zh: str, name: str = "credential", code: str = "invalid") -> None:
        result.refuse(code, name, en, zh)

    try:
        verified = verify(credential)
        check_issuer_matches_controller(credential, verified)
    except CredentialError as exc:
        bad(f"the credential's proof does not verify: {exc}", f"凭证的签名验证失败：{exc}", "credential.proof")
        return None
    key = next((k for k in inst.keys if k.verification_method == verified.verification_method), None)
    if key is None:
        bad(f"the credential is signed by {issuer_id(credential)}, which is not a key of {inst.name}: "
            "an institution posts only as itself",
            f"凭证签发者 {issuer_id(credential)} 不是 {inst.name} 的密钥：机构只能以自身名义提交记录",
            "credential.issuer", "forbidden")
        return None
    if not key.valid_at(now):
        bad("the credential is signed by a key of the institution that is no longer valid",
            "凭证由该机构已失效的密钥签署", "credential.proof", "forbidden")
        return None
    types = credential.get("type")
    if not isinstance(types, list) or "VerifiableCredential" not in types or "OpenBadgeCredential" not in types:
        bad("the credential must be an OpenBadgeCredential", "凭证必须是 OpenBadgeCredential", "credential.type")
    subject = credential.get("credentialSubject")
    subject_id = subject.get("id") if isinstance(subject, dict) else None
    if subject_id not in (f"urn:uuid:{rec['account']}", account.ref):
        bad("the credential's subject is not the account posted to", "凭证主体与提交的账户不一致",
            "credential.credentialSubject.id")
    achievement = subject.get("achievement") if isinstance(subject, dict) else None
    wanted_type = ACHIEVEMENT_TYPES.get(rec["kind"])
    if not isinstance(achievement, dict) or achievement.get("achievementType") != wanted_type:
        bad(f"a {_jsonable(rec['kind'])} credential has achievementType {wanted_type}",
            f"该类型记录的 achievementType 应为 {wanted_type}", "credential.credentialSubject.achievement")
    record_id = None
    text = credential.get("id")
    if isinstance(text, str) and text.lower().startswith("urn:uuid:"):
        try:
            record_id = uuid.UUID(text[9:])
        except ValueError:
            record_id = None
    if record_id is None:
        bad("the credential id must be urn:uuid:<uuid>; it becomes the record id",
            "凭证 id 必须为 urn:uuid:<uuid>，并作为记录 id", "credential.id")
    refs: list[tuple[StatusList, int]] = []
    status = credential.get("credentialStatus")
    entries = status if isinstance(status, list) else [status] if status is not None else []
    for n, entry in enumerate(entries):
        name = f"credential.credentialStatus.{n}" if isinstance(status, list) else "credential.credentialStatus"
        row = lists.get(entry.get("statusListCredential")) if isinstance(entry, dict) else None
        index = entry.get("statusListIndex") if isinstance(entry, dict) else None
        if row is None or row.institution_id != inst.id:
            bad("the status list is not one this institution uploaded to the bank (PUT /api/v1/status/{id} first)",
                "状态列表不是该机构已上传到银行的列表（请先 PUT /api/v1/status/{id}）", name)
        elif row.key_id != key.id or row.purpose != entry.get("statusPurpose"):
            bad("the status list belongs to another key or purpose", "状态列表属于其他密钥或用途", name)
        elif not isinstance(index, str) or not index.isdigit() or int(index) >= row.size:
            bad("statusListIndex is not an index of the list", "statusListIndex 不是该列表的有效索引", name)
        elif any(r.purpose == row.purpose for r, _ in refs):
            bad("one status entry per purpose", "每种用途只能有一个状态条目", name)
        else:
            refs.append((row, int(index)))
    if result.problems or record_id is None:
        return None
    return record_id, key, refs


def post_records(
    session: Session,
    keyring: Keyring,
    actor: Principal,
    items: Sequence[PostItem],
    *,
    partial: bool,
    public_url: str,
    bank_did: str,
) -> list[Result]:
    """Record learning records for the caller's institution; one Result per item, in order.

    Not `partial`: if any item is refused, nothing is written and every item's problems are reported
    (items that would have passed have no problems and no record). `partial`: exactly the items that
    pass are recorded. The caller commits (or rolls back when nothing is to be kept).
    """
    begin_write(session)  # before any read: on SQLite a reader that later writes could fail with SQLITE_BUSY
    inst = posting_institution(session, actor)
    now = utcnow()
    current = inst.current_key()
    if current is None:
        raise Conflict("the institution has no current key", "该机构没有当前有效的密钥")
    results = [Result(i, problems=list(item.problems)) for i, item in enumerate(items)]
    candidates = [(i, item.record) for i, item in enumerate(items) if item.record is not None and not item.problems]
    found = _load_accounts(session, {rec["account"] for _, rec in candidates})
    existing = _existing(session, inst.id, sorted({rec["external_ref"] for _, rec in candidates}))
    list_urls = sorted({
        e.get("statusListCredential") for _, rec in candidates if isinstance(rec.get("credential"), dict)
        for e in _status_entries(rec["credential"]) if isinstance(e, dict) and isinstance(e.get("statusListCredential"), str)
    })
    lists = {row.url: row for chunk in _chunks(list_urls)
             for row in session.scalars(sa.select(StatusList).where(StatusList.url.in_(chunk)))}

    prepared: list[_Prepared] = []
    for i, rec in candidates:
        result = results[i]
        kind = _jsonable(rec["kind"])
        credential = rec.get("credential")
        outcome = outcome_json(rec["outcome"])
        chash = _content_hash(rec, outcome, credential)
        before = existing.get(rec["external_ref"])
        if before is not None:
            if before.content_hash == chash:
                result.record, result.replayed = before, True
            else:
                result.refuse("conflict", "external_ref",
                              f"external_ref {rec['external_ref']!r} was already recorded with other content",
                              f"external_ref {rec['external_ref']!r} 已以不同内容记账")
            continue
        account = found.get(rec["account"])
        if account is None:
            result.refuse("invalid", "account", "no such account", "没有该账户")
        if not _authorised(inst, kind, now):
            _not_authorised(result, inst, kind, now)
        if credential is None and not current.custodial:
            result.refuse("invalid", "credential",
                          "this institution signs with its own key: post the signed credential too",
                          "该机构使用自有密钥签名：请同时提交已签名的凭证")
        if credential is not None and current.custodial:
            result.refuse("invalid", "credential",
                          "the bank signs for this institution (custodial key): post the record without a credential",
                          "银行为该机构托管密钥并代为签名：请提交不含凭证的记录")
        if result.problems or account is None:
            continue
        p = _Prepared(result=result, record_id=uuid.uuid4(), account=account, kind=kind,
                      external_ref=rec["external_ref"], occurred_on=rec["occurred_on"], outcome=outcome,
                      credits=_credits(kind, rec["outcome"]), content_hash=chash,
                      recognition=(Recognition.PENDING if needs_recognition(kind, inst.kind)
                                   else Recognition.NOT_NEEDED).value)
        if credential is not None:
            checked = _check_own_credential(session, inst, rec, account, result, now, lists)
            if checked is None:
                continue
            p.record_id, p.key, p.status = checked
            p.credential = credential
        prepared.append(p)
    _check_own_ids_and_indexes(session, prepared)
    prepared = [p for p in prepared if not p.result.problems]

    if any(r.problems for r in results) and not partial:
        return results
    if not prepared:
        return results
    # Whole seconds, as the log writes times and the specification's examples show them.
    _sign_custodial(session, keyring, inst, current, prepared, public_url, now.replace(microsecond=0))
    while prepared:
        kept, at = _append_and_insert(session, inst, actor, prepared)
        if kept:
            break
        # An authorisation ended between the check and the log time: those records are refused.
        for p in prepared:
            if not _authorised(inst, p.kind, at):
                _not_authorised(p.result, inst, p.kind, at)
        if not partial:
            return results
        prepared = [p for p in prepared if not p.result.problems]
    return results


def _status_entries(credential: dict[str, Any]) -> list[Any]:
    status = credential.get("credentialStatus")
    return status if isinstance(status, list) else [status] if status is not None else []


def _check_own_ids_and_indexes(session: Session, prepared: list[_Prepared]) -> None:
    """Self-signed credentials: ids not yet used, status indexes used by no other record."""
    own = [p for p in prepared if p.credential is not None]
    if not own:
        return
    taken = {rid for chunk in _chunks([p.record_id for p in own])
             for rid in session.scalars(sa.select(LearningRecord.id).where(LearningRecord.id.in_(chunk)))}
    seen_ids: set[uuid.UUID] = set()
    used: set[tuple[uuid.UUID, int]] = set()
    list_ids = sorted({row.id for p in own for row, _ in p.status})
    for column_list, column_index in ((LearningRecord.revocation_list_id, LearningRecord.revocation_index),
                                      (LearningRecord.suspension_list_id, LearningRecord.suspension_index)):
        for chunk in _chunks(list_ids):
            used.update((lid, idx) for lid, idx in session.execute(
                sa.select(column_list, column_index).where(column_list.in_(chunk))))
    for p in own:
        if p.record_id in taken or p.record_id in seen_ids:
            p.result.refuse("conflict", "credential.id", "a record with this credential id already exists",
                            "已存在该凭证 id 的记录")
        seen_ids.add(p.record_id)
        for row, index in p.status:
            if (row.id, index) in used:
                p.result.refuse("conflict", "credential.credentialStatus",
                                f"index {index} of the {row.purpose} list is used by another record",
                                f"{row.purpose} 列表的索引 {index} 已被其他记录使用")
            used.add((row.id, index))


def _credits(kind: str, outcome: dict[str, Any]) -> decimal.Decimal | None:
    value = outcome.get("credits")
    if kind not in _CREDIT_KINDS or value is None:
        return None
    return decimal.Decimal(str(value))


def _sign_custodial(session: Session, keyring: Keyring, inst: Institution, key: InstitutionKey,
                    prepared: list[_Prepared], public_url: str, now: dt.datetime) -> None:
    """Allocate status indexes, build and sign the credentials of records the bank signs (one pass)."""
    todo = [p for p in prepared if p.credential is None]
    if not todo:
        return
    revocation = statuslists.allocate(session, keyring, key, REVOCATION, len(todo), public_url, now)
    suspension = statuslists.allocate(session, keyring, key, SUSPENSION, len(todo), public_url, now)
    base = achievement_base(public_url, inst.id)
    unsigned = []
    for p, rev, sus in zip(todo, revocation, suspension, strict=True):
        p.key = key
        p.status = [rev, sus]
        try:
            unsigned.append(build_credential(
                record_id=p.record_id, account_id=p.account.id, kind=p.kind, outcome=p.outcome,
                occurred_on=p.occurred_on, issuer_did=key.did, issuer_name=inst.name, issuer_url=inst.url,
                valid_from=now, status=[statuslists.entry_for(*rev), statuslists.entry_for(*sus)],
                achievement_id_base=base))
        except RecordMappingError as exc:  # the wire schema should have refused it
            raise Invalid(str(exc), f"记录内容不完整：{exc}") from exc
    signed = sign_batch(unsigned, key.private(keyring), verification_method=key.verification_method, created=now)
    for p, credential in zip(todo, signed, strict=True):
        p.credential = credential


def _append_and_insert(session: Session, inst: Institution, actor: Principal,
                       prepared: list[_Prepared]) -> tuple[bool, dt.datetime]:
    """Append one `record` entry per record and insert the rows, unless an authorisation does not
    cover the time the entries got (then nothing is kept). Returns (kept, log time)."""
    digests = [credential_digest(p.credential) for p in prepared]
    savepoint = session.begin_nested()
    appended = append_entries(session, [
        NewEntry(kind="record", subject_ref=p.account.ref, issuer=p.key.did if p.key else "", digest=d,
                 actor=actor.actor_ref, object_ref=f"urn:uuid:{p.record_id}")
        for p, d in zip(prepared, digests, strict=True)])
    at = appended[0].time
    if not all(_authorised(inst, p.kind, at) for p in prepared):
        savepoint.rollback()
        return False, at
    rows = []
    for p, d, entry in zip(prepared, digests, appended, strict=True):
        assert p.key is not None and p.credential is not None
        rev = next(((row.id, i) for row, i in p.status if row.purpose == REVOCATION), (None, None))
        sus = next(((row.id, i) for row, i in p.status if row.purpose == SUSPENSION), (None, None))
        rows.append({
            "id": p.record_id, "account_id": p.account.id, "institution_id": inst.id, "key_id": p.key.id,
            "issuer": p.key.did, "kind": p.kind, "external_ref": p.external_ref, "occurred_on": p.occurred_on,
            "outcome": p.outcome, "credits": p.credits, "credential": p.credential, "credential_digest": d,
            "content_hash": p.content_hash, "entry_index": entry.index, "custodial": p.key.custodial,
            "status": RecordStatus.ACTIVE.value, "status_reason": None, "status_changed_at": None,
            "recognition": p.recognition, "recognition_note": None, "recognised_by": None, "recognised_at": None,
            "revocation_list_id": rev[0], "revocation_index": rev[1], "suspension_list_id": sus[0],
            "suspension_index": sus[1], "created_at": at, "created_by": actor.actor_ref, "superseded_by": None,
            "supersedes": None,
        })
    session.execute(sa.insert(LearningRecord), rows)
    savepoint.commit()
    for p, row in zip(prepared, rows, strict=True):
        p.result.record = LearningRecord(**row)
    return True, at


# --------------------------------------------------------------------------- reading


def get_record(session: Session, record_id: uuid.UUID) -> LearningRecord:
    """One record by id (no access check: for services and the public credential), or NotFound."""
    record = session.get(LearningRecord, record_id)
    if record is None:
        raise NotFound("no such record", "没有该记录")
    return record


def _locked(session: Session, record_id: uuid.UUID) -> LearningRecord:
    record = locked(session, LearningRecord, record_id)
    if record is None:
        raise NotFound("no such record", "没有该记录")
    return record


def record_for(session: Session, actor: Principal, record_id: uuid.UUID, reason: str | None) -> LearningRecord:
    """A record for its learner, its issuing institution, or an operator (logged as a read of the account)."""
    if actor.has(Role.OPERATOR) and actor.account_id is None:
        begin_write(session)  # the read is logged: a write, so take the write lock before reading
    record = get_record(session, record_id)
    account = accounts.get_account(session, record.account_id)
    if accounts.is_owner(session, actor, account):
        return record
    if actor.has(Role.INSTITUTION) and actor.institution_id == record.institution_id:
        return record
    if actor.has(Role.OPERATOR):
        accounts.get_account_for(session, actor, account.id, reason)
        return record
    raise Forbidden("you may not see this record", "无权查看该记录")


# What record lists show: every column but the credential, as plain rows with the same attribute names.
LIST_COLUMNS = tuple(c for c in LearningRecord.__table__.c if c.name not in ("credential", "content_hash"))


@dataclass
class Page:
    """A page of an account's records (rows of LIST_COLUMNS) with the account's totals."""

    records: list[Any]
    next_cursor: str | None
    credit_totals: dict[str, decimal.Decimal]
    counts: dict[str, int]


def _cursor(index: int) -> str:
    return base64.urlsafe_b64encode(f"e{index}".encode()).decode().rstrip("=")


def _parse_cursor(text: str) -> int:
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)).decode()
        if not raw.startswith("e") or not raw[1:].isdigit():
            raise ValueError(raw)
        return int(raw[1:])
    except (ValueError, UnicodeError):
        raise Invalid("bad cursor", "分页游标无效",
                      [FieldProblem("cursor", "not a cursor from a previous page", "不是上一页给出的游标")]) from None


def account_records(
    session: Session,
    actor: Principal,
    account_id: uuid.UUID,
    reason: str | None,
    *,
    kind: str | None = None,
    status: str | None = None,
    since: dt.date | None = None,
    limit: int = 50,
    cursor: str | None = None,
) -> Page:
    """An account's records, newest first (learner and operators: all; institutions: those they posted).

    Reads by anyone but the learner need a reason and are logged. `since`: outcomes on or after that
    date. Totals: credits by kind of the records that count (active, recognised or not needing it),
    and record counts by kind, whatever the filters.
    """
    account = accounts.get_account_for(session, actor, account_id, reason)
    ids = accounts.merged_ids(session, account.id)
    scope = [LearningRecord.account_id.in_(ids) if len(ids) > 1 else LearningRecord.account_id == ids[0]]
    if not accounts.is_owner(session, actor, account) and not actor.has(Role.OPERATOR):
        if not actor.has(Role.INSTITUTION) or actor.institution_id is None:
            raise Forbidden("only the learner, institutions that posted to it and operators see an account's records",
                            "只有学员本人、向该账户提交过记录的机构和运营方可以查看账户记录")
        scope.append(LearningRecord.institution_id == actor.institution_id)
    # Plain rows of the listed columns: no identity map, and the signed credential (kilobytes each) stays out,
    # it is served at its own URL.
    stmt = sa.select(*LIST_COLUMNS).where(*scope)
    if kind:
        stmt = stmt.where(LearningRecord.kind == kind)
    if status:
        stmt = stmt.where(LearningRecord.status == status)
    if since:
        stmt = stmt.where(LearningRecord.occurred_on >= since)
    if cursor:
        stmt = stmt.where(LearningRecord.entry_index < _parse_cursor(cursor))
    rows = list(session.execute(stmt.order_by(LearningRecord.entry_index.desc()).limit(limit + 1)))
    page = rows[:limit]
    counting = sa.and_(LearningRecord.status == RecordStatus.ACTIVE.value,
                       LearningRecord.recognition.in_([Recognition.NOT_NEEDED.value, Recognition.RECOGNISED.value]))
    totals: dict[str, decimal.Decimal] = {}
    counts: dict[str, int] = {}
    for k, total, number in session.execute(
            sa.select(LearningRecord.kind,
                      sa.func.sum(sa.case((counting, LearningRecord.credits), else_=None)),
                      sa.func.count())
            .where(*scope).group_by(LearningRecord.kind)):
        counts[k] = int(number)
        if total is not None:
            totals[k] = decimal.Decimal(total).quantize(decimal.Decimal("0.01"))
    return Page(page, _cursor(page[-1].entry_index) if len(rows) > limit else None, totals, counts)


def _may_recognise(session: Session, actor: Principal) -> Institution | None:
    """The recognising institution (a college), None for an operator; Forbidden for anyone else."""
    if actor.has(Role.INSTITUTION) and actor.institution_id is not None:
        inst = session.get(Institution, actor.institution_id)
        if inst is not None and inst.kind == "college":
            return inst
    if actor.has(Role.OPERATOR):
        return None
    raise Forbidden("only colleges and operators recognise outcomes", "只有院校和运营方可以认定学习成果")


def recognitions(session: Session, actor: Principal, *, state: str = Recognition.PENDING.value, limit: int = 50,
                 cursor: str | None = None) -> tuple[list[LearningRecord], str | None]:
    """Records in a recognition state, oldest first (colleges and operators)."""
    _may_recognise(session, actor)
    stmt = (sa.select(LearningRecord).options(defer(LearningRecord.credential))
            .where(LearningRecord.recognition == state))
    if state == Recognition.PENDING.value:
        stmt = stmt.where(LearningRecord.status.in_([RecordStatus.ACTIVE.value, RecordStatus.SUSPENDED.value]))
    if cursor:
        stmt = stmt.where(LearningRecord.entry_index > _parse_cursor(cursor))
    rows = list(session.scalars(stmt.order_by(LearningRecord.entry_index).limit(limit + 1)))
    page = rows[:limit]
    return page, _cursor(page[-1].entry_index) if len(rows) > limit else None


def institutions_of(session: Session, records: Iterable[LearningRecord]) -> dict[uuid.UUID, Institution]:
    """The issuing institutions of records, by id (one query)."""
    ids = {r.institution_id for r in records}
    if not ids:
        return {}
    return {i.id: i for i in session.scalars(sa.select(Institution).where(Institution.id.in_(ids)))}


# --------------------------------------------------------------------------- status changes


def _reason(reason: str | None, *, required: bool = True) -> str | None:
    text = (reason or "").strip()
    if not text:
        if required:
            raise Invalid("give a reason", "请填写理由", [FieldProblem("reason", "must not be blank", "不能为空")])
        return None
    return text[:MAX_REASON]


def _issuer_only(actor: Principal, record: LearningRecord) -> None:
    if not (actor.has(Role.INSTITUTION) and actor.institution_id == record.institution_id):
        raise Forbidden("only the issuing institution may change this record", "只有签发机构可以变更该记录")


def _status_document(kind: str, record: LearningRecord, reason: str | None, now: dt.datetime,
                     list_id: uuid.UUID | None, index: int | None, session: Session) -> dict[str, Any]:
    row = session.get(StatusList, list_id) if list_id is not None else None
    return {
        "type": kind, "record": record.ref, "credentialDigest": record.credential_digest, "reason": reason,
        "statusListCredential": row.url if row is not None else None,
        "statusListIndex": str(index) if index is not None else None, "time": timestamp(now),
    }


def _change(session: Session, keyring: Keyring, actor: Principal, record: LearningRecord, *, purpose: str,
            bit: bool, status: RecordStatus, entry_kind: str, doc_type: str, reason: str | None,
            now: dt.datetime) -> None:
    """Set the record's bit in its list (re-signed if custodial), its status, and append the entry."""
    list_id = record.revocation_list_id if purpose == REVOCATION else record.suspension_list_id
    index = record.revocation_index if purpose == REVOCATION else record.suspension_index
    if list_id is not None and index is not None:
        statuslists.set_bit(session, keyring, list_id, index, bit, now)
    record.status = status.value
    record.status_reason = reason
    record.status_changed_at = now
    session.flush()
    record_action(session, kind=entry_kind, subject_ref=record.account_ref, issuer=record.issuer,
                  actor=actor.actor_ref, object_ref=record.ref,
                  document=_status_document(doc_type, record, reason, now, list_id, index, session))


def revoke_record(session: Session, keyring: Keyring, actor: Principal, record_id: uuid.UUID,
                  reason: str | None) -> LearningRecord:
    """Revoke a record for good (the issuing institution): its revocation bit, a `revocation` entry."""
    begin_write(session)
    record = _locked(session, record_id)
    _issuer_only(actor, record)
    text = _reason(reason)
    if record.status in (RecordStatus.REVOKED.value, RecordStatus.SUPERSEDED.value):
        raise Conflict(f"the record is already {record.status}", f"该记录已是 {record.status} 状态")
    _change(session, keyring, actor, record, purpose=REVOCATION, bit=True, status=RecordStatus.REVOKED,
            entry_kind="revocation", doc_type="Revocation", reason=text, now=utcnow())
    events.revoked(session, record, text or "")
    return record


def suspend_record(session: Session, keyring: Keyring, actor: Principal, record_id: uuid.UUID,
                   reason: str | None) -> LearningRecord:
    """Suspend an active record (the issuing institution): its suspension bit, a `suspension` entry."""
    begin_write(session)
    record = _locked(session, record_id)
    _issuer_only(actor, record)
    text = _reason(reason)
    if record.status != RecordStatus.ACTIVE.value:
        raise Conflict(f"only an active record can be suspended; this one is {record.status}",
                       f"只有有效记录可以暂停；该记录为 {record.status} 状态")
    _change(session, keyring, actor, record, purpose=SUSPENSION, bit=True, status=RecordStatus.SUSPENDED,
            entry_kind="suspension", doc_type="Suspension", reason=text, now=utcnow())
    return record


def reinstate_record(session: Session, keyring: Keyring, actor: Principal, record_id: uuid.UUID,
                     reason: str | None) -> LearningRecord:
    """Lift a suspension (the issuing institution): the bit cleared, a `reinstatement` entry."""
    begin_write(session)
    record = _locked(session, record_id)
    _issuer_only(actor, record)
    text = _reason(reason, required=False)
    if record.status != RecordStatus.SUSPENDED.value:
        raise Conflict(f"only a suspended record can be reinstated; this one is {record.status}",
                       f"只有已暂停的记录可以恢复；该记录为 {record.status} 状态")
    _change(session, keyring, actor, record, purpose=SUSPENSION, bit=False, status=RecordStatus.ACTIVE,
            entry_kind="reinstatement", doc_type="Reinstatement", reason=text, now=utcnow())
    return record


def correct_record(session: Session, keyring: Keyring, actor: Principal, record_id: uuid.UUID,
                   item: dict[str, Any], reason: str | None, *, public_url: str, bank_did: str) -> LearningRecord:
    """Supersede a record with a corrected one (the issuing institution).

    The new record is posted like any other (its own external_ref, same account); the old one is
    revoked in its status list and marked superseded; a `correction` entry links the two.
    """
    begin_write(session)
    old = _locked(session, record_id)
    _issuer_only(actor, old)
    if old.status not in (RecordStatus.ACTIVE.value, RecordStatus.SUSPENDED.value):
        raise Conflict(f"the record is already {old.status}", f"该记录已是 {old.status} 状态")
    survivor = accounts.get_account(session, old.account_id)
    posted = item.get("account")
    if posted is not None and _load_accounts(session, {posted}).get(posted) is not survivor:
        raise Invalid("a correction stays on the same account; revoke and post anew instead",
                      "更正不能更换账户；请撤销后重新提交",
                      [FieldProblem("account", "not the account of the corrected record", "不是被更正记录的账户")])
    item = {**item, "account": posted if posted is not None else survivor.id}
    text = _reason(reason, required=False) or "superseded"
    now = utcnow()
    # Lock order: the old record's list before the current lists and the log head (see statuslists).
    if old.revocation_list_id is not None and old.revocation_index is not None:
        statuslists.set_bit(session, keyring, old.revocation_list_id, old.revocation_index, True, now)
    [result] = post_records(session, keyring, actor, [PostItem(item)], partial=False, public_url=public_url,
                            bank_did=bank_did)
    raise_for(result)
    if result.replayed:
        raise Conflict("external_ref is already used by another record: a correction needs a new one",
                       "external_ref 已被其他记录使用：更正需要新的 external_ref",
                       [FieldProblem("external_ref", "already used", "已被使用")])
    new = result.record
    assert new is not None
    session.execute(sa.update(LearningRecord).where(LearningRecord.id == new.id).values(supersedes=old.id))
    new.supersedes = old.id
    old.status = RecordStatus.SUPERSEDED.value
    old.status_reason = text
    old.status_changed_at = now
    old.superseded_by = new.id
    session.flush()
    record_action(session, kind="correction", subject_ref=old.account_ref, issuer=new.issuer,
                  actor=actor.actor_ref, object_ref=old.ref, document={
                      "type": "Correction", "record": old.ref, "credentialDigest": old.credential_digest,
                      "supersededBy": new.ref, "supersededByDigest": new.credential_digest, "reason": text,
                      "time": timestamp(now)})
    events.revoked(session, old, text)
    return new


def recognise_record(session: Session, actor: Principal, record_id: uuid.UUID, *, decision: str,
                     reason: str | None, note: str | None, bank_did: str) -> LearningRecord:
    """Recognise (认定) or reject a pending record (a college or an operator); a `recognition` entry."""
    begin_write(session)
    inst = _may_recognise(session, actor)
    record = _locked(session, record_id)
    if decision not in (Recognition.RECOGNISED.value, Recognition.REJECTED.value):
        raise Invalid("decision is recognised or rejected", "decision 只能是 recognised 或 rejected",
                      [FieldProblem("decision", "recognised or rejected", "只能是 recognised 或 rejected")])
    if record.recognition != Recognition.PENDING.value:
        raise Conflict(f"the record is not pending recognition ({record.recognition})",
                       f"该记录不在待认定状态（{record.recognition}）")
    if record.status not in (RecordStatus.ACTIVE.value, RecordStatus.SUSPENDED.value):
        raise Conflict(f"the record is {record.status}", f"该记录为 {record.status} 状态")
    if inst is not None and inst.id == record.institution_id:
        raise Forbidden("an institution does not recognise its own records", "机构不能认定自己签发的记录")
    text = _reason(reason, required=decision == Recognition.REJECTED.value)
    now = utcnow()
    issuer = bank_did
    if inst is not None:
        key = inst.current_key()
        issuer = key.did if key is not None else bank_did
    record.recognition = decision
    record.recognition_note = (note or "").strip()[:MAX_REASON] or None
    record.recognised_by = inst.id if inst is not None else None
    record.recognised_at = now
    session.flush()
    record_action(session, kind="recognition", subject_ref=record.account_ref, issuer=issuer, actor=actor.actor_ref,
                  object_ref=record.ref, document={
                      "type": "RecognitionDecision", "record": record.ref,
                      "credentialDigest": record.credential_digest, "decision": decision, "reason": text,
                      "recognisedBy": inst.ref if inst is not None else "operator", "time": timestamp(now)})
    return record


# --------------------------------------------------------------------------- own-key status lists


def upload_status_list(session: Session, actor: Principal, list_id: uuid.UUID, credential: dict[str, Any], *,
                       public_url: str) -> StatusList:
    """Accept a status list an own-key institution signed, and bring its records' status in line.

    The list credential must verify, be signed by one of the institution's own keys (the key that
    signed the list's first upload; a key whose window closed may still sign its old lists), carry the
    list's URL as its id, and keep every revocation the bank knows of. Newly set revocation bits revoke
    their records; suspension bits suspend or reinstate theirs; each change is an entry.
    """
    actor.require(Role.INSTITUTION)
    if actor.institution_id is None:
        raise Forbidden("only an institution's client uploads status lists", "只有机构的客户端可以上传状态列表")
    begin_write(session)
    inst = get_institution(session, actor.institution_id)
    url = statuslists.list_url(public_url, list_id)

    def bad(name: str, en: str, zh: str) -> Invalid:
        return Invalid(en, zh, [FieldProblem(name, en, zh)])

    if credential.get("id") != url:
        raise bad("id", f"the list credential's id must be its URL {url}", f"状态列表凭证的 id 必须是其地址 {url}")
    try:
        verified = verify(credential)
        check_issuer_matches_controller(credential, verified)
    except CredentialError as exc:
        raise bad("proof", f"the list's proof does not verify: {exc}", f"状态列表签名验证失败：{exc}") from None
    key = next((k for k in inst.keys if k.verification_method == verified.verification_method), None)
    if key is None:
        raise Forbidden("the list is not signed by a key of your institution", "状态列表不是由本机构的密钥签署")
    if key.custodial:
        raise Conflict("the bank signs the lists of custodial keys", "托管密钥的状态列表由银行签署")
    types = credential.get("type")
    subject = credential.get("credentialSubject")
    if not isinstance(types, list) or "BitstringStatusListCredential" not in types or not isinstance(subject, dict) \
            or subject.get("type") != "BitstringStatusList" or subject.get("id") != f"{url}#list":
        raise bad("credentialSubject", "not a BitstringStatusListCredential for this URL",
                  "不是该地址的 BitstringStatusListCredential")
    purpose = subject.get("statusPurpose")
    if purpose not in PURPOSES:
        raise bad("credentialSubject.statusPurpose", "statusPurpose is revocation or suspension",
                  "statusPurpose 只能是 revocation 或 suspension")
    try:
        bits = Bitstring.decode(subject.get("encodedList") if isinstance(subject.get("encodedList"), str) else "")
    except (StatusListError, CredentialError) as exc:
        raise bad("credentialSubject.encodedList", f"bad encodedList: {exc}", f"encodedList 无效：{exc}") from None
    if not 131072 <= len(bits) <= MAX_SIZE:
        raise bad("credentialSubject.encodedList", "a list has at least 131,072 entries", "状态列表至少需 131072 位")
    raw = bytes(len(bits) // 8)
    new_bits = bytearray(raw)
    for i in range(len(bits)):
        if bits.get(i):
            new_bits[i // 8] |= 0x80 >> (i % 8)
    now = utcnow()
    row = locked(session, StatusList, list_id)
    if row is None:
        if not key.valid_at(now):
            raise bad("proof", "a new list must be signed by the institution's current key",
                      "新状态列表必须由机构当前密钥签署")
        row = StatusList(id=list_id, url=url, institution_id=inst.id, key_id=key.id, issuer=key.did, purpose=purpose,
                         size=len(bits), next_index=0, bits=bytes(new_bits), custodial=False, created_at=now)
        session.add(row)
    else:
        if row.institution_id != inst.id:
            raise Forbidden("this status list belongs to another institution", "该状态列表属于其他机构")
        if row.key_id != key.id or row.purpose != purpose or row.size != len(bits):
            raise bad("credentialSubject", "a list keeps its key, purpose and size", "状态列表的密钥、用途和大小不可更改")
        if purpose == REVOCATION:
            lifted = [i for i, (o, n) in enumerate(zip(row.bits, new_bits, strict=True)) if o & ~n]
            if lifted:
                raise bad("credentialSubject.encodedList", "a revocation cannot be lifted", "撤销不可恢复")
        row.bits = bytes(new_bits)
    row.signed = credential
    row.signed_at = now
    session.flush()
    _apply_uploaded_bits(session, actor, row, now)
    return row


def _apply_uploaded_bits(session: Session, actor: Principal, row: StatusList, now: dt.datetime) -> None:
    column, index_column = ((LearningRecord.revocation_list_id, LearningRecord.revocation_index)
                            if row.purpose == REVOCATION else
                            (LearningRecord.suspension_list_id, LearningRecord.suspension_index))
    records = list(session.scalars(sa.select(LearningRecord).where(column == row.id).order_by(index_column)))
    for record in records:
        index = record.revocation_index if row.purpose == REVOCATION else record.suspension_index
        assert index is not None
        bit = statuslists.bit_at(row.bits, index)
        change: tuple[RecordStatus, str, str] | None = None
        if row.purpose == REVOCATION and bit and record.status in (RecordStatus.ACTIVE.value,
                                                                   RecordStatus.SUSPENDED.value):
            change = (RecordStatus.REVOKED, "revocation", "Revocation")
        elif row.purpose == SUSPENSION and bit and record.status == RecordStatus.ACTIVE.value:
            change = (RecordStatus.SUSPENDED, "suspension", "Suspension")
        elif row.purpose == SUSPENSION and not bit and record.status == RecordStatus.SUSPENDED.value:
            change = (RecordStatus.ACTIVE, "reinstatement", "Reinstatement")
        if change is None:
            continue
        status, entry_kind, doc_type = change
        reason = "set in the institution's status list"
        record.status, record.status_reason, record.status_changed_at = status.value, reason, now
        session.flush()
        record_action(session, kind=entry_kind, subject_ref=record.account_ref, issuer=record.issuer,
                      actor=actor.actor_ref, object_ref=record.ref,
                      document=_status_document(doc_type, record, reason, now, row.id, index, session))
        if status == RecordStatus.REVOKED:
            events.revoked(session, record, reason)


# --------------------------------------------------------------------------- account module hooks


def _posted_to(session: Session, institution_id: uuid.UUID, account_ids: list[uuid.UUID]) -> bool:
    return session.scalar(sa.select(LearningRecord.id).where(LearningRecord.institution_id == institution_id,
                                                             LearningRecord.account_id.in_(account_ids)).limit(1)) \
        is not None


def _export(session: Session, keyring: Keyring, account: Account, ids: list[uuid.UUID]) -> list[dict[str, Any]]:
    del keyring
    records = list(session.scalars(sa.select(LearningRecord).where(LearningRecord.account_id.in_(ids))
                                   .order_by(LearningRecord.entry_index)))
    insts = institutions_of(session, records)
    return [{"id": r.ref, "kind": r.kind, "external_ref": r.external_ref, "occurred_on": r.occurred_on.isoformat(),
             "institution": f"urn:uuid:{r.institution_id}",
             "institution_name": insts[r.institution_id].name if r.institution_id in insts else None,
             "outcome": r.outcome, "status": r.status, "status_reason": r.status_reason,
             "recognition": r.recognition, "entry_index": r.entry_index, "recorded_at": timestamp(r.created_at),
             "credential": r.credential} for r in records]


accounts.register_reader_check(_posted_to)
accounts.register_export_section("learning_records", _export)
