"""Who is acting: the identity every service takes, so object-level checks live in the services."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from ledger.errors import Forbidden
from ledger.roles import Role


@dataclass(frozen=True)
class Principal:
    """An authenticated caller: an API client or a logged-in person, with roles and what they are bound to."""

    kind: str  # "client" | "user" | "system"
    id: uuid.UUID
    name: str
    roles: tuple[Role, ...]
    institution_id: uuid.UUID | None = None
    account_id: uuid.UUID | None = None
    organisation: str | None = None
    scopes: frozenset[str] = field(default_factory=frozenset)

    def has(self, *roles: Role) -> bool:
        """True if the caller holds any of `roles`."""
        return any(r in self.roles for r in roles)

    def require(self, *roles: Role) -> None:
        """Raise Forbidden unless the caller holds one of `roles`."""
        if not self.has(*roles):
            wanted = ", ".join(r.value for r in roles)
            raise Forbidden(
                f"this action needs one of these roles: {wanted}",
                f"此操作需要以下角色之一：{wanted}",
            )

    @property
    def actor_ref(self) -> str:
        """A stable reference recorded beside entries and access logs (`client:<uuid>`, `user:<uuid>`)."""
        return f"{self.kind}:{self.id}"


SYSTEM = Principal(
    kind="system",
    id=uuid.UUID(int=0),
    name="system",
    roles=(Role.OPERATOR,),
)
