"""API clients and keys on the wire."""

from __future__ import annotations

from marshmallow import fields, validate

from ledger.roles import Role
from schemas.base import BaseSchema, Text, UrnUuid, UTCDateTimeField

_ROLE = fields.String(validate=validate.OneOf([r.value for r in Role]))


class ClientIn(BaseSchema):
    """A new machine client."""

    name = Text(required=True, validate=validate.Length(min=1, max=200))
    roles = fields.List(_ROLE, required=True, validate=validate.Length(min=1))
    institution = UrnUuid(load_default=None, allow_none=True)
    account = UrnUuid(load_default=None, allow_none=True)
    organisation = Text(load_default=None, allow_none=True, validate=validate.Length(max=200))


class KeyOut(BaseSchema):
    """A key's public facts; the secret is never shown again after issue."""

    key_id = fields.String()
    created_at = UTCDateTimeField()
    expires_at = UTCDateTimeField(allow_none=True)
    revoked_at = UTCDateTimeField(allow_none=True)
    last_used_at = UTCDateTimeField(allow_none=True)


class ClientOut(BaseSchema):
    """A client with its keys."""

    id = UrnUuid()
    name = fields.String()
    roles = fields.List(fields.String())
    institution = UrnUuid(attribute="institution_id", allow_none=True)
    account = UrnUuid(attribute="account_id", allow_none=True)
    organisation = fields.String(allow_none=True)
    created_at = UTCDateTimeField()
    disabled_at = UTCDateTimeField(allow_none=True)
    keys = fields.List(fields.Nested(KeyOut))


class IssuedKeyOut(BaseSchema):
    """A freshly issued key: `token` is shown once, only here."""

    client = UrnUuid(attribute="client_id")
    key_id = fields.String()
    token = fields.String()


class RotateIn(BaseSchema):
    """Rotation: how long the old keys keep working."""

    grace_seconds = fields.Integer(load_default=0, validate=validate.Range(min=0, max=30 * 86400))


class WhoAmIOut(BaseSchema):
    """The caller as the bank sees it."""

    kind = fields.String()
    id = UrnUuid()
    name = fields.String()
    roles = fields.List(fields.String())
    institution = UrnUuid(attribute="institution_id", allow_none=True)
    account = UrnUuid(attribute="account_id", allow_none=True)
    organisation = fields.String(allow_none=True)
