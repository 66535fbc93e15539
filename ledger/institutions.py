"""Institutions: the registry of issuers, what each may issue and when, and their Ed25519 keys as did:key.

An authorisation is a validity window [valid_from, valid_until) for one outcome kind, so a verifier can
ask "was it authorised then?"; withdrawing one ends the window now and keeps it. A key is either
custodial (made by the bank, private key sealed under the master keyring with the context
`institution_keys/<key id>`) or the institution's own (only its public key is known here). Rotation makes
a new key current and ends the old one's window now; the old key still verifies what it signed while
its window was open. Every change is an entry in the log (kinds `institution`, `authorisation`, `key`),
its document kept in `entry_documents`.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from credentials.didkey import (
    did_key,
    public_key_from_did_key,
    public_key_from_multibase,
    verification_method,
)
from credentials.errors import CredentialError
from ledger import clients
from ledger.conversion.model import IssuerKind, OutcomeKind
from ledger.db import Base, begin_write, utcnow
from ledger.documents import record_action, timestamp
from ledger.errors import Conflict, FieldProblem, Forbidden, Invalid, NotFound
from ledger.keyring import Keyring
from ledger.principal import SYSTEM, Principal
from ledger.regions import is_region_code
from ledger.roles import Role

# What an institution of each kind may issue unless the operator says otherwise at registration.
DEFAULT_KINDS: dict[IssuerKind, tuple[OutcomeKind, ...]] = {
    IssuerKind.COLLEGE: (
        OutcomeKind.COURSE_CREDIT, OutcomeKind.DEGREE, OutcomeKind.ENROLMENT, OutcomeKind.ONLINE_COURSE,
        OutcomeKind.TRAINING, OutcomeKind.PRACTICE, OutcomeKind.NON_DEGREE_CERT,
    ),
    IssuerKind.TRAINING_BODY: (OutcomeKind.TRAINING, OutcomeKind.ONLINE_COURSE, OutcomeKind.NON_DEGREE_CERT),
    IssuerKind.APPRAISAL_BODY: (
        OutcomeKind.SKILL_LEVEL, OutcomeKind.VOCATIONAL_QUALIFICATION, OutcomeKind.NON_DEGREE_CERT,
    ),
    IssuerKind.COMPETITION_ORGANISER: (OutcomeKind.COMPETITION_AWARD,),
    IssuerKind.ENTERPRISE: (OutcomeKind.ENTERPRISE_COURSE, OutcomeKind.TRAINING, OutcomeKind.PRACTICE),
}

# Roles an institution may give the API clients it makes for itself.
INSTITUTION_CLIENT_ROLES = (Role.INSTITUTION, Role.VERIFIER)


class Institution(Base):
    """An issuer in the bank's registry: college, training or appraisal body, competition organiser, enterprise."""

    __tablename__ = "institutions"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    kind: Mapped[str] = mapped_column(sa.String(40))
    name: Mapped[str] = mapped_column(sa.String(200))
    region_code: Mapped[str] = mapped_column(sa.String(6))
    url: Mapped[str | None] = mapped_column(sa.String(500))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str] = mapped_column(sa.String(80))

    keys: Mapped[list[InstitutionKey]] = relationship(
        back_populates="institution", order_by="InstitutionKey.valid_from")
    authorisations: Mapped[list[Authorisation]] = relationship(
        back_populates="institution", order_by="Authorisation.valid_from")

    @property
    def ref(self) -> str:
        """The institution as a subject of log entries (`urn:uuid:…`, stable across key rotations)."""
        return f"urn:uuid:{self.id}"

    def current_key(self) -> InstitutionKey | None:
        """The key whose window is open (at most one)."""
        return next((k for k in reversed(self.keys) if k.valid_until is None), None)

    @property
    def did(self) -> str | None:
        """The did:key of the current key."""
        key = self.current_key()
        return key.did if key else None


