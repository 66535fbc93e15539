"""Marshmallow schemas of the conversion data files (rule sets, programmes, agreements)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from marshmallow import RAISE, Schema, ValidationError, fields, post_load, validate, validates_schema

from ledger.conversion.model import (
    Agreement,
    AwardScope,
    Caps,
    Course,
    CourseCategory,
    CourseMapping,
    EntryType,
    GradeMode,
    Grant,
    GrantMode,
    IssuerKind,
    Limit,
    Matcher,
    OrganiserType,
    OutcomeKind,
    Pool,
    PoolSlot,
    PoolTransfer,
    Programme,
    ProgrammeLevel,
    Rule,
    RuleSet,
    Scope,
    Source,
)

_URN = validate.Regexp(r"^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
_NONNEG = validate.Range(min=Decimal(0))
_SHARE = validate.Range(min=Decimal(0), max=Decimal(1))


def _credits(**kw: Any) -> fields.Decimal:
    return fields.Decimal(validate=_NONNEG, **kw)


def _enum(enum: type, **kw: Any) -> fields.Enum:
    return fields.Enum(enum, by_value=True, **kw)


def _set(inner: fields.Field, **kw: Any) -> fields.List:
    return fields.List(inner, validate=validate.Length(min=1), **kw)


class _Strict(Schema):
    class Meta:
        unknown = RAISE  # a misspelt key is an error, not a silently ignored rule


class TextSchema(_Strict):
    """A text in Chinese and English."""

    zh = fields.String(required=True, validate=validate.Length(min=1))
    en = fields.String(required=True, validate=validate.Length(min=1))


class LimitSchema(_Strict):
    """A cap: credits, share of programme credits, count."""

    credits = _credits(load_default=None)
    share = fields.Decimal(validate=_SHARE, load_default=None)
    count = fields.Integer(validate=validate.Range(min=0), load_default=None)

    @post_load
    def _make(self, data: dict[str, Any], **_: Any) -> Limit:
        return Limit(**data)


class MatcherSchema(_Strict):
    """Outcome conditions of a rule."""

    kinds = _set(_enum(OutcomeKind), required=True)
    levels = _set(fields.Integer(validate=validate.Range(min=1, max=5)), load_default=None)
    schemes = _set(fields.String(), load_default=None)
    scheme_levels = _set(fields.String(), load_default=None)
    occupation_prefixes = _set(fields.String(validate=validate.Regexp(r"^[1-8](-\d{2}){0,3}$")), load_default=None)
    award_scopes = _set(_enum(AwardScope), load_default=None)
    award_ranks = _set(fields.Integer(validate=validate.Range(min=1)), load_default=None)
    organiser_types = _set(_enum(OrganiserType), load_default=None)
    exclude_organiser_types = fields.List(_enum(OrganiserType), load_default=list)
    issuer_kinds = _set(_enum(IssuerKind), load_default=None)
    subject_areas = _set(fields.String(), load_default=None)
    course_codes = _set(fields.String(), load_default=None)
    institutions = _set(fields.String(), load_default=None)
    min_hours = _credits(load_default=None)
    min_score = _credits(load_default=None)
    min_attendance = fields.Decimal(validate=_SHARE, load_default=None)
    min_practice_years = _credits(load_default=None)
    requires_pass = fields.Boolean(load_default=False)
    related = fields.Boolean(load_default=False)
    programme_prefixes = _set(fields.String(), load_default=None)
    exclude_programme_prefixes = fields.List(fields.String(), load_default=list)

    @post_load
    def _make(self, data: dict[str, Any], **_: Any) -> Matcher:
        for key in ("kinds", "levels", "schemes", "scheme_levels", "award_scopes", "award_ranks",
                    "organiser_types", "exclude_organiser_types", "issuer_kinds", "subject_areas",
                    "course_codes", "institutions"):
            if data[key] is not None:
                data[key] = frozenset(data[key])
        for key in ("occupation_prefixes", "programme_prefixes", "exclude_programme_prefixes"):
            if data[key] is not None:
                data[key] = tuple(data[key])
        return Matcher(**data)


class GrantSchema(_Strict):
    """What a rule grants."""

    mode = _enum(GrantMode, required=True)
    credits = _credits(load_default=None)
    credits_by_rank = fields.Dict(keys=fields.String(validate=validate.Regexp(r"^[1-9]$")), values=_credits(),
                                  load_default=dict)
    per_hours = fields.Decimal(validate=validate.Range(min=Decimal(1)), load_default=None)
    per_years = fields.Decimal(validate=validate.Range(min=Decimal("0.5")), load_default=None)
    per_credit = _credits(load_default=None)
    member_deduction = _credits(load_default=Decimal(0))
    max_credits = _credits(load_default=None)
    pools = fields.List(_enum(PoolSlot), load_default=list)
    course_codes = fields.List(fields.String(), load_default=list)
    categories = fields.List(_enum(CourseCategory), load_default=list)
    course_related = fields.Boolean(load_default=False)
    cover = fields.Boolean(load_default=False)
    max_courses = fields.Integer(validate=validate.Range(min=1), load_default=1)
    grade_mode = _enum(GradeMode, load_default=GradeMode.EXEMPT)

    @validates_schema
    def _check(self, data: dict[str, Any], **_: Any) -> None:
        mode = data["mode"]
        if mode == GrantMode.POOL and not data["pools"]:
            raise ValidationError("a pool grant names at least one pool slot", "pools")
        if mode != GrantMode.POOL and not (data["course_codes"] or data["categories"]):
            raise ValidationError("a course or waiver grant names courses or categories", "categories")
        if CourseCategory.GRADUATION in data["categories"]:
            raise ValidationError("graduation projects and theses are never replaced", "categories")

    @post_load
    def _make(self, data: dict[str, Any], **_: Any) -> Grant:
        data["credits_by_rank"] = tuple(sorted((int(k), v) for k, v in data["credits_by_rank"].items()))
        for key in ("pools", "course_codes", "categories"):
            data[key] = tuple(data[key])
        return Grant(**data)


class RuleSchema(_Strict):
    """One conversion rule."""

    id = fields.String(required=True, validate=validate.Regexp(r"^[a-z0-9][a-z0-9.-]*$"))
    label = fields.Nested(TextSchema, required=True)
    match = fields.Nested(MatcherSchema, required=True)
    grant = fields.Nested(GrantSchema, required=True)
    limit = fields.Nested(LimitSchema, load_default=None)
    validity_years = fields.Integer(validate=validate.Range(min=1), load_default=None)
    group = fields.String(load_default=None)
    sources = fields.List(fields.String(), load_default=list)

    @post_load
    def _make(self, data: dict[str, Any], **_: Any) -> Rule:
        return Rule(
            id=data["id"],
            label_zh=data["label"]["zh"],
            label_en=data["label"]["en"],
            matcher=data["match"],
            grant=data["grant"],
            limit=data["limit"] or Limit(),
            validity_years=data["validity_years"],
            group=data["group"],
            sources=tuple(data["sources"]),
        )


class CapsSchema(_Strict):
    """Caps of a rule set."""

    per_outcome = _credits(load_default=None)
    total_share = fields.Decimal(validate=_SHARE, load_default=None)
    core_share = fields.Decimal(validate=_SHARE, load_default=None)
    categories = fields.Dict(keys=_enum(CourseCategory), values=fields.Nested(LimitSchema), load_default=dict)
    pools = fields.Dict(keys=_enum(PoolSlot), values=fields.Nested(LimitSchema), load_default=dict)
    groups = fields.Dict(keys=fields.String(), values=fields.Nested(LimitSchema), load_default=dict)

    @post_load
    def _make(self, data: dict[str, Any], **_: Any) -> Caps:
        for key in ("categories", "pools", "groups"):
            data[key] = tuple(sorted(data[key].items()))
        return Caps(**data)


class ScopeSchema(_Strict):
    """Programmes a rule set covers."""

    levels = fields.List(_enum(ProgrammeLevel), load_default=list)
    programme_codes = fields.List(fields.String(), load_default=list)


class SourceSchema(_Strict):
    """A source of rule values."""

    id = fields.String(required=True)
    note = fields.String(required=True)
    url = fields.String(load_default=None)


class RuleSetSchema(_Strict):
    """A rule set data file."""

    id = fields.String(required=True, validate=_URN)
    version = fields.Integer(required=True, validate=validate.Range(min=1))
    style = fields.String(required=True, validate=validate.Length(min=1))
    name = fields.Nested(TextSchema, required=True)
    effective_from = fields.Date(required=True)
    effective_to = fields.Date(load_default=None)
    scope = fields.Nested(ScopeSchema, load_default=dict)
    practice_kinds = fields.List(_enum(OutcomeKind), load_default=lambda: [OutcomeKind.PRACTICE])
    ladders = fields.Dict(keys=fields.String(), values=_set(fields.String()), load_default=dict)
    caps = fields.Nested(CapsSchema, required=True)
    rules = _set(fields.Nested(RuleSchema), required=True)
    sources = fields.List(fields.Nested(SourceSchema), load_default=list)

    @validates_schema
    def _check(self, data: dict[str, Any], **_: Any) -> None:
        seen: set[str] = set()
        known = {s["id"] for s in data["sources"]}
        errors: dict[str, Any] = {}
        for i, rule in enumerate(data["rules"]):
            if rule.id in seen:
                errors.setdefault("rules", {})[i] = {"id": [f"duplicate rule id {rule.id}"]}
            seen.add(rule.id)
            missing = [s for s in rule.sources if s not in known]
            if missing:
                errors.setdefault("rules", {})[i] = {"sources": [f"unknown source ids {missing}"]}
        if data["effective_to"] is not None and data["effective_to"] < data["effective_from"]:
            errors["effective_to"] = ["ends before effective_from"]
        if errors:
            raise ValidationError(errors)

    @post_load
    def _make(self, data: dict[str, Any], **_: Any) -> RuleSet:
        scope = data["scope"] or {}
        return RuleSet(
            id=data["id"],
            version=data["version"],
            style=data["style"],
            name_zh=data["name"]["zh"],
            name_en=data["name"]["en"],
            effective_from=data["effective_from"],
            effective_to=data["effective_to"],
            scope=Scope(
                levels=frozenset(scope.get("levels", ())),
                programme_codes=frozenset(scope.get("programme_codes", ())),
            ),
            caps=data["caps"],
            rules=tuple(data["rules"]),
            practice_kinds=frozenset(data["practice_kinds"]),
            ladders=tuple(sorted((k, tuple(v)) for k, v in data["ladders"].items())),
            sources=tuple(Source(**s) for s in data["sources"]),
        )


class CourseSchema(_Strict):
    """A programme course."""

    code = fields.String(required=True, validate=validate.Length(min=1))
    name = fields.String(required=True, validate=validate.Length(min=1))
    credits = fields.Decimal(required=True, validate=validate.Range(min=Decimal(0), min_inclusive=False))
    category = _enum(CourseCategory, required=True)
    replaceable = fields.Boolean(load_default=True)
    occupations = fields.List(fields.String(), load_default=list)
    subjects = fields.List(fields.String(), load_default=list)

    @validates_schema
    def _check(self, data: dict[str, Any], **_: Any) -> None:
        if data["category"] == CourseCategory.GRADUATION and data["replaceable"]:
            raise ValidationError("graduation projects and theses are never replaceable", "replaceable")

    @post_load
    def _make(self, data: dict[str, Any], **_: Any) -> Course:
        data["occupations"] = tuple(data["occupations"])
        data["subjects"] = tuple(data["subjects"])
        return Course(**data)


class PoolSchema(_Strict):
    """An elective pool."""

    name = fields.String(required=True, validate=validate.Length(min=1))
    slot = _enum(PoolSlot, required=True)
    ceiling = fields.Decimal(required=True, validate=_NONNEG)
    category = _enum(CourseCategory, required=True, validate=validate.NoneOf([CourseCategory.GRADUATION]))

    @post_load
    def _make(self, data: dict[str, Any], **_: Any) -> Pool:
        return Pool(**data)


class InstitutionSchema(_Strict):
    """The college running a programme."""

    id = fields.String(required=True, validate=validate.Length(min=1))
    name = fields.String(required=True, validate=validate.Length(min=1))


class ProgrammeSchema(_Strict):
    """A programme data file."""

    id = fields.String(required=True, validate=_URN)
    code = fields.String(required=True, validate=validate.Regexp(r"^\d{6}[TK]{0,2}$"))
    name = fields.String(required=True, validate=validate.Length(min=1))
    level = _enum(ProgrammeLevel, required=True)
    entry_type = _enum(EntryType, required=True)
    total_credits = fields.Decimal(required=True, validate=validate.Range(min=Decimal(1)))
    institution = fields.Nested(InstitutionSchema, required=True)
    catalogue_year = fields.Integer(required=True, validate=validate.Range(min=2000, max=2100))
    occupations = fields.List(fields.String(), load_default=list)
    subjects = fields.List(fields.String(), load_default=list)
    courses = _set(fields.Nested(CourseSchema), required=True)
    pools = fields.List(fields.Nested(PoolSchema), load_default=list)
    notes = fields.String(load_default=None)

    @validates_schema
    def _check(self, data: dict[str, Any], **_: Any) -> None:
        courses: list[Course] = data["courses"]
        total = sum((c.credits for c in courses), Decimal(0))
        if total != data["total_credits"]:
            raise ValidationError(f"courses sum to {total}, not {data['total_credits']}", "total_credits")
        codes = [c.code for c in courses]
        dupes = sorted({c for c in codes if codes.count(c) > 1})
        if dupes:
            raise ValidationError(f"duplicate course codes {dupes}", "courses")
        names = [p.name for p in data["pools"]]
        if len(set(names)) != len(names):
            raise ValidationError("duplicate pool names", "pools")
        for i, pool in enumerate(data["pools"]):
            room = sum((c.credits for c in courses if c.category == pool.category), Decimal(0))
            if pool.ceiling > room:
                raise ValidationError(
                    {"pools": {i: {"ceiling": [f"exceeds the {room} credits of category {pool.category}"]}}}
                )

    @post_load
    def _make(self, data: dict[str, Any], **_: Any) -> Programme:
        return Programme(
            id=data["id"],
            code=data["code"],
            name=data["name"],
            level=data["level"],
            entry_type=data["entry_type"],
            total_credits=data["total_credits"],
            institution_id=data["institution"]["id"],
            institution_name=data["institution"]["name"],
            catalogue_year=data["catalogue_year"],
            courses=tuple(data["courses"]),
            pools=tuple(data["pools"]),
            occupations=tuple(data["occupations"]),
            subjects=tuple(data["subjects"]),
        )


class MappingSchema(_Strict):
    """A course equivalence between two colleges."""

    from_code = fields.String(required=True)
    to_code = fields.String(required=True)
    grade_mode = _enum(GradeMode, load_default=GradeMode.CERTIFICATE_GRADE)

    @post_load
    def _make(self, data: dict[str, Any], **_: Any) -> CourseMapping:
        return CourseMapping(**data)


class PoolTransferSchema(_Strict):
    """Transfer of unmapped credits into a pool."""

    slot = _enum(PoolSlot, required=True)
    rate = fields.Decimal(validate=validate.Range(min=Decimal(0), max=Decimal(1)), load_default=Decimal(1))
    max_credits = _credits(load_default=None)
    limit = fields.Nested(LimitSchema, load_default=None)

    @post_load
    def _make(self, data: dict[str, Any], **_: Any) -> PoolTransfer:
        data["limit"] = data["limit"] or Limit()
        return PoolTransfer(**data)


class AgreementSchema(_Strict):
    """A mutual-recognition agreement data file."""

    id = fields.String(required=True, validate=_URN)
    version = fields.Integer(required=True, validate=validate.Range(min=1))
    from_institution = fields.Nested(InstitutionSchema, required=True)
    to_institution = fields.Nested(InstitutionSchema, required=True)
    effective_from = fields.Date(required=True)
    effective_to = fields.Date(load_default=None)
    min_score = _credits(load_default=None)
    validity_years = fields.Integer(validate=validate.Range(min=1), load_default=None)
    programme_codes = fields.List(fields.String(), load_default=list)
    mappings = fields.List(fields.Nested(MappingSchema), load_default=list)
    pool_transfer = fields.Nested(PoolTransferSchema, load_default=None)
    notes = fields.String(load_default=None)

    @post_load
    def _make(self, data: dict[str, Any], **_: Any) -> Agreement:
        return Agreement(
            id=data["id"],
            version=data["version"],
            from_institution=data["from_institution"]["id"],
            to_institution=data["to_institution"]["id"],
            effective_from=data["effective_from"],
            effective_to=data["effective_to"],
            mappings=tuple(data["mappings"]),
            pool_transfer=data["pool_transfer"],
            min_score=data["min_score"],
            validity_years=data["validity_years"],
            programme_codes=frozenset(data["programme_codes"]),
        )
