"""Domain errors of the ledger: one base, each with a stable code and a message in Chinese and English.

HTTP status codes do not live here; `api/problems.py` maps these classes to RFC 9457 responses.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class FieldProblem:
    """One field that is wrong, named by its dotted path, with a message for people in both languages."""

    field: str
    message_en: str
    message_zh: str


@dataclass
class LedgerError(Exception):
    """Base of every error the ledger raises on purpose."""

    message_en: str
    message_zh: str = ""
    fields: list[FieldProblem] = field(default_factory=list)
    code: str = "ledger-error"

    def __post_init__(self) -> None:
        super().__init__(self.message_en)
        if not self.message_zh:
            self.message_zh = self.message_en

    def __str__(self) -> str:
        return self.message_en


@dataclass
class NotFound(LedgerError):
    """The object does not exist, or the caller may not know that it exists."""

    code: str = "not-found"


@dataclass
class Forbidden(LedgerError):
    """The caller is known but may not do this to this object."""

    code: str = "forbidden"


@dataclass
class Unauthenticated(LedgerError):
    """No valid credentials were presented."""

    code: str = "unauthenticated"


@dataclass
class Invalid(LedgerError):
    """The request is well-formed but breaks a domain rule (field problems say which)."""

    code: str = "invalid"


@dataclass
class Conflict(LedgerError):
    """The request clashes with the current state (duplicate, replay with another body, already done)."""

    code: str = "conflict"


@dataclass
class Locked(LedgerError):
    """The login is locked after repeated failures; it opens again later or through a reset."""

    code: str = "locked"
