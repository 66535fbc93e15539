"""Ids in URL paths: `urn:uuid:…` (or a bare UUID); anything else names no object, so 404."""

from __future__ import annotations

import uuid

from ledger.errors import NotFound


def path_uuid(value: str) -> uuid.UUID:
    """Parse a path id or raise NotFound."""
    text = value[9:] if value.lower().startswith("urn:uuid:") else value
    try:
        return uuid.UUID(text)
    except ValueError:
        raise NotFound(f"no object with id {value!r}", f"没有 id 为 {value!r} 的对象") from None
