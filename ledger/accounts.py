"""Learner accounts (终身学习账户): one person, one account; personal data sealed; every outside read logged.

Personal data: the national ID, name and phone are sealed with the master keyring (AES-256-GCM, context
`accounts/<id>/<field>`); the ID is also kept as a keyed hash (HMAC-SHA256 under a key derived from the
current master key for the purpose `LOOKUP_PURPOSE`) so the bank can find a person by ID without
decrypting. Rotating the master key re-hashes every look-up hash (`ledger.masterkey`); until then look-ups
try the current and the old master keys.

Access: the learner (a principal bound to the account), the institutions that opened it, the institutions
a reader check says may read (the records module registers "posted a record to it"), openers without an
institution (unions, operators) through the same caller, and operators. Every read by anyone but the
owner needs a reason and writes an `AccountAccess` row, shown to the learner.

Extension points for the records module: `register_reader_check` (who else may read) and
`register_export_section` (what else the export carries), and `merged_ids` (an account's id plus the ids
merged into it, whose records it shows).
"""

from __future__ import annotations

import base64
import datetime as dt
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column

from credentials.sealing import keyed_hash
from ledger import card_number, national_id
from ledger.db import Base, begin_write, utcnow
from ledger.documents import record_action, timestamp
from ledger.errors import Conflict, FieldProblem, Forbidden, Invalid, NotFound
from ledger.institutions import Institution, get_institution
from ledger.keyring import Keyring
from ledger.principal import Principal
from ledger.roles import Role

LOOKUP_PURPOSE = b"accounts.national_id.lookup.v1"
PHONE = r"^1[3-9][0-9]{9}$"
MAX_NAME = 100
MIN_REASON = 2
MAX_REASON = 500

ACTIVE = "active"
MERGED = "merged"
ERASED = "erased"


class Account(Base):
    """A learner's lifelong account: printable card number, sealed personal data, a look-up hash of the ID."""

    __tablename__ = "accounts"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    card_number: Mapped[str] = mapped_column(sa.String(16), unique=True)
    status: Mapped[str] = mapped_column(sa.String(16), default=ACTIVE)
    nid_hash: Mapped[str | None] = mapped_column(sa.String(64), unique=True)
    nid_hash_key: Mapped[str | None] = mapped_column(sa.String(16))  # master key fingerprint of the hash
    sealed_national_id: Mapped[bytes | None]
    sealed_name: Mapped[bytes | None]
    sealed_phone: Mapped[bytes | None]
    merged_into_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("accounts.id"), index=True)
    opened_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    opened_by: Mapped[str] = mapped_column(sa.String(80))
    merged_at: Mapped[dt.datetime | None]
    erased_at: Mapped[dt.datetime | None]
    erasure_reason: Mapped[str | None] = mapped_column(sa.String(MAX_REASON))

    @property
    def ref(self) -> str:
        """The account id as the wire and the log name it."""
        return f"urn:uuid:{self.id}"

    def context(self, field: str) -> str:
        """AES-GCM associated data of one sealed field."""
        return f"accounts/{self.id}/{field}"


class AccountOpening(Base):
    """One opener of an account: the first, and every later one that opened it again with the same ID."""

    __tablename__ = "account_openings"
    __table_args__ = (sa.UniqueConstraint("account_id", "opener"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    account_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("accounts.id"), index=True)
    opener: Mapped[str] = mapped_column(sa.String(80))  # institution:<uuid>, or the actor ref of a union/operator
    institution_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("institutions.id"), index=True)
    actor: Mapped[str] = mapped_column(sa.String(80))
    organisation: Mapped[str | None] = mapped_column(sa.String(200))
    opened_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class AccountAccess(Base):
    """One read or change of an account by someone other than its owner: who, when, what, why."""

    __tablename__ = "account_access_log"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    account_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("accounts.id"), index=True)
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    actor: Mapped[str] = mapped_column(sa.String(80))
    actor_name: Mapped[str] = mapped_column(sa.String(200))
    role: Mapped[str] = mapped_column(sa.String(20))
    institution_id: Mapped[uuid.UUID | None]
    action: Mapped[str] = mapped_column(sa.String(20))  # read, export, correct, merge, erase
    reason: Mapped[str] = mapped_column(sa.String(MAX_REASON))


@dataclass(frozen=True)
class PersonalData:
    """The opened personal data of an account (all None once erased)."""

    national_id: str | None
    name: str | None
    phone: str | None


