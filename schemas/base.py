"""Base schema and field types shared by every resource schema."""

from __future__ import annotations

import datetime as dt
import decimal
import re
import uuid
from typing import Any

from marshmallow import RAISE, Schema, ValidationError, fields


class BaseSchema(Schema):
    """Unknown fields are errors: a typo in a client must not be silently ignored."""

    class Meta:
        unknown = RAISE
        ordered = True


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_LONE_SURROGATE = re.compile(r"[\ud800-\udfff]")


class Text(fields.String):
    """A string without control characters (PostgreSQL refuses NUL) or lone surrogates; tabs and newlines pass."""

    PATTERN = r"^[^\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]*$"

    def __init__(self, **kwargs: Any) -> None:
        metadata = {"pattern": self.PATTERN}
        metadata.update(kwargs.pop("metadata", {}))
        super().__init__(metadata=metadata, **kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        text = super()._deserialize(value, attr, data, **kwargs)
        if _CONTROL.search(text):
            raise ValidationError("Control characters are not allowed.")
        if _LONE_SURROGATE.search(text):
            raise ValidationError("Not valid Unicode text (lone surrogate).")
        return text


class UrnUuid(fields.Field):
    """A UUID on the wire as `urn:uuid:…`; a bare UUID is accepted on input too."""

    default_error_messages = {"invalid": "Not a valid urn:uuid identifier."}
    PATTERN = r"^(urn:uuid:)?[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"

    def __init__(self, **kwargs: Any) -> None:
        metadata = {"type": "string", "pattern": self.PATTERN, "example": "urn:uuid:0e6b7c1a-2f44-4d8e-b1a9-7c3e5f2d4a60"}
        metadata.update(kwargs.pop("metadata", {}))
        super().__init__(metadata=metadata, **kwargs)

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> str | None:
        if value is None:
            return None
        return f"urn:uuid:{value}"

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> uuid.UUID:
        if not isinstance(value, str):
            raise self.make_error("invalid")
        text = value[9:] if value.lower().startswith("urn:uuid:") else value
        try:
            return uuid.UUID(text)
        except ValueError as e:
            raise self.make_error("invalid") from e


class DecimalString(fields.Decimal):
    """Credits and money as decimal strings (`"3.5"`), never JSON floats."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("as_string", True)
        kwargs.setdefault("places", None)
        super().__init__(**kwargs)

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> str | None:
        if value is None:
            return None
        d = decimal.Decimal(value).normalize()
        # normalize() turns 10 into 1E+1; print plain digits.
        return format(d, "f")

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> decimal.Decimal:
        if isinstance(value, float):
            raise ValidationError("Send credits and money as a decimal string, e.g. \"3.5\".")
        return super()._deserialize(value, attr, data, **kwargs)


class UTCDateTimeField(fields.AwareDateTime):
    """RFC 3339 date-time, always dumped in UTC with a `Z`."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("default_timezone", dt.UTC)
        super().__init__(**kwargs)

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> str | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime reached the API edge")
        return value.astimezone(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


class ProblemFieldSchema(Schema):
    """One field-level problem."""

    location = fields.String()
    field = fields.String()
    message = fields.String()
    message_zh = fields.String()


class ProblemSchema(Schema):
    """RFC 9457 problem details, with Chinese texts beside the English ones."""

    type = fields.String()
    title = fields.String()
    title_zh = fields.String()
    status = fields.Integer()
    detail = fields.String()
    detail_zh = fields.String()
    instance = fields.String()
    errors = fields.List(fields.Nested(ProblemFieldSchema))


class CursorQuery(BaseSchema):
    """Cursor pagination parameters."""

    limit = fields.Integer(load_default=50, validate=lambda n: 1 <= n <= 500)
    cursor = fields.String(load_default=None)
