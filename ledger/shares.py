"""Shares: a learner hands chosen records (or the whole transcript) to a verifier through a token link.

The token is 32 random bytes (base64url), shown once; the bank stores only its SHA-256. A share expires
(default 30 days, at most 365) and can be withdrawn; after either it answers 410 Gone. When an audience is
set it is the id of the verifier's **API client** (the employer's verifier key): only that client may
open the share through the API, and the HTML page is not served. Every view is recorded (who, when,
how) and shown to the learner. Creating and withdrawing a share are entries (`share`) issued by the bank,
with the learner recorded privately beside the entry.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import uuid
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, Session, mapped_column

from ledger.accounts import Account, get_account, merged_ids
from ledger.clients import ApiClient
from ledger.db import Base, begin_write, utcnow
from ledger.documents import record_action, timestamp
from ledger.errors import FieldProblem, Forbidden, Invalid, LedgerError, NotFound
from ledger.principal import Principal
from ledger.records.models import LearningRecord, RecordStatus
from ledger.roles import Role

DEFAULT_DAYS = 30
MAX_DAYS = 365


class Gone(LedgerError):
    """The share expired or was withdrawn."""


class Share(Base):
    """One share link of a learner."""

    __tablename__ = "shares"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    account_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("accounts.id"), index=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    records: Mapped[list[str]]  # record ids (urn:uuid:…); empty for a transcript share
    transcript: Mapped[bool]
    audience: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("api_clients.id"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[dt.datetime]
    withdrawn_at: Mapped[dt.datetime | None]
    entry_index: Mapped[int] = mapped_column(sa.BigInteger)

    @property
    def ref(self) -> str:
        """`urn:uuid:…`."""
        return f"urn:uuid:{self.id}"


class ShareView(Base):
    """One opening of a share: who (an API client's ref, or `anonymous` for the page) and when."""

    __tablename__ = "share_views"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    share_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("shares.id"), index=True)
    viewed_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    viewer: Mapped[str] = mapped_column(sa.String(200))
    via: Mapped[str] = mapped_column(sa.String(16))  # "api" | "page"


def token_hash(token: str) -> str:
    """SHA-256 hex of a share token (what is stored)."""
    return hashlib.sha256(token.encode()).hexdigest()


def _bad(field: str, en: str, zh: str) -> Invalid:
    return Invalid("the share cannot be made as asked", "无法按要求创建分享", [FieldProblem(field, en, zh)])


def _learner_account(session: Session, actor: Principal) -> Account:
    actor.require(Role.LEARNER)
    if actor.account_id is None:
        raise Forbidden("this learner login has no account", "该学习者登录未关联账户")
    return get_account(session, actor.account_id)


def create_share(session: Session, actor: Principal, bank_did: str, *, records: list[str] | None,
                 transcript: bool, audience: str | None, expires_in_days: int | None) -> tuple[Share, str]:
    """A new share of the learner's own records (or transcript); returns (share, token shown once)."""
    begin_write(session)
    account = _learner_account(session, actor)
    days = DEFAULT_DAYS if expires_in_days is None else expires_in_days
    if not 1 <= days <= MAX_DAYS:
        raise _bad("expires_in_days", f"between 1 and {MAX_DAYS}", f"须在 1 至 {MAX_DAYS} 之间")
    if bool(records) == bool(transcript):
        raise _bad("records", "give either a non-empty `records` list or `transcript: true`",
                   "请提供非空的 records 列表或 transcript: true（二选一）")
    ids: list[str] = []
    if records:
        owned = merged_ids(session, account.id)
        for i, ref in enumerate(records):
            try:
                rid = uuid.UUID(str(ref).removeprefix("urn:uuid:"))
            except ValueError:
                raise _bad(f"records.{i}", "not a record id", "不是记录编号") from None
            row = session.get(LearningRecord, rid)
            if row is None or row.account_id not in owned:
                raise _bad(f"records.{i}", "no such record of yours", "没有属于您的该记录")
            if f"urn:uuid:{rid}" not in ids:
                ids.append(f"urn:uuid:{rid}")
    audience_id = None
    if audience is not None:
        try:
            audience_id = uuid.UUID(str(audience).removeprefix("urn:uuid:"))
        except ValueError:
            raise _bad("audience", "not an API client id", "不是 API 客户端编号") from None
        client = session.get(ApiClient, audience_id)
        if client is None or Role.VERIFIER.value not in (client.roles or []):
            raise _bad("audience", "no verifier client has this id", "没有该编号的核验方客户端")
    now = utcnow()
    token = secrets.token_urlsafe(32)
    share = Share(id=uuid.uuid4(), account_id=account.id, token_hash=token_hash(token), records=ids,
                  transcript=bool(transcript), audience=audience_id, created_at=now,
                  expires_at=now + dt.timedelta(days=days), withdrawn_at=None, entry_index=-1)
    entry = record_action(session, kind="share", subject_ref=account.ref, issuer=bank_did, actor=actor.actor_ref,
                          object_ref=share.ref, document={
                              "type": "Share", "share": share.ref, "records": ids, "transcript": bool(transcript),
                              "audience": f"urn:uuid:{audience_id}" if audience_id else None,
                              "expires_at": timestamp(share.expires_at), "time": timestamp(now)})
    share.entry_index = entry.index
    session.add(share)
    session.flush()
    return share, token


