"""Institutions, their authorisations and keys on the wire."""

from __future__ import annotations

from typing import Any

from marshmallow import fields, validate

from ledger.conversion.model import IssuerKind, OutcomeKind
from ledger.institutions import INSTITUTION_CLIENT_ROLES, Institution
from ledger.regions import REGION_CODE
from schemas.base import BaseSchema, Text, UrnUuid, UTCDateTimeField

MULTIKEY = r"^z6Mk[1-9A-HJ-NP-Za-km-z]{44}$"
DID_KEY = r"^did:key:z6Mk[1-9A-HJ-NP-Za-km-z]{44}$"
URL = r"^https?://[^\s\u0000-\u001f\u007f-\u009f\ud800-\udfff]+$"

_ISSUER_KIND = [k.value for k in IssuerKind]
_OUTCOME_KIND = [k.value for k in OutcomeKind]


def _pattern(regex: str, **kwargs: Any) -> Text:
    """Text that must match `regex`, documented with the same pattern."""
    metadata = {"pattern": regex, **kwargs.pop("metadata", {})}
    return Text(validate=validate.Regexp(regex), metadata=metadata, **kwargs)


class InstitutionIn(BaseSchema):
    """A new institution; without a public key the bank makes a custodial one."""

    kind = Text(required=True, validate=validate.OneOf(_ISSUER_KIND))
    name = Text(required=True, validate=validate.Length(min=1, max=200),
                metadata={"description": "name in Chinese, e.g. 重庆电力高等专科学校"})
    region_code = _pattern(REGION_CODE, required=True, metadata={"description": "GB/T 2260 code, e.g. 500000"})
    # checked by the ledger (ledger.institutions.register_institution: `…/invalid`, zh/en), documented here
    url = fields.String(load_default=None, allow_none=True, metadata={"pattern": URL, "maxLength": 500})
    public_key_multibase = _pattern(MULTIKEY, load_default=None, allow_none=True,
                                    metadata={"description": "own Ed25519 key as Multikey"})
    did = _pattern(DID_KEY, load_default=None, allow_none=True, metadata={"description": "own Ed25519 key as did:key"})
    authorised_kinds = fields.List(Text(validate=validate.OneOf(_OUTCOME_KIND)), load_default=None,
                                   allow_none=True, metadata={"description": "default: what the kind issues"})
    authorised_from = UTCDateTimeField(load_default=None, allow_none=True)


class AuthorisationIn(BaseSchema):
    """Permission to issue one kind from `valid_from` (default now) until `valid_until` (default open)."""

    kind = Text(required=True, validate=validate.OneOf(_OUTCOME_KIND))
    valid_from = UTCDateTimeField(load_default=None, allow_none=True)
    valid_until = UTCDateTimeField(load_default=None, allow_none=True)


class AuthorisationOut(BaseSchema):
    """An authorisation with its window; withdrawn ones stay listed."""

    id = UrnUuid()
    kind = fields.String()
    valid_from = UTCDateTimeField()
    valid_until = UTCDateTimeField(allow_none=True)
    withdrawn_at = UTCDateTimeField(allow_none=True)


class InstitutionKeyIn(BaseSchema):
    """An institution's own public key: exactly one of the two forms."""

    public_key_multibase = _pattern(MULTIKEY, load_default=None, allow_none=True)
    did = _pattern(DID_KEY, load_default=None, allow_none=True)


class InstitutionKeyOut(BaseSchema):
    """A key of an institution: its did, the window in which it signs, and who holds the private key."""

    id = UrnUuid()
    did = fields.String()
    verification_method = fields.String()
    custodial = fields.Boolean()
    valid_from = UTCDateTimeField()
    valid_until = UTCDateTimeField(allow_none=True)
    current = fields.Function(lambda k: k.valid_until is None, dump_only=True)


class InstitutionOut(BaseSchema):
    """An institution's public profile: what verifiers need to check its credentials."""

    id = UrnUuid()
    kind = fields.String()
    name = fields.String()
    region_code = fields.String()
    url = fields.String(allow_none=True)
    did = fields.String(allow_none=True, metadata={"description": "did:key of the current key"})
    custodial = fields.Function(lambda i: _custodial(i), dump_only=True)
    created_at = UTCDateTimeField()
    keys = fields.List(fields.Nested(InstitutionKeyOut))
    authorisations = fields.List(fields.Nested(AuthorisationOut))


def _custodial(inst: Institution) -> bool | None:
    key = inst.current_key()
    return key.custodial if key is not None else None


class InstitutionQuery(BaseSchema):
    """Filters of the institution list."""

    kind = Text(load_default=None, validate=validate.OneOf(_ISSUER_KIND))
    region_code = Text(load_default=None, validate=validate.Regexp(r"^[0-9]{2,6}$"),
                       metadata={"pattern": r"^[0-9]{2,6}$", "description": "a code or its prefix"})
    did = Text(load_default=None, validate=validate.Length(max=300),
               metadata={"description": "an institution's did:key, current or past"})


class InstitutionClientIn(BaseSchema):
    """A new API client for the institution itself."""

    name = Text(required=True, validate=validate.Length(min=1, max=200))
    roles = fields.List(Text(validate=validate.OneOf([r.value for r in INSTITUTION_CLIENT_ROLES])),
                        load_default=lambda: ["institution"], validate=validate.Length(min=1))
