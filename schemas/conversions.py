"""Programmes, rule sets and agreements on the wire (credits as decimal strings, as in the data files)."""

from __future__ import annotations

from marshmallow import fields, validate

from schemas.base import BaseSchema, Text

URN_UUID = r"^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"
HASH = r"^sha256:[0-9a-f]{64}$"
DECIMAL = r"^[0-9]+(\.[0-9]+)?$"
ID = r"^(urn:uuid:)?[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
DATE = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"


class _Catalogued(BaseSchema):
    id = Text(required=True, metadata={"pattern": URN_UUID})
    content_hash = Text(required=True, metadata={"pattern": HASH, "description": "sha256 of the data file"})


class ProgrammeOut(_Catalogued):
    """A degree programme (专业培养方案)."""

    code = Text(required=True, metadata={"description": "national major code, e.g. 430103"})
    name = Text(required=True)
    level = Text(required=True, metadata={"description": "zhuanke / benke / vocational benke"})
    entry_type = Text(required=True, metadata={"description": "gqz 高起专 / zsb 专升本 / gqb 高起本"})
    total_credits = Text(required=True, metadata={"pattern": DECIMAL})
    institution = fields.Dict(required=True)
    catalogue_year = fields.Integer(required=True)
    occupations = fields.List(Text(), required=True)
    subjects = fields.List(Text(), required=True)
    notes = Text(allow_none=True)
    courses = fields.List(fields.Dict(), required=True)
    pools = fields.List(fields.Dict(), required=True)


class RuleSetOut(_Catalogued):
    """A published rule set version: the rule set data with its id, version and content hash."""

    version = fields.Integer(required=True)
    style = Text(required=True)
    name = fields.Dict(required=True, metadata={"description": "zh and en"})
    effective_from = Text(required=True, metadata={"pattern": DATE, "format": "date"})
    effective_to = Text(allow_none=True, required=True, metadata={"pattern": DATE, "format": "date"})
    scope = fields.Dict(required=True)
    practice_kinds = fields.List(Text())
    ladders = fields.Dict()
    caps = fields.Dict()
    rules = fields.List(fields.Dict(), required=True)
    sources = fields.List(fields.Dict())


class RuleSetSummaryOut(_Catalogued):
    """A rule set version without its rules."""

    version = fields.Integer(required=True)
    style = Text(required=True)
    name = fields.Dict(required=True)
    effective_from = Text(required=True, metadata={"pattern": DATE, "format": "date"})
    effective_to = Text(allow_none=True, required=True, metadata={"pattern": DATE, "format": "date"})
    scope = fields.Dict(required=True)


class AgreementOut(_Catalogued):
    """A mutual-recognition agreement (学分互认) from one college to another."""

    version = fields.Integer(required=True)
    from_institution = fields.Dict(required=True)
    to_institution = fields.Dict(required=True)
    effective_from = Text(required=True, metadata={"pattern": DATE, "format": "date"})
    effective_to = Text(allow_none=True, required=True, metadata={"pattern": DATE, "format": "date"})
    min_score = Text(allow_none=True)
    validity_years = fields.Integer(allow_none=True)
    programme_codes = fields.List(Text())
    notes = Text(allow_none=True)
    mappings = fields.List(fields.Dict())
    pool_transfer = fields.Dict(allow_none=True)


class PreviewIn(BaseSchema):
    """What-if: a programme, optionally a rule set version and a date."""

    programme = Text(required=True, validate=validate.Regexp(ID), metadata={"pattern": ID})
    ruleset = Text(load_default=None, allow_none=True, validate=validate.Regexp(ID), metadata={"pattern": ID})
    as_of = fields.Date(load_default=None, allow_none=True)
    reason = Text(load_default=None, allow_none=True, metadata={"description": "why a non-owner reads (logged)"})


class PlanOut(BaseSchema):
    """The best plan: every outcome line with status, rule, credits and zh/en explanation; totals; remaining."""

    programme = Text(required=True)
    ruleset = fields.Dict(required=True)
    as_of = Text(required=True, metadata={"pattern": DATE, "format": "date"})
    lines = fields.List(fields.Dict(), required=True)
    totals = fields.Dict(required=True)
    remaining = fields.Dict(required=True)
    binding = fields.List(Text())
    agreements = fields.List(Text())


class RankQuery(BaseSchema):
    """Ranking date and, for non-owners, the reason."""

    as_of = fields.Date(load_default=None, allow_none=True)
    reason = Text(load_default=None, allow_none=True, metadata={"description": "why a non-owner reads (logged)"})


class RankingOut(BaseSchema):
    """One programme and the credits the account would bring to it."""

    programme = Text(required=True)
    code = Text(required=True)
    name = Text(required=True)
    ruleset = Text(required=True)
    credits = Text(required=True, metadata={"pattern": DECIMAL})
    share = Text(required=True, metadata={"pattern": DECIMAL})


class ApplyIn(BaseSchema):
    """Apply the current best plan to an enrolment (a college or an operator)."""

    programme = Text(required=True, validate=validate.Regexp(ID), metadata={"pattern": ID})
    ruleset = Text(load_default=None, allow_none=True, validate=validate.Regexp(ID), metadata={"pattern": ID})
    enrolment_ref = Text(required=True, validate=validate.Length(min=1, max=200),
                         metadata={"description": "the college's enrolment number; unique per account and programme"})
    reason = Text(load_default=None, allow_none=True, metadata={"description": "why a non-owner reads (logged)"})


class ConversionOut(BaseSchema):
    """An applied conversion: the stored plan, the rule set version it used, its status and log entry."""

    id = Text(required=True)
    account = Text(required=True)
    programme = Text(required=True)
    ruleset = fields.Dict(required=True)
    enrolment_ref = Text(required=True)
    status = Text(required=True, metadata={"enum": ["active", "flagged", "superseded"]})
    total = Text(required=True, metadata={"pattern": DECIMAL})
    outcomes = fields.List(Text(), required=True)
    plan = fields.Dict(required=True)
    institution = Text(allow_none=True)
    created_by = Text(required=True)
    created_at = Text(required=True)
    entry_index = fields.Integer(required=True)
    flagged_at = Text(allow_none=True)
    flag_reason = Text(allow_none=True)
    flag_record = Text(allow_none=True)
    superseded_by = Text(allow_none=True)


class ConversionQuery(BaseSchema):
    """`flagged=true`: the work queue of conversions whose records were revoked or superseded."""

    flagged = fields.Boolean(load_default=None, allow_none=True)


class RecheckOut(BaseSchema):
    """A fresh plan and how it differs from the stored one."""

    conversion = Text(required=True)
    status = Text(required=True)
    plan = fields.Dict(required=True)
    lost = fields.List(Text(), required=True)
    gained = fields.List(Text(), required=True)
    changed = fields.List(Text(), required=True)
    credit_delta = Text(required=True, metadata={"pattern": DECIMAL})


class ReapplyIn(BaseSchema):
    """Resolve a flagged conversion by re-applying; optionally a new enrolment ref (default: derived)."""

    enrolment_ref = Text(load_default=None, allow_none=True, validate=validate.Length(min=1, max=200))
    reason = Text(load_default=None, allow_none=True)


class RuleSetQuery(BaseSchema):
    """`version=N`: exactly that version (default: the newest)."""

    version = fields.Integer(load_default=None, allow_none=True, validate=validate.Range(min=1))
