"""The roles of DESIGN.md §6. One client or person may hold several."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    """What a caller may act as."""

    OPERATOR = "operator"
    INSTITUTION = "institution"
    LEARNER = "learner"
    VERIFIER = "verifier"
    UNION = "union"


def parse_roles(values: list[str] | tuple[str, ...]) -> list[Role]:
    """Validate and de-duplicate role names, keeping a stable order."""
    out: list[Role] = []
    for v in values:
        r = Role(v)
        if r not in out:
            out.append(r)
    return sorted(out, key=list(Role).index)