class Authorisation(Base):
    """Permission to issue one outcome kind during [valid_from, valid_until); withdrawal ends it, never deletes it."""

    __tablename__ = "institution_authorisations"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    institution_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("institutions.id"), index=True)
    kind: Mapped[str] = mapped_column(sa.String(40))
    valid_from: Mapped[dt.datetime]
    valid_until: Mapped[dt.datetime | None]
    granted_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    granted_by: Mapped[str] = mapped_column(sa.String(80))
    withdrawn_at: Mapped[dt.datetime | None]
    withdrawn_by: Mapped[str | None] = mapped_column(sa.String(80))

    institution: Mapped[Institution] = relationship(back_populates="authorisations")

    def covers(self, at: dt.datetime) -> bool:
        """True if `at` falls in the window."""
        return self.valid_from <= at and (self.valid_until is None or at < self.valid_until)


class InstitutionKey(Base):
    """One Ed25519 key of an institution as did:key, with the window in which it may sign."""

    __tablename__ = "institution_keys"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    institution_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("institutions.id"), index=True)
    did: Mapped[str] = mapped_column(sa.String(120), unique=True)
    verification_method: Mapped[str] = mapped_column(sa.String(240), unique=True)
    public_key: Mapped[bytes] = mapped_column(sa.LargeBinary(32))
    custodial: Mapped[bool]
    sealed_private_key: Mapped[bytes | None]
    valid_from: Mapped[dt.datetime]
    valid_until: Mapped[dt.datetime | None]
    created_by: Mapped[str] = mapped_column(sa.String(80))

    institution: Mapped[Institution] = relationship(back_populates="keys")

    @property
    def seal_context(self) -> str:
        """The AES-GCM associated data of this key's sealed private key."""
        return f"institution_keys/{self.id}"

    def valid_at(self, at: dt.datetime) -> bool:
        """True if the key could sign at `at`."""
        return self.valid_from <= at and (self.valid_until is None or at < self.valid_until)

    def private(self, keyring: Keyring) -> Ed25519PrivateKey:
        """Open the sealed private key of a custodial key."""
        if self.sealed_private_key is None:
            raise Conflict("the bank holds no private key for an institution's own key",
                           "该机构使用自有密钥，银行不持有其私钥")
        return Ed25519PrivateKey.from_private_bytes(
            keyring.open(self.sealed_private_key, context=self.seal_context))


@dataclass(frozen=True)
class SigningKey:
    """The key an institution signs with now; `private_key` is None for institutions with their own key."""

    did: str
    verification_method: str
    private_key: Ed25519PrivateKey | None
    key_id: uuid.UUID


# --------------------------------------------------------------------------- look-ups for other services


def get_institution(session: Session, institution_id: uuid.UUID) -> Institution:
    """One institution by id, or NotFound."""
    inst = session.get(Institution, institution_id)
    if inst is None:
        raise NotFound("no such institution", "没有该机构")
    return inst


def list_institutions(session: Session, *, kind: str | None = None, region_code: str | None = None,
                      did: str | None = None) -> list[Institution]:
    """Institutions, optionally of one kind, in one region (prefix), or holding a did (current or past)."""
    stmt = sa.select(Institution).order_by(Institution.created_at, Institution.id)
    if kind:
        stmt = stmt.where(Institution.kind == kind)
    if region_code:
        stmt = stmt.where(Institution.region_code.startswith(region_code, autoescape=True))
    if did:
        stmt = stmt.where(Institution.id.in_(
            sa.select(InstitutionKey.institution_id).where(InstitutionKey.did == did.split("#", 1)[0])))
    return list(session.scalars(stmt))


def current_signing_key(session: Session, keyring: Keyring, institution_id: uuid.UUID) -> SigningKey:
    """The institution's current key, with its private key opened when the bank holds it."""
    key = get_institution(session, institution_id).current_key()
    if key is None:
        raise Conflict("the institution has no current key", "该机构没有当前有效的密钥")
    return SigningKey(did=key.did, verification_method=key.verification_method,
                      private_key=key.private(keyring) if key.custodial else None, key_id=key.id)


def key_for_verification_method(session: Session, vm: str) -> InstitutionKey | None:
    """The registered key (current or past) a verification method id names, if any."""
    return session.scalar(sa.select(InstitutionKey).where(InstitutionKey.verification_method == vm))


