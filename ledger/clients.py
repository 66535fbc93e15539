"""API clients (machines) and their keys: `Authorization: Bearer cb_<key id>_<secret>`, only a hash stored."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
import secrets
import uuid
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from ledger.db import Base, utcnow
from ledger.errors import Conflict, Forbidden, NotFound, Unauthenticated
from ledger.principal import Principal
from ledger.roles import Role, parse_roles

_KEY_RE = re.compile(r"^cb_([a-z0-9]{16})_([A-Za-z0-9_-]{43})$")
# Presented keys that match no stored key are still hashed and compared against this, so an unknown key
# id costs the same time as a wrong secret.
_DUMMY_HASH = hashlib.sha256(b"creditbank dummy").hexdigest()
# Writing last_used_at on every request would turn every read into a write; a minute is precise enough.
_LAST_USED_GRANULARITY = dt.timedelta(minutes=1)


class ApiClient(Base):
    """A machine client of the bank with its roles and what it is bound to."""

    __tablename__ = "api_clients"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    name: Mapped[str] = mapped_column(sa.String(200))
    roles: Mapped[list[str]]
    institution_id: Mapped[uuid.UUID | None]
    account_id: Mapped[uuid.UUID | None]
    organisation: Mapped[str | None] = mapped_column(sa.String(200))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str] = mapped_column(sa.String(80))
    disabled_at: Mapped[dt.datetime | None]

    keys: Mapped[list[ApiKey]] = relationship(back_populates="client", order_by="ApiKey.created_at")


class ApiKey(Base):
    """One secret of a client; rotation adds a key and retires the old one."""

    __tablename__ = "api_keys"

    key_id: Mapped[str] = mapped_column(sa.String(16), primary_key=True)
    client_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("api_clients.id"), index=True)
    secret_sha256: Mapped[str] = mapped_column(sa.String(64))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[dt.datetime | None]
    revoked_at: Mapped[dt.datetime | None]
    last_used_at: Mapped[dt.datetime | None]

    client: Mapped[ApiClient] = relationship(back_populates="keys")

    def active(self, now: dt.datetime) -> bool:
        """True while the key is neither revoked nor expired."""
        if self.revoked_at is not None and self.revoked_at <= now:
            return False
        return self.expires_at is None or self.expires_at > now


@dataclass(frozen=True)
class IssuedKey:
    """A key as shown once to its owner: the full token is never stored."""

    client_id: uuid.UUID
    key_id: str
    token: str


def _hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _new_key(client: ApiClient) -> tuple[ApiKey, str]:
    key_id = secrets.token_hex(8)
    secret = secrets.token_urlsafe(32)
    return ApiKey(key_id=key_id, client=client, secret_sha256=_hash_secret(secret)), f"cb_{key_id}_{secret}"


def create_client(
    session: Session,
    actor: Principal,
    *,
    name: str,
    roles: list[str],
    institution_id: uuid.UUID | None = None,
    account_id: uuid.UUID | None = None,
    organisation: str | None = None,
) -> IssuedKey:
    """Register a machine client with its first key (operators only)."""
    actor.require(Role.OPERATOR)
    parsed = parse_roles(roles)
    client = ApiClient(
        name=name,
        roles=[r.value for r in parsed],
        institution_id=institution_id,
        account_id=account_id,
        organisation=organisation,
        created_by=actor.actor_ref,
    )
    session.add(client)
    key, token = _new_key(client)
    session.add(key)
    session.flush()
    return IssuedKey(client_id=client.id, key_id=key.key_id, token=token)


def list_clients(session: Session, actor: Principal) -> list[ApiClient]:
    """All clients with their keys (operators only); secrets are never returned."""
    actor.require(Role.OPERATOR)
    return list(session.scalars(sa.select(ApiClient).order_by(ApiClient.created_at)))


def get_client(session: Session, client_id: uuid.UUID) -> ApiClient:
    """One client by id, or NotFound."""
    client = session.get(ApiClient, client_id)
    if client is None:
        raise NotFound("no such API client", "没有该 API 客户端")
    return client


def _require_self_or_operator(actor: Principal, client: ApiClient) -> None:
    if actor.has(Role.OPERATOR) or (actor.kind == "client" and actor.id == client.id):
        return
    raise Forbidden("only an operator or the client itself may do this", "只有运营方或该客户端本身可以执行此操作")


def read_client(session: Session, actor: Principal, client_id: uuid.UUID) -> ApiClient:
    """One client, for an operator or the client itself."""
    client = get_client(session, client_id)
    _require_self_or_operator(actor, client)
    return client


def rotate_key(
    session: Session, actor: Principal, client_id: uuid.UUID, *, grace: dt.timedelta = dt.timedelta(0)
) -> IssuedKey:
    """Issue a new key and retire the client's other keys after `grace` (zero: at once)."""
    client = get_client(session, client_id)
    _require_self_or_operator(actor, client)
    if client.disabled_at is not None:
        raise Conflict("the client is disabled", "该客户端已停用")
    now = utcnow()
    for old in client.keys:
        if old.revoked_at is None:
            old.revoked_at = now + grace
    key, token = _new_key(client)
    session.add(key)
    session.flush()
    return IssuedKey(client_id=client.id, key_id=key.key_id, token=token)


def revoke_key(session: Session, actor: Principal, client_id: uuid.UUID, key_id: str) -> ApiKey:
    """Revoke one key of a client at once."""
    key = session.get(ApiKey, key_id)
    if key is None or key.client_id != client_id:
        raise NotFound("no such API key", "没有该 API 密钥")
    _require_self_or_operator(actor, key.client)
    if key.revoked_at is None or key.revoked_at > utcnow():
        key.revoked_at = utcnow()
    session.flush()
    return key


def disable_client(session: Session, actor: Principal, client_id: uuid.UUID) -> ApiClient:
    """Disable a client and revoke all its keys (operators only)."""
    actor.require(Role.OPERATOR)
    client = get_client(session, client_id)
    now = utcnow()
    client.disabled_at = client.disabled_at or now
    for key in client.keys:
        if key.revoked_at is None or key.revoked_at > now:
            key.revoked_at = now
    session.flush()
    return client


def authenticate(session: Session, token: str) -> Principal:
    """Resolve a presented bearer token to its client, in constant time per key id, or raise."""
    m = _KEY_RE.match(token)
    key = session.get(ApiKey, m.group(1)) if m else None
    presented = _hash_secret(m.group(2)) if m else _hash_secret(token)
    stored = key.secret_sha256 if key is not None else _DUMMY_HASH
    ok = hmac.compare_digest(presented, stored)
    now = utcnow()
    if not ok or key is None or not key.active(now) or key.client.disabled_at is not None:
        raise Unauthenticated("invalid, revoked or expired API key", "API 密钥无效、已吊销或已过期")
    if key.last_used_at is None or now - key.last_used_at > _LAST_USED_GRANULARITY:
        key.last_used_at = now
    client = key.client
    return Principal(
        kind="client",
        id=client.id,
        name=client.name,
        roles=tuple(parse_roles(client.roles)),
        institution_id=client.institution_id,
        account_id=client.account_id,
        organisation=client.organisation,
    )
