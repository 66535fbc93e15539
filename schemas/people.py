"""Logins of people on the wire."""

from __future__ import annotations

from marshmallow import fields, validate

from ledger.people import MIN_PASSWORD
from ledger.roles import Role
from schemas.base import BaseSchema, Text, UrnUuid, UTCDateTimeField

USERNAME = r"^[A-Za-z0-9._@-]{3,120}$"


class LoginIn(BaseSchema):
    """Username and password."""

    username = Text(required=True, validate=validate.Length(min=1, max=120))
    password = Text(required=True, load_only=True, validate=validate.Length(min=1, max=1000))


class UserOut(BaseSchema):
    """A person with a login (no secrets)."""

    id = UrnUuid()
    username = fields.String()
    display_name = fields.String()
    roles = fields.List(fields.String())
    institution = UrnUuid(attribute="institution_id", allow_none=True)
    account = UrnUuid(attribute="account_id", allow_none=True)
    organisation = fields.String(allow_none=True)
    must_change_password = fields.Boolean()
    locked_until = UTCDateTimeField(allow_none=True)
    created_at = UTCDateTimeField()


class SessionOut(BaseSchema):
    """A login session: the user and the CSRF token to send with state-changing requests."""

    user = fields.Nested(UserOut)
    csrf_token = fields.String()


class UserIn(BaseSchema):
    """A new login."""

    username = Text(required=True, validate=validate.Regexp(USERNAME), metadata={"pattern": USERNAME})
    display_name = Text(required=True, validate=validate.Length(min=1, max=200))
    roles = fields.List(Text(validate=validate.OneOf([r.value for r in Role])), required=True,
                        validate=validate.Length(min=1))
    password = Text(load_default=None, allow_none=True, load_only=True,
                             validate=validate.Length(min=MIN_PASSWORD, max=1000))
    institution = UrnUuid(load_default=None, allow_none=True)
    account = UrnUuid(load_default=None, allow_none=True)
    organisation = Text(load_default=None, allow_none=True, validate=validate.Length(max=200))


class ResetCodeOut(BaseSchema):
    """A one-time reset code, to hand to the person (shown once)."""

    username = fields.String()
    reset_code = fields.String()
    expires_at = UTCDateTimeField()


class PasswordResetIn(BaseSchema):
    """Set a new password with a reset code."""

    username = Text(required=True, validate=validate.Length(min=1, max=120))
    code = Text(required=True, validate=validate.Length(min=1, max=40))
    new_password = Text(required=True, load_only=True, validate=validate.Length(min=MIN_PASSWORD, max=1000))


class PasswordChangeIn(BaseSchema):
    """Change one's own password."""

    old_password = Text(required=True, load_only=True, validate=validate.Length(min=1, max=1000))
    new_password = Text(required=True, load_only=True, validate=validate.Length(min=MIN_PASSWORD, max=1000))