@dataclass(frozen=True)
class Opened:
    """The result of opening: the account, and whether it was created now or already existed."""

    account: Account
    created: bool


ReaderCheck = Callable[[Session, uuid.UUID, list[uuid.UUID]], bool]
"""(session, institution id, account ids incl. merged ones) → may this institution read the account?"""
ExportSection = Callable[[Session, Keyring, Account, list[uuid.UUID]], Any]
"""(session, keyring, surviving account, account ids incl. merged ones) → JSON-able section of the export."""

_reader_checks: list[ReaderCheck] = []
_export_sections: dict[str, ExportSection] = {}


def register_reader_check(check: ReaderCheck) -> None:
    """Let another module say that an institution may read an account (e.g. it posted a record to it)."""
    if check not in _reader_checks:
        _reader_checks.append(check)


def register_export_section(name: str, section: ExportSection) -> None:
    """Add a named section to every export (e.g. `records`); a later registration under a name replaces it."""
    _export_sections[name] = section


# --------------------------------------------------------------------------- validation and sealing


def _name_problems(name: str | None, field: str = "name") -> list[FieldProblem]:
    if name is None or not name.strip():
        return [FieldProblem(field, "must not be blank", "不能为空")]
    if len(name.strip()) > MAX_NAME:
        return [FieldProblem(field, f"at most {MAX_NAME} characters", f"最多 {MAX_NAME} 个字符")]
    return []


def _phone_problems(phone: str | None, field: str = "phone") -> list[FieldProblem]:
    if phone is not None and not re.fullmatch(PHONE, phone):
        return [FieldProblem(field, "not a mainland China mobile number (11 digits, 1[3-9]…)",
                             "不是有效的中国大陆手机号码（11 位，以 13-19 开头）")]
    return []


def lookup_hashes(keyring: Keyring, nid: str) -> list[str]:
    """The look-up hash of a normalised ID under the current master key first, then under each old one."""
    return [keyed_hash(k, nid, purpose=LOOKUP_PURPOSE) for k in (keyring.current, *keyring.old)]


def _seal_optional(keyring: Keyring, account: Account, field: str, value: str | None) -> bytes | None:
    return None if value is None else keyring.seal(value.encode(), context=account.context(field))


def _open_optional(keyring: Keyring, account: Account, field: str, sealed: bytes | None) -> str | None:
    return None if sealed is None else keyring.open(sealed, context=account.context(field)).decode()


def personal_data(keyring: Keyring, account: Account) -> PersonalData:
    """Open the sealed national ID, name and phone."""
    return PersonalData(
        national_id=_open_optional(keyring, account, "national_id", account.sealed_national_id),
        name=_open_optional(keyring, account, "name", account.sealed_name),
        phone=_open_optional(keyring, account, "phone", account.sealed_phone),
    )


# --------------------------------------------------------------------------- look-ups


def get_account(session: Session, account_id: uuid.UUID) -> Account:
    """One account by id, following merges to the surviving account (no access check: for services)."""
    account = session.get(Account, account_id)
    seen = set()
    while account is not None and account.merged_into_id is not None and account.id not in seen:
        seen.add(account.id)
        account = session.get(Account, account.merged_into_id)
    if account is None:
        raise NotFound("no such account", "没有该账户")
    return account


def merged_ids(session: Session, account_id: uuid.UUID) -> list[uuid.UUID]:
    """The account's id followed by every id merged into it, directly or through other merges."""
    out = [account_id]
    frontier = [account_id]
    while frontier:
        found = list(session.scalars(sa.select(Account.id).where(Account.merged_into_id.in_(frontier))))
        found = [i for i in found if i not in out]
        out.extend(found)
        frontier = found
    return out


def find_by_national_id(session: Session, keyring: Keyring, nid: str) -> Account | None:
    """The (surviving) account of a national ID number, or None; an invalid number raises Invalid."""
    normal = national_id.parse(nid)
    account = session.scalar(sa.select(Account).where(Account.nid_hash.in_(lookup_hashes(keyring, normal))))
    return None if account is None else get_account(session, account.id)


def find_by_card_number(session: Session, number: str) -> Account | None:
    """The (surviving) account of a card number, or None."""
    account = session.scalar(sa.select(Account).where(Account.card_number == card_number.normalise(number)))
    return None if account is None else get_account(session, account.id)


# --------------------------------------------------------------------------- access