def institution_for_did(session: Session, did: str) -> Institution | None:
    """The institution that holds or held a did:key (a verification method id is accepted too)."""
    key = session.scalar(sa.select(InstitutionKey).where(InstitutionKey.did == did.split("#", 1)[0]))
    return key.institution if key is not None else None


def authorisation_at(session: Session, institution_id: uuid.UUID, kind: str, at: dt.datetime) -> Authorisation | None:
    """The authorisation for `kind` whose window covers `at` (the latest granted if several do)."""
    return session.scalar(
        sa.select(Authorisation)
        .where(Authorisation.institution_id == institution_id, Authorisation.kind == kind,
               Authorisation.valid_from <= at,
               sa.or_(Authorisation.valid_until.is_(None), Authorisation.valid_until > at))
        .order_by(Authorisation.valid_from.desc(), Authorisation.granted_at.desc())
        .limit(1)
    )


def is_authorised(session: Session, institution_id: uuid.UUID, kind: str, at: dt.datetime) -> bool:
    """Was the institution authorised to issue `kind` at `at`?"""
    return authorisation_at(session, institution_id, kind, at) is not None


# --------------------------------------------------------------------------- changes (each an entry)


def _require_operator_or_self(actor: Principal, institution: Institution) -> None:
    if actor.has(Role.OPERATOR) or (actor.has(Role.INSTITUTION) and actor.institution_id == institution.id):
        return
    raise Forbidden("only an operator or the institution itself may do this", "只有运营方或该机构本身可以执行此操作")


def _parse_public_key(public_key_multibase: str | None, did: str | None) -> Ed25519PublicKey:
    if (public_key_multibase is None) == (did is None):
        raise Invalid("give exactly one of public_key_multibase and did", "请只提供 public_key_multibase 或 did 之一",
                      [FieldProblem("public_key_multibase", "give this or did, not both", "与 did 二选一")])
    try:
        if did is not None:
            if "#" in did:
                raise CredentialError("a did, not a verification method id")
            return public_key_from_did_key(did)
        assert public_key_multibase is not None
        return public_key_from_multibase(public_key_multibase)
    except (CredentialError, ValueError) as e:
        name = "did" if did is not None else "public_key_multibase"
        raise Invalid("not an Ed25519 did:key or Multikey", "不是 Ed25519 did:key 或 Multikey 公钥",
                      [FieldProblem(name, f"not an Ed25519 key: {e}", "不是有效的 Ed25519 公钥")]) from None


def _key_document(inst: Institution, key: InstitutionKey, previous: InstitutionKey | None) -> dict[str, Any]:
    return {
        "type": "InstitutionKey",
        "institution": inst.ref,
        "key": f"urn:uuid:{key.id}",
        "did": key.did,
        "verificationMethod": key.verification_method,
        "custodial": key.custodial,
        "validFrom": timestamp(key.valid_from),
        "previous": previous.verification_method if previous else None,
    }


def _add_key(session: Session, keyring: Keyring, actor: Principal, issuer: str, inst: Institution,
             public: Ed25519PublicKey | None, now: dt.datetime) -> InstitutionKey:
    """Make `public` (or a new custodial key when None) current, end the old key's window, append a `key` entry."""
    private = Ed25519PrivateKey.generate() if public is None else None
    pub = private.public_key() if private is not None else public
    assert pub is not None
    did = did_key(pub)
    if session.scalar(sa.select(InstitutionKey.id).where(InstitutionKey.did == did)) is not None:
        raise Conflict("this key is already registered", "该密钥已被登记",
                       [FieldProblem("did", "already registered", "已被登记")])
    previous = inst.current_key()
    if previous is not None:
        previous.valid_until = now
    key = InstitutionKey(id=uuid.uuid4(), institution=inst, did=did, verification_method=verification_method(pub),
                         public_key=pub.public_bytes_raw(), custodial=private is not None, valid_from=now,
                         created_by=actor.actor_ref)
    if private is not None:
        raw = private.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw,
                                    serialization.NoEncryption())
        key.sealed_private_key = keyring.seal(raw, context=key.seal_context)
    session.add(key)
    session.flush()
    record_action(session, kind="key", subject_ref=inst.ref, issuer=issuer, actor=actor.actor_ref,
                  object_ref=f"urn:uuid:{key.id}", document=_key_document(inst, key, previous))
    return key