def my_shares(session: Session, actor: Principal) -> list[tuple[Share, list[ShareView]]]:
    """The learner's shares, newest first, each with its views."""
    account = _learner_account(session, actor)
    shares = list(session.scalars(sa.select(Share).where(Share.account_id == account.id)
                                  .order_by(Share.created_at.desc())))
    views: dict[uuid.UUID, list[ShareView]] = {s.id: [] for s in shares}
    if shares:
        for v in session.scalars(sa.select(ShareView).where(ShareView.share_id.in_(list(views)))
                                 .order_by(ShareView.viewed_at)):
            views[v.share_id].append(v)
    return [(s, views[s.id]) for s in shares]


def withdraw_share(session: Session, actor: Principal, bank_did: str, share_id: uuid.UUID) -> Share:
    """Withdraw one of the learner's shares (an entry); withdrawing twice is harmless."""
    begin_write(session)
    account = _learner_account(session, actor)
    share = session.get(Share, share_id)
    if share is None or share.account_id != account.id:
        raise NotFound("no such share", "没有该分享")
    if share.withdrawn_at is None:
        share.withdrawn_at = utcnow()
        record_action(session, kind="share", subject_ref=account.ref, issuer=bank_did, actor=actor.actor_ref,
                      object_ref=share.ref, document={"type": "ShareWithdrawal", "share": share.ref,
                                                      "time": timestamp(share.withdrawn_at)})
    session.flush()
    return share


def open_share(session: Session, token: str, viewer: Principal | None, via: str) -> tuple[Share, list[LearningRecord]]:
    """The share a token names and its records (current ones; revoked stay visible with their status); a view."""
    share = session.scalar(sa.select(Share).where(Share.token_hash == token_hash(token)))
    if share is None:
        raise NotFound("no such share", "没有该分享")
    if share.withdrawn_at is not None or share.expires_at <= utcnow():
        raise Gone("this share was withdrawn or has expired", "该分享已撤回或已过期", code="gone")
    if share.audience is not None and (viewer is None or viewer.kind != "client" or viewer.id != share.audience):
        raise Forbidden("this share is for a named verifier only", "该分享仅限指定的核验方查看")
    if share.transcript:
        owned = merged_ids(session, share.account_id)
        records = list(session.scalars(sa.select(LearningRecord).where(
            LearningRecord.account_id.in_(owned), LearningRecord.status.in_(
                [RecordStatus.ACTIVE.value, RecordStatus.SUSPENDED.value])).order_by(LearningRecord.entry_index)))
    else:
        ids = [uuid.UUID(r.removeprefix("urn:uuid:")) for r in share.records]
        found = {r.id: r for r in session.scalars(sa.select(LearningRecord).where(LearningRecord.id.in_(ids)))}
        records = [found[i] for i in ids if i in found]
    session.add(ShareView(share_id=share.id, viewer=viewer.actor_ref if viewer else "anonymous", via=via))
    session.flush()
    return share, records


def view_row(view: ShareView) -> dict[str, Any]:
    """A view as the learner sees it."""
    return {"viewed_at": timestamp(view.viewed_at), "viewer": view.viewer, "via": view.via}