def _opener_of(actor: Principal) -> tuple[str, uuid.UUID | None]:
    """Who opens for this caller: its institution if it is bound to one, else the caller itself."""
    if actor.has(Role.INSTITUTION) and actor.institution_id is not None:
        return f"institution:{actor.institution_id}", actor.institution_id
    return actor.actor_ref, None


def is_owner(session: Session, actor: Principal, account: Account) -> bool:
    """True if the caller is the learner of this account (a login bound to it or to an account merged into it)."""
    if actor.account_id is None or not actor.has(Role.LEARNER):
        return False
    try:
        return get_account(session, actor.account_id).id == account.id
    except NotFound:
        return False


def _role_for_access(session: Session, actor: Principal, account: Account, *, readers: bool = True) -> Role | None:
    """The role under which a non-owner may see the account (openers only when not `readers`), or None."""
    if actor.has(Role.OPERATOR):
        return Role.OPERATOR
    ids = merged_ids(session, account.id)
    openers = set(session.scalars(sa.select(AccountOpening.opener).where(AccountOpening.account_id.in_(ids))))
    if actor.has(Role.INSTITUTION) and actor.institution_id is not None:
        if f"institution:{actor.institution_id}" in openers:
            return Role.INSTITUTION
        if readers and any(check(session, actor.institution_id, ids) for check in _reader_checks):
            return Role.INSTITUTION
    if actor.has(Role.UNION) and actor.actor_ref in openers:
        return Role.UNION
    return None


def _log_access(session: Session, actor: Principal, account: Account, role: Role, action: str,
                reason: str | None) -> None:
    text = (reason or "").strip()
    if len(text) < MIN_REASON:
        raise Invalid("say why you need this account (reason)", "请说明查看该账户的理由（reason）",
                      [FieldProblem("reason", f"required for anyone but the learner, at least {MIN_REASON} characters",
                                    f"除学员本人外必须填写，至少 {MIN_REASON} 个字符")])
    session.add(AccountAccess(account_id=account.id, at=utcnow(), actor=actor.actor_ref, actor_name=actor.name[:200],
                              role=role.value, institution_id=actor.institution_id if role == Role.INSTITUTION else None,
                              action=action, reason=text[:MAX_REASON]))
    session.flush()


def _authorise(session: Session, actor: Principal, account: Account, action: str, reason: str | None,
               *, allow: tuple[Role, ...] = (Role.OPERATOR, Role.INSTITUTION, Role.UNION),
               readers: bool = True) -> bool:
    """Owner: True, nothing logged. Others allowed by role: logged with the reason. Anyone else: Forbidden."""
    if is_owner(session, actor, account):
        return True
    role = _role_for_access(session, actor, account, readers=readers)
    if role is None or role not in allow:
        raise Forbidden("you may not see this account", "无权查看该账户")
    _log_access(session, actor, account, role, action, reason)
    return False


def get_account_for(session: Session, actor: Principal, account_id: uuid.UUID, reason: str | None) -> Account:
    """The (surviving) account for a caller allowed to read it; reads by anyone but the owner are logged."""
    if actor.account_id is None:
        begin_write(session)  # a non-owner read writes an access-log row
    account = get_account(session, account_id)
    _authorise(session, actor, account, "read", reason)
    return account


def openings(session: Session, account: Account) -> list[AccountOpening]:
    """Who opened the account (and the accounts merged into it), oldest first."""
    return list(session.scalars(sa.select(AccountOpening)
                                .where(AccountOpening.account_id.in_(merged_ids(session, account.id)))
                                .order_by(AccountOpening.opened_at, AccountOpening.id)))


def access_cursor(row: AccountAccess) -> str:
    """An opaque cursor for the access-log page after `row`."""
    return base64.urlsafe_b64encode(f"{row.at.isoformat()}|{row.id}".encode()).decode()


def _parse_access_cursor(text: str) -> tuple[dt.datetime, uuid.UUID]:
    try:
        at, rid = base64.urlsafe_b64decode(text.encode()).decode().split("|")
        when = dt.datetime.fromisoformat(at)
        if when.tzinfo is None:
            raise ValueError("naive")
        return when, uuid.UUID(rid)
    except (ValueError, UnicodeError) as e:
        raise Invalid("bad cursor", "分页游标无效",
                      [FieldProblem("cursor", "not a cursor from a previous page", "不是上一页给出的游标")]) from e