def _check_window(valid_from: dt.datetime, valid_until: dt.datetime | None) -> None:
    if valid_until is not None and valid_until <= valid_from:
        raise Invalid("the window ends before it starts", "有效期的结束时间早于开始时间",
                      [FieldProblem("valid_until", "must be after valid_from", "必须晚于 valid_from")])


def _grant(session: Session, actor: Principal, issuer: str, inst: Institution, kind: OutcomeKind,
           valid_from: dt.datetime, valid_until: dt.datetime | None, now: dt.datetime) -> Authorisation:
    auth = Authorisation(id=uuid.uuid4(), institution=inst, kind=kind.value, valid_from=valid_from,
                         valid_until=valid_until, granted_at=now, granted_by=actor.actor_ref)
    session.add(auth)
    session.flush()
    record_action(session, kind="authorisation", subject_ref=inst.ref, issuer=issuer, actor=actor.actor_ref,
                  object_ref=f"urn:uuid:{auth.id}", document={
                      "type": "Authorisation", "action": "grant", "institution": inst.ref,
                      "authorisation": f"urn:uuid:{auth.id}", "kind": auth.kind,
                      "validFrom": timestamp(valid_from),
                      "validUntil": timestamp(valid_until) if valid_until else None,
                      "time": timestamp(now)})
    return auth


def _kinds(values: list[str], field: str, enum: type[Any]) -> list[Any]:
    out = []
    for i, v in enumerate(values):
        try:
            out.append(enum(v))
        except ValueError:
            raise Invalid(f"unknown value {v!r}", f"未知取值 {v!r}",
                          [FieldProblem(f"{field}.{i}", "unknown value", "未知取值")]) from None
    return out


_URL = re.compile(r"https?://[^\s\u0000-\u001f\u007f-\u009f\ud800-\udfff]+")


def register_institution(
    session: Session,
    keyring: Keyring,
    actor: Principal,
    issuer: str,
    *,
    kind: str,
    name: str,
    region_code: str,
    url: str | None = None,
    public_key_multibase: str | None = None,
    did: str | None = None,
    authorised_kinds: list[str] | None = None,
    authorised_from: dt.datetime | None = None,
) -> Institution:
    """Register an institution with its first key and authorisations (operators); each an entry.

    No public key given: the bank makes a custodial key. `authorised_kinds` None: the default for the kind.
    """
    actor.require(Role.OPERATOR)
    begin_write(session)
    problems = []
    if not is_region_code(region_code):
        problems.append(FieldProblem("region_code", "not a GB/T 2260 code: six digits starting with a province code",
                                     "不是 GB/T 2260 行政区划代码：应为以省级代码开头的 6 位数字"))
    if not name.strip():
        problems.append(FieldProblem("name", "must not be blank", "不能为空"))
    if url is not None and (len(url) > 500 or not _URL.fullmatch(url)):
        problems.append(FieldProblem("url", "must be an http(s) address of at most 500 characters, without spaces or control characters",
                                     "须为 http(s) 网址，不超过 500 个字符，且不含空格或控制字符"))
    if problems:
        raise Invalid("invalid institution", "机构信息无效", problems)
    [ikind] = _kinds([kind], "kind", IssuerKind)
    kinds = DEFAULT_KINDS[ikind] if authorised_kinds is None else tuple(
        dict.fromkeys(_kinds(authorised_kinds, "authorised_kinds", OutcomeKind)))
    public = None if public_key_multibase is None and did is None else _parse_public_key(public_key_multibase, did)
    now = utcnow()
    start = authorised_from or now
    inst = Institution(id=uuid.uuid4(), kind=ikind.value, name=name.strip(), region_code=region_code, url=url,
                       created_at=now, created_by=actor.actor_ref)
    session.add(inst)
    session.flush()
    record_action(session, kind="institution", subject_ref=inst.ref, issuer=issuer, actor=actor.actor_ref,
                  object_ref=inst.ref, document={
                      "type": "Institution", "institution": inst.ref, "kind": inst.kind, "name": inst.name,
                      "regionCode": inst.region_code, "url": inst.url, "time": timestamp(now)})
    _add_key(session, keyring, actor, issuer, inst, public, now)
    for k in kinds:
        _grant(session, actor, issuer, inst, k, start, None, now)
    session.flush()
    return inst


