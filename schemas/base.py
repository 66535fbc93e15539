"""Base schema and field types shared by every resource schema."""

from __future__ import annotations

import datetime as dt
import decimal
import uuid
from typing import Any

from marshmallow import RAISE, Schema, ValidationError, fields


class BaseSchema(Schema):
    """Unknown fields are errors: a typo in a client must not be silently ignored."""

    class Meta:
        unknown = RAISE
        ordered = True


class UrnUuid(fields.Field):
    """A UUID on the wire as `urn:uuid:…`; a bare UUID is accepted on input too."""

    default_error_messages = {"invalid": "Not a valid urn:uuid identifier."}

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