def access_log(session: Session, actor: Principal, account_id: uuid.UUID, *, limit: int = 100,
               cursor: str | None = None) -> list[AccountAccess]:
    """Who read or changed the account and why, newest first, after `cursor` (the learner only)."""
    account = get_account(session, account_id)
    if not is_owner(session, actor, account):
        raise Forbidden("only the learner sees the access log of an account", "只有学员本人可以查看账户访问记录")
    before = _parse_access_cursor(cursor) if cursor else None
    stmt = (sa.select(AccountAccess).where(AccountAccess.account_id.in_(merged_ids(session, account.id)))
            .order_by(AccountAccess.at.desc(), AccountAccess.id.desc()).limit(limit))
    if before is not None:
        at, rid = before
        stmt = stmt.where(sa.or_(AccountAccess.at < at, sa.and_(AccountAccess.at == at, AccountAccess.id < rid)))
    return list(session.scalars(stmt))


# --------------------------------------------------------------------------- changes (each an entry)


def _new_card_number(session: Session) -> str:
    while True:
        number = card_number.new_number()
        if session.scalar(sa.select(Account.id).where(Account.card_number == number)) is None:
            return number


def _add_opening(session: Session, actor: Principal, issuer: str, account: Account, now: dt.datetime) -> bool:
    """Record the caller as an opener (an `account-open` entry); False if it already was one."""
    opener, institution_id = _opener_of(actor)
    ids = merged_ids(session, account.id)
    if session.scalar(sa.select(AccountOpening.id).where(AccountOpening.account_id.in_(ids),
                                                        AccountOpening.opener == opener)) is not None:
        return False
    opening = AccountOpening(id=uuid.uuid4(), account_id=account.id, opener=opener, institution_id=institution_id,
                             actor=actor.actor_ref, organisation=actor.organisation, opened_at=now)
    session.add(opening)
    session.flush()
    record_action(session, kind="account-open", subject_ref=account.ref, issuer=issuer, actor=actor.actor_ref,
                  object_ref=f"urn:uuid:{opening.id}", document={
                      "type": "AccountOpening", "account": account.ref, "opening": f"urn:uuid:{opening.id}",
                      "opener": f"urn:uuid:{institution_id}" if institution_id else opener.split(":", 1)[0],
                      "time": timestamp(now)})
    return True


def open_account(
    session: Session,
    keyring: Keyring,
    actor: Principal,
    issuer: str,
    *,
    national_id_number: str,
    name: str,
    phone: str | None = None,
) -> Opened:
    """Open an account (institutions, unions, operators); the same ID again gives the existing account.

    Opening again adds the caller as an opener of the existing account and changes nothing else: the
    name and phone given are not compared or stored (say so to nobody: that would confirm them).
    """
    actor.require(Role.INSTITUTION, Role.UNION, Role.OPERATOR)
    opener, institution_id = _opener_of(actor)
    if actor.has(Role.INSTITUTION) and not actor.has(Role.UNION, Role.OPERATOR) and institution_id is None:
        raise Forbidden("this institution client is bound to no institution", "该机构客户端未绑定机构")
    problems = (national_id.problems(national_id_number) + _name_problems(name) + _phone_problems(phone))
    if problems:
        raise Invalid("invalid account details", "账户信息无效", problems)
    begin_write(session)
    if institution_id is not None:
        try:
            get_institution(session, institution_id)
        except NotFound:
            raise Forbidden("this client is bound to an institution the bank does not know",
                            "该客户端绑定的机构未在银行登记") from None
    nid = national_id.normalise(national_id_number)
    now = utcnow()
    existing = find_by_national_id(session, keyring, nid)
    if existing is not None:
        _add_opening(session, actor, issuer, existing, now)
        return Opened(existing, created=False)
    account = Account(id=uuid.uuid4(), card_number=_new_card_number(session), status=ACTIVE,
                      nid_hash=lookup_hashes(keyring, nid)[0], nid_hash_key=keyring.current_id,
                      opened_at=now, opened_by=actor.actor_ref)
    account.sealed_national_id = _seal_optional(keyring, account, "national_id", nid)
    account.sealed_name = _seal_optional(keyring, account, "name", name.strip())
    account.sealed_phone = _seal_optional(keyring, account, "phone", phone)
    try:
        # Two openers racing with one ID: the unique look-up hash lets one win; the other reads its account.
        with session.begin_nested():
            session.add(account)
            session.flush()
    except IntegrityError:
        existing = find_by_national_id(session, keyring, nid)
        if existing is None:
            raise
        _add_opening(session, actor, issuer, existing, now)
        return Opened(existing, created=False)
    _add_opening(session, actor, issuer, account, now)
    return Opened(account, created=True)