def grant_authorisation(
    session: Session,
    actor: Principal,
    issuer: str,
    institution_id: uuid.UUID,
    *,
    kind: str,
    valid_from: dt.datetime | None = None,
    valid_until: dt.datetime | None = None,
) -> Authorisation:
    """Authorise an institution to issue one kind during a window (operators); an entry."""
    actor.require(Role.OPERATOR)
    begin_write(session)
    inst = get_institution(session, institution_id)
    [okind] = _kinds([kind], "kind", OutcomeKind)
    now = utcnow()
    start = valid_from or now
    _check_window(start, valid_until)
    return _grant(session, actor, issuer, inst, okind, start, valid_until, now)


def withdraw_authorisation(
    session: Session, actor: Principal, issuer: str, institution_id: uuid.UUID, authorisation_id: uuid.UUID
) -> Authorisation:
    """End an authorisation now, keeping its history (operators); an entry."""
    actor.require(Role.OPERATOR)
    begin_write(session)
    auth = session.get(Authorisation, authorisation_id)
    if auth is None or auth.institution_id != institution_id:
        raise NotFound("no such authorisation", "没有该授权")
    now = utcnow()
    if auth.withdrawn_at is not None or (auth.valid_until is not None and auth.valid_until <= now):
        raise Conflict("the authorisation has already ended", "该授权已结束")
    # A window that has not started yet closes where it would have opened: it never covered any time.
    auth.valid_until = max(now, auth.valid_from)
    auth.withdrawn_at = now
    auth.withdrawn_by = actor.actor_ref
    session.flush()
    record_action(session, kind="authorisation", subject_ref=auth.institution.ref, issuer=issuer,
                  actor=actor.actor_ref, object_ref=f"urn:uuid:{auth.id}", document={
                      "type": "Authorisation", "action": "withdraw", "institution": auth.institution.ref,
                      "authorisation": f"urn:uuid:{auth.id}", "kind": auth.kind,
                      "validUntil": timestamp(auth.valid_until), "time": timestamp(now)})
    return auth


def rotate_custodial_key(
    session: Session, keyring: Keyring, actor: Principal, issuer: str, institution_id: uuid.UUID
) -> InstitutionKey:
    """A new custodial key becomes current; the old one's window ends now (operator or the institution)."""
    begin_write(session)
    inst = get_institution(session, institution_id)
    _require_operator_or_self(actor, inst)
    return _add_key(session, keyring, actor, issuer, inst, None, utcnow())


def register_own_key(
    session: Session,
    keyring: Keyring,
    actor: Principal,
    issuer: str,
    institution_id: uuid.UUID,
    *,
    public_key_multibase: str | None = None,
    did: str | None = None,
) -> InstitutionKey:
    """The institution's own public key becomes current; the old one's window ends now (operator or itself)."""
    begin_write(session)
    inst = get_institution(session, institution_id)
    _require_operator_or_self(actor, inst)
    public = _parse_public_key(public_key_multibase, did)
    return _add_key(session, keyring, actor, issuer, inst, public, utcnow())


def create_institution_client(
    session: Session, actor: Principal, institution_id: uuid.UUID, *, name: str, roles: list[str]
) -> clients.IssuedKey:
    """An API client bound to the institution (operator or the institution itself; institution/verifier roles)."""
    inst = get_institution(session, institution_id)
    _require_operator_or_self(actor, inst)
    wanted = _kinds(roles, "roles", Role)
    if any(r not in INSTITUTION_CLIENT_ROLES for r in wanted):
        raise Forbidden("an institution's clients may hold only the institution and verifier roles",
                        "机构的客户端只能拥有 institution 和 verifier 角色")
    # The operator check of create_client is ours here: the institution acts for itself.
    issued = clients.create_client(session, SYSTEM, name=name, roles=[r.value for r in wanted],
                                   institution_id=inst.id, organisation=inst.name)
    clients.get_client(session, issued.client_id).created_by = actor.actor_ref
    session.flush()
    return issued
