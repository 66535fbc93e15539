"""The transparency log on the wire (DESIGN.md §3)."""

from __future__ import annotations

from marshmallow import fields, validate

from schemas.base import BaseSchema, UTCDateTimeField

_SIZE = fields.Integer(validate=validate.Range(min=1, max=2**62))


class InclusionQuery(BaseSchema):
    """Which entry, in which tree; `wait` seconds for a checkpoint to cover it."""

    index = fields.Integer(required=True, validate=validate.Range(min=0, max=2**62))
    tree_size = fields.Integer(load_default=None, validate=validate.Range(min=1, max=2**62))
    wait = fields.Float(load_default=0, validate=validate.Range(min=0, max=10))


class ConsistencyQuery(BaseSchema):
    """From which size to which (new_size defaults to the latest checkpoint)."""

    old_size = fields.Integer(required=True, validate=validate.Range(min=1, max=2**62))
    new_size = fields.Integer(load_default=None, validate=validate.Range(min=1, max=2**62))


class RangeQuery(BaseSchema):
    """A range of entries for auditors: start ≤ index < end, at most 1,000."""

    start = fields.Integer(required=True, validate=validate.Range(min=0, max=2**62))
    end = fields.Integer(required=True, validate=validate.Range(min=1, max=2**62))


class InclusionOut(BaseSchema):
    """An RFC 6962 inclusion proof (standard base64)."""

    leaf_index = fields.Integer()
    tree_size = fields.Integer()
    leaf_hash_b64 = fields.String()
    leaf_data_b64 = fields.String()
    audit_path = fields.List(fields.String())


class ConsistencyOut(BaseSchema):
    """An RFC 6962 consistency proof (standard base64)."""

    old_size = fields.Integer()
    old_root_b64 = fields.String()
    new_size = fields.Integer()
    consistency_path = fields.List(fields.String())


class EntryOut(BaseSchema):
    """One entry: its exact leaf bytes and the public envelope fields (never who it is about)."""

    index = fields.Integer()
    leaf_b64 = fields.String()
    leaf_hash_b64 = fields.String()
    kind = fields.String()
    time = fields.String()
    issuer = fields.String()
    subject = fields.String()
    digest = fields.String()
    document = fields.Dict(allow_none=True, metadata={"description": "the bank document the digest covers, "
                                                                      "for entries of bank actions"})


class EntriesOut(BaseSchema):
    """A range of entries."""

    entries = fields.List(fields.Nested(EntryOut))


class CheckpointOut(BaseSchema):
    """An archived checkpoint."""

    size = fields.Integer()
    signed_at = UTCDateTimeField()
    note = fields.String()


class CheckpointsQuery(BaseSchema):
    """Archived checkpoints, newest first."""

    limit = fields.Integer(load_default=100, validate=validate.Range(min=1, max=1000))
    before_size = fields.Integer(load_default=None, validate=validate.Range(min=1, max=2**62))
