"""Learner accounts, their access log and export on the wire.

National IDs, names and phones are checked by the ledger (field problems in English and Chinese); the
patterns below document what passes. A 15-digit first-generation ID is refused with its own message.
"""

from __future__ import annotations

from marshmallow import fields, validate

from ledger.accounts import MAX_NAME, MAX_REASON, MIN_REASON, PHONE
from ledger.card_number import CARD_NUMBER
from ledger.national_id import NATIONAL_ID
from schemas.base import BaseSchema, Text, UrnUuid, UTCDateTimeField

_REASON = {"description": "why you need it: required for anyone but the learner; shown to the learner"}


class AccountIn(BaseSchema):
    """Open an account (or find the existing one for this ID)."""

    national_id = Text(required=True, validate=validate.Length(min=1, max=40),
                       metadata={"pattern": NATIONAL_ID, "description": "18-character ID (GB 11643-1999)"})
    name = Text(required=True, validate=validate.Length(min=1, max=MAX_NAME))
    phone = Text(load_default=None, allow_none=True, validate=validate.Length(max=20),
                 metadata={"pattern": PHONE, "description": "mainland China mobile number"})


class AccountRefOut(BaseSchema):
    """An account without personal data."""

    id = UrnUuid()
    card_number = fields.String(metadata={"pattern": CARD_NUMBER, "description": "16 digits, Luhn check digit"})
    status = fields.String(metadata={"enum": ["active", "merged", "erased"]})
    opened_at = UTCDateTimeField()
    erased_at = UTCDateTimeField(allow_none=True)


class OpenedOut(AccountRefOut):
    """The account opened now (201) or the one that already existed for this ID (200)."""

    created = fields.Boolean()


class OpeningOut(BaseSchema):
    """One opener of the account."""

    institution = UrnUuid(attribute="institution_id", allow_none=True)
    opener = fields.String(metadata={"description": "institution, or the kind of caller (client, user)"})
    organisation = fields.String(allow_none=True)
    opened_at = UTCDateTimeField()


class AccountOut(AccountRefOut):
    """An account as its learner and authorised readers see it."""

    national_id_masked = fields.String(allow_none=True)
    name = fields.String(allow_none=True)
    phone = fields.String(allow_none=True)
    merged_from = fields.List(UrnUuid())
    openings = fields.List(fields.Nested(OpeningOut))


class ReadQuery(BaseSchema):
    """Why a non-owner reads."""

    reason = Text(load_default=None, validate=validate.Length(min=MIN_REASON, max=MAX_REASON), metadata=_REASON)


class CorrectionIn(BaseSchema):
    """New name and/or phone (null phone removes it)."""

    name = Text(validate=validate.Length(min=1, max=MAX_NAME))
    phone = Text(allow_none=True, validate=validate.Length(max=20), metadata={"pattern": PHONE})
    reason = Text(load_default=None, validate=validate.Length(min=MIN_REASON, max=MAX_REASON), metadata=_REASON)


class MergeIn(BaseSchema):
    """The duplicate to merge into the account named in the path."""

    from_ = UrnUuid(required=True, data_key="from")
    reason = Text(load_default=None, validate=validate.Length(min=MIN_REASON, max=MAX_REASON))


class EraseIn(BaseSchema):
    """The erasure request."""

    reason = Text(required=True, validate=validate.Length(min=MIN_REASON, max=MAX_REASON),
                  metadata={"description": "the learner's request reference (no personal data)"})


class AccessOut(BaseSchema):
    """One read or change of the account by someone else."""

    at = fields.String()
    actor = fields.String()
    actor_name = fields.String()
    role = fields.String()
    institution = fields.String(allow_none=True)
    institution_name = fields.String(allow_none=True)
    action = fields.String()
    reason = fields.String()


class AccessLogQuery(BaseSchema):
    """Paging through the access log, newest first."""

    limit = fields.Integer(load_default=100, validate=validate.Range(min=1, max=500))
    cursor = Text(load_default=None, validate=validate.Length(max=200))


class AccessLogOut(BaseSchema):
    """A page of the access log; `next_cursor` is null on the last page."""

    items = fields.List(fields.Nested(AccessOut))
    next_cursor = fields.String(allow_none=True)


class PersonOut(BaseSchema):
    """Personal data of one account, decrypted, for the export."""

    id = fields.String()
    card_number = fields.String()
    status = fields.String()
    opened_at = fields.String()
    national_id = fields.String(allow_none=True)
    name = fields.String(allow_none=True)
    phone = fields.String(allow_none=True)
    merged_at = fields.String(allow_none=True)
    erased_at = fields.String(allow_none=True)


class ExportOut(BaseSchema):
    """Everything the bank holds on a learner; other modules add `sections` (e.g. records)."""

    format = fields.String()
    exported_at = fields.String()
    account = fields.Nested(PersonOut)
    merged_accounts = fields.List(fields.Nested(PersonOut))
    openings = fields.List(fields.Dict())
    access_log = fields.List(fields.Nested(AccessOut))
    log_entries = fields.List(fields.Dict())
    logins = fields.List(fields.Dict())
    api_clients = fields.List(fields.Dict())
    sections = fields.Dict()
