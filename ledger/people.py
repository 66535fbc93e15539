"""People who log in to the web pages: passwords (Argon2id), server-side sessions, lock-out, resets."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import uuid
from dataclasses import dataclass

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from ledger.db import Base, utcnow
from ledger.errors import Conflict, FieldProblem, Forbidden, Invalid, Locked, NotFound, Unauthenticated
from ledger.principal import Principal
from ledger.roles import Role, parse_roles

MAX_FAILURES = 5
LOCK_FOR = dt.timedelta(minutes=15)
SESSION_IDLE = dt.timedelta(hours=2)
SESSION_MAX = dt.timedelta(hours=12)
RESET_CODE_TTL = dt.timedelta(days=7)
MIN_PASSWORD = 10


def password_hasher(profile: str = "default") -> PasswordHasher:
    """Argon2id with OWASP-level parameters; the `fast` profile is for tests only."""
    if profile == "fast":
        return PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    return PasswordHasher(time_cost=3, memory_cost=65536, parallelism=1)


class User(Base):
    """A person with a login: learner, institution staff, union reviewer, employer or operator."""

    __tablename__ = "users"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    username: Mapped[str] = mapped_column(sa.String(120), unique=True)
    display_name: Mapped[str] = mapped_column(sa.String(200))
    password_hash: Mapped[str | None] = mapped_column(sa.String(200))
    roles: Mapped[list[str]]
    institution_id: Mapped[uuid.UUID | None]
    account_id: Mapped[uuid.UUID | None]
    organisation: Mapped[str | None] = mapped_column(sa.String(200))
    failed_logins: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[dt.datetime | None]
    must_change_password: Mapped[bool] = mapped_column(default=False)
    reset_code_sha256: Mapped[str | None] = mapped_column(sa.String(64))
    reset_code_expires_at: Mapped[dt.datetime | None]
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    password_changed_at: Mapped[dt.datetime | None]
    disabled_at: Mapped[dt.datetime | None]

    sessions: Mapped[list[WebSession]] = relationship(back_populates="user", cascade="all, delete-orphan")

    def principal(self) -> Principal:
        """This person as a caller of the services."""
        return Principal(
            kind="user",
            id=self.id,
            name=self.display_name,
            roles=tuple(parse_roles(self.roles)),
            institution_id=self.institution_id,
            account_id=self.account_id,
            organisation=self.organisation,
        )


class WebSession(Base):
    """A server-side login session; the cookie holds a random token, the table only its hash."""

    __tablename__ = "web_sessions"

    token_sha256: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    user_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("users.id"), index=True)
    csrf_token: Mapped[str] = mapped_column(sa.String(64))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[dt.datetime]

    user: Mapped[User] = relationship(back_populates="sessions")


@dataclass(frozen=True)
class LoginResult:
    """A new session: the cookie token (shown once) and the CSRF token for forms."""

    token: str
    csrf_token: str
    user: User


def _sha(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def _check_password_rules(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise Invalid(
            "password too short",
            "密码太短",
            [FieldProblem("password", f"at least {MIN_PASSWORD} characters", f"至少 {MIN_PASSWORD} 个字符")],
        )


def create_user(
    session: Session,
    actor: Principal,
    hasher: PasswordHasher,
    *,
    username: str,
    display_name: str,
    roles: list[str],
    password: str | None = None,
    institution_id: uuid.UUID | None = None,
    account_id: uuid.UUID | None = None,
    organisation: str | None = None,
) -> User:
    """Create a login (operators; institutions may create logins for their own staff and learners)."""
    parsed = parse_roles(roles)
    if not actor.has(Role.OPERATOR):
        actor.require(Role.INSTITUTION)
        if Role.OPERATOR in parsed or Role.UNION in parsed or (
            Role.INSTITUTION in parsed and institution_id != actor.institution_id
        ):
            raise Forbidden("an institution may create logins only for its own staff and learners",
                            "院校只能为本单位员工和学员创建登录账号")
    username = username.strip().lower()
    if session.scalar(sa.select(User.id).where(User.username == username)) is not None:
        raise Conflict("username already taken", "用户名已被占用",
                       [FieldProblem("username", "already taken", "已被占用")])
    user = User(
        username=username,
        display_name=display_name,
        roles=[r.value for r in parsed],
        institution_id=institution_id,
        account_id=account_id,
        organisation=organisation,
    )
    if password is not None:
        _check_password_rules(password)
        user.password_hash = hasher.hash(password)
        user.password_changed_at = utcnow()
    session.add(user)
    session.flush()
    return user


def find_user(session: Session, username: str) -> User:
    """A login by username, or NotFound."""
    user = session.scalar(sa.select(User).where(User.username == username.strip().lower()))
    if user is None:
        raise NotFound("no such user", "没有该用户")
    return user


def login(session: Session, hasher: PasswordHasher, username: str, password: str) -> LoginResult:
    """Check a password, count failures, lock after MAX_FAILURES, and open a session on success."""
    user = session.scalar(sa.select(User).where(User.username == username.strip().lower()))
    now = utcnow()
    bad = Unauthenticated("wrong username or password", "用户名或密码错误")
    if user is None or user.disabled_at is not None:
        # Hash anyway so that an unknown username costs the same time as a wrong password.
        try:
            hasher.verify(hasher.hash("x" * MIN_PASSWORD), password + "!")
        except VerificationError:
            pass
        raise bad
    if user.locked_until is not None and user.locked_until > now:
        raise Locked(
            "too many failed logins; try again later or ask for a password reset",
            "登录失败次数过多，请稍后再试或申请重置密码",
        )
    try:
        if user.password_hash is None:
            raise VerificationError("no password set")
        hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        user.failed_logins += 1
        if user.failed_logins >= MAX_FAILURES:
            user.locked_until = now + LOCK_FOR
            user.failed_logins = 0
        raise bad from None
    user.failed_logins = 0
    user.locked_until = None
    if hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hasher.hash(password)
    return _open_session(session, user, now)


def _open_session(session: Session, user: User, now: dt.datetime) -> LoginResult:
    token = secrets.token_urlsafe(32)
    csrf = secrets.token_urlsafe(32)
    session.add(WebSession(token_sha256=_sha(token), user=user, csrf_token=csrf,
                           created_at=now, last_seen_at=now, expires_at=now + SESSION_MAX))
    session.flush()
    return LoginResult(token=token, csrf_token=csrf, user=user)


def resume_session(session: Session, token: str) -> WebSession:
    """The live session for a cookie token (sliding idle timeout), or Unauthenticated."""
    ws = session.get(WebSession, _sha(token))
    now = utcnow()
    if ws is None or ws.expires_at <= now or now - ws.last_seen_at > SESSION_IDLE or ws.user.disabled_at:
        raise Unauthenticated("session expired; please log in again", "会话已过期，请重新登录")
    if now - ws.last_seen_at > dt.timedelta(minutes=1):
        ws.last_seen_at = now
    return ws


def logout(session: Session, token: str) -> None:
    """End a session (idempotent)."""
    ws = session.get(WebSession, _sha(token))
    if ws is not None:
        session.delete(ws)
        session.flush()


def issue_reset_code(session: Session, actor: Principal, username: str) -> str:
    """A one-time code with which the person sets a new password (operators, or the person's institution)."""
    user = find_user(session, username)
    if not actor.has(Role.OPERATOR):
        actor.require(Role.INSTITUTION)
        if actor.institution_id is None or user.institution_id != actor.institution_id or Role.OPERATOR.value in user.roles:
            raise Forbidden("an institution may reset only its own staff and learners",
                            "院校只能为本单位员工和学员重置密码")
    code = "-".join(secrets.token_hex(3).upper() for _ in range(3))
    user.reset_code_sha256 = _sha(code)
    user.reset_code_expires_at = utcnow() + RESET_CODE_TTL
    user.locked_until = None
    user.failed_logins = 0
    session.flush()
    return code


def reset_password(session: Session, hasher: PasswordHasher, username: str, code: str, new_password: str) -> User:
    """Set a new password with a one-time code; the code dies, and every open session ends."""
    user = session.scalar(sa.select(User).where(User.username == username.strip().lower()))
    now = utcnow()
    if (
        user is None
        or user.reset_code_sha256 is None
        or user.reset_code_expires_at is None
        or user.reset_code_expires_at <= now
        or not secrets.compare_digest(user.reset_code_sha256, _sha(code.strip().upper()))
    ):
        raise Unauthenticated("invalid or expired reset code", "重置码无效或已过期")
    _check_password_rules(new_password)
    user.password_hash = hasher.hash(new_password)
    user.password_changed_at = now
    user.reset_code_sha256 = None
    user.reset_code_expires_at = None
    user.must_change_password = False
    user.sessions.clear()
    session.flush()
    return user


def change_password(session: Session, hasher: PasswordHasher, user: User, old: str, new: str) -> None:
    """Change one's own password, given the current one."""
    try:
        if user.password_hash is None:
            raise VerificationError("no password")
        hasher.verify(user.password_hash, old)
    except (VerificationError, InvalidHashError):
        raise Unauthenticated("current password is wrong", "当前密码错误") from None
    _check_password_rules(new)
    user.password_hash = hasher.hash(new)
    user.password_changed_at = utcnow()
    user.must_change_password = False
    session.flush()