def correct_account(
    session: Session,
    keyring: Keyring,
    actor: Principal,
    issuer: str,
    account_id: uuid.UUID,
    changes: dict[str, str | None],
    reason: str | None = None,
) -> Account:
    """Correct the name and/or phone (the learner, an opener or an operator); a `correction` entry without PII."""
    begin_write(session)
    account = get_account(session, account_id)
    _authorise(session, actor, account, "correct", reason, allow=(Role.OPERATOR, Role.INSTITUTION), readers=False)
    if account.status == ERASED:
        raise Conflict("the account's personal data has been erased", "该账户的个人信息已被删除")
    fields = [f for f in ("name", "phone") if f in changes]
    if not fields:
        raise Invalid("nothing to correct: give name or phone", "没有要更正的内容：请提供 name 或 phone",
                      [FieldProblem("_schema", "give name or phone", "请提供 name 或 phone")])
    problems = (_name_problems(changes["name"]) if "name" in changes else []) + (
        _phone_problems(changes["phone"]) if "phone" in changes else [])
    if problems:
        raise Invalid("invalid correction", "更正内容无效", problems)
    if "name" in changes:
        name = changes["name"]
        assert name is not None
        account.sealed_name = _seal_optional(keyring, account, "name", name.strip())
    if "phone" in changes:
        account.sealed_phone = _seal_optional(keyring, account, "phone", changes["phone"])
    session.flush()
    now = utcnow()
    record_action(session, kind="correction", subject_ref=account.ref, issuer=issuer, actor=actor.actor_ref,
                  object_ref=account.ref, document={
                      "type": "AccountCorrection", "account": account.ref, "fields": fields,
                      "nonce": uuid.uuid4().hex, "time": timestamp(now)})
    return account


def merge_accounts(
    session: Session, actor: Principal, issuer: str, into_id: uuid.UUID, from_id: uuid.UUID, reason: str | None = None
) -> Account:
    """Merge a duplicate account into another (operators); an `account-merge` entry. Reads of the old id redirect."""
    actor.require(Role.OPERATOR)
    begin_write(session)
    into = session.get(Account, into_id)
    dup = session.get(Account, from_id)
    if into is None or dup is None:
        raise NotFound("no such account", "没有该账户")
    if into.id == dup.id:
        raise Invalid("an account cannot be merged into itself", "账户不能与自身合并",
                      [FieldProblem("from", "same as the surviving account", "与保留账户相同")])
    for acc, field in ((into, "id"), (dup, "from")):
        if acc.status != ACTIVE:
            raise Conflict(f"the account {acc.ref} is {acc.status}", f"账户 {acc.ref} 的状态为 {acc.status}",
                           [FieldProblem(field, f"account is {acc.status}", f"账户状态为 {acc.status}")])
    now = utcnow()
    dup.status = MERGED
    dup.merged_into_id = into.id
    dup.merged_at = now
    session.flush()
    if reason:
        _log_access(session, actor, into, Role.OPERATOR, "merge", reason)
    record_action(session, kind="account-merge", subject_ref=into.ref, issuer=issuer, actor=actor.actor_ref,
                  object_ref=dup.ref, document={
                      "type": "AccountMerge", "into": into.ref, "from": dup.ref, "time": timestamp(now)})
    return into


def erase_account(
    session: Session, actor: Principal, issuer: str, account_id: uuid.UUID, reason: str
) -> Account:
    """Erase the learner's personal data on request (operators); an `erasure` entry; the log stays whole.

    The sealed ID, name and phone and the ID's look-up hash are deleted, of the account and of every
    account merged into it: afterwards nobody, the bank included, can find the person by ID, and opening
    an account with that ID again starts a new account. The account id, card number, openings, access
    log and records (which carry no personal data) stay, so the log and its proofs remain checkable.
    """
    actor.require(Role.OPERATOR)
    begin_write(session)
    account = get_account(session, account_id)
    if account.status == ERASED:
        raise Conflict("the account has already been erased", "该账户已被删除个人信息")
    now = utcnow()
    _log_access(session, actor, account, Role.OPERATOR, "erase", reason)
    for aid in merged_ids(session, account.id):
        acc = session.get(Account, aid)
        assert acc is not None
        acc.sealed_national_id = acc.sealed_name = acc.sealed_phone = None
        acc.nid_hash = acc.nid_hash_key = None
        acc.erased_at = now
    account.status = ERASED
    account.erasure_reason = reason.strip()[:MAX_REASON]
    session.flush()
    record_action(session, kind="erasure", subject_ref=account.ref, issuer=issuer, actor=actor.actor_ref,
                  object_ref=account.ref, document={
                      "type": "Erasure", "account": account.ref,
                      "fields": ["national_id", "name", "phone"], "time": timestamp(now)})
    return account


# --------------------------------------------------------------------------- export


def export_account(
    session: Session, keyring: Keyring, actor: Principal, account_id: uuid.UUID, reason: str | None = None
) -> dict[str, Any]:
    """Everything the bank holds on a learner, decrypted (the learner, or an operator with a reason, logged)."""
    from ledger.clients import ApiClient
    from ledger.log.models import LogEntry
    from ledger.people import User

    if actor.account_id is None:
        begin_write(session)
    account = get_account(session, account_id)
    _authorise(session, actor, account, "export", reason, allow=(Role.OPERATOR,))
    ids = merged_ids(session, account.id)
    refs = [f"urn:uuid:{i}" for i in ids]

    def person(acc: Account) -> dict[str, Any]:
        pd = personal_data(keyring, acc)
        return {"id": acc.ref, "card_number": acc.card_number, "status": acc.status,
                "opened_at": timestamp(acc.opened_at), "national_id": pd.national_id, "name": pd.name,
                "phone": pd.phone, "merged_at": timestamp(acc.merged_at) if acc.merged_at else None,
                "erased_at": timestamp(acc.erased_at) if acc.erased_at else None}

    merged = [session.get(Account, i) for i in ids[1:]]
    log_rows = session.scalars(sa.select(AccountAccess).where(AccountAccess.account_id.in_(ids))
                               .order_by(AccountAccess.at, AccountAccess.id))
    entries = session.scalars(sa.select(LogEntry).where(LogEntry.subject_ref.in_(refs)).order_by(LogEntry.index))
    users = session.scalars(sa.select(User).where(User.account_id.in_(ids)).order_by(User.created_at))
    api_clients = session.scalars(sa.select(ApiClient).where(ApiClient.account_id.in_(ids))
                                  .order_by(ApiClient.created_at))
    opener_ids = {o.institution_id for o in openings(session, account) if o.institution_id}
    institutions = {i.id: i for i in session.scalars(sa.select(Institution).where(Institution.id.in_(opener_ids)))}
    return {
        "format": "creditbank-account-export/1",
        "exported_at": timestamp(utcnow()),
        "account": person(account),
        "merged_accounts": [person(a) for a in merged if a is not None],
        "openings": [{"opened_at": timestamp(o.opened_at),
                      "institution": f"urn:uuid:{o.institution_id}" if o.institution_id else None,
                      "institution_name": institutions[o.institution_id].name if o.institution_id in institutions
                      else None,
                      "opener": o.opener.split(":", 1)[0], "organisation": o.organisation}
                     for o in openings(session, account)],
        "access_log": describe_access(session, list(log_rows)),
        "log_entries": [{"index": e.index, "kind": e.kind, "time": timestamp(e.time)} for e in entries],
        "logins": [{"username": u.username, "display_name": u.display_name, "created_at": timestamp(u.created_at)}
                   for u in users],
        "api_clients": [{"id": f"urn:uuid:{c.id}", "name": c.name, "created_at": timestamp(c.created_at)}
                        for c in api_clients],
        "sections": {name: section(session, keyring, account, ids) for name, section in _export_sections.items()},
    }


def describe_access(session: Session, rows: list[AccountAccess]) -> list[dict[str, Any]]:
    """Access-log rows as shown to the learner, with institution names."""
    ids = {r.institution_id for r in rows if r.institution_id}
    insts = {i.id: i for i in session.scalars(sa.select(Institution).where(Institution.id.in_(ids)))} if ids else {}
    return [access_row(r, insts) for r in rows]


def access_row(row: AccountAccess, institutions: dict[uuid.UUID, Institution] | None = None) -> dict[str, Any]:
    """One access-log row as shown to the learner."""
    inst = (institutions or {}).get(row.institution_id) if row.institution_id else None
    return {"at": timestamp(row.at), "actor": row.actor, "actor_name": row.actor_name, "role": row.role,
            "institution": f"urn:uuid:{row.institution_id}" if row.institution_id else None,
            "institution_name": inst.name if inst else None, "action": row.action, "reason": row.reason}
