"""Subsidy policies as versioned JSON data files, validated by a marshmallow schema, each with a content hash.

A policy names its funders (province / city / county unions, each with a region code and an amount rule);
a chain is the province policy with city/county top-ups: all funders of one policy are paid on ONE claim.
"""

from __future__ import annotations

import functools
import hashlib
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from ledger.errors import FieldProblem, Invalid, NotFound

DATA = Path(__file__).parent / "data"

FUNDER_LEVELS = ("province", "city", "county")
AMOUNT_KINDS = ("fixed", "tuition_share", "fixed_by_honour", "after_graduation")
RULE_NAMES = ("union_member", "frontline_post", "adult_on_enrolment", "contract_one_year",
              "new_enrolment_in_year", "education_level_covered", "not_civil_servant",
              "employer_paid_dues", "agricultural_hukou")
POSTS = ("frontline", "team_leader", "section_chief", "workshop_director", "above_workshop_director")


class _Strict(Schema):
    class Meta:
        unknown = "raise"


class AmountSchema(_Strict):
    kind = fields.String(required=True, validate=validate.OneOf(AMOUNT_KINDS))
    per_person = fields.Decimal(as_string=True, places=2, validate=validate.Range(min=0))
    # tuition_share: {"city_model_worker": "1.00", ..., "default": "0.70"}; fixed_by_honour: yuan by tier
    by_honour = fields.Dict(keys=fields.String(), values=fields.Decimal(as_string=True, validate=validate.Range(min=0)))
    cap = fields.Decimal(as_string=True, places=2, validate=validate.Range(min=0))

    @validates_schema
    def _shape(self, data: dict[str, Any], **_: Any) -> None:
        if data["kind"] in ("fixed", "after_graduation") and "per_person" not in data:
            raise ValidationError("required for this kind", "per_person")
        if data["kind"] in ("tuition_share", "fixed_by_honour") and "by_honour" not in data:
            raise ValidationError("required for this kind", "by_honour")


class FunderSchema(_Strict):
    id = fields.String(required=True, validate=validate.Length(1, 40))
    name_zh = fields.String(required=True)
    level = fields.String(required=True, validate=validate.OneOf(FUNDER_LEVELS))
    region_code = fields.String(required=True, validate=validate.Regexp(r"^\d{6}$"))
    amount = fields.Nested(AmountSchema, required=True)


class WindowSchema(_Strict):
    opens_on = fields.Date(required=True)
    closes_on = fields.Date(required=True)


class BatchSchema(_Strict):
    id = fields.String(required=True)
    name_zh = fields.String(required=True)
    review_from = fields.Date(required=True)
    review_to = fields.Date(required=True)
    submitted_until = fields.Date(required=True)


class QuotaSchema(_Strict):
    district = fields.String(required=True, validate=validate.Length(1, 20))
    name_zh = fields.String(required=True)
    places = fields.Integer(required=True, strict=True, validate=validate.Range(min=0))
    province_wan = fields.Decimal(as_string=True)
    city_wan = fields.Decimal(as_string=True)


class RuleSchema(_Strict):
    name = fields.String(required=True, validate=validate.OneOf(RULE_NAMES))
    evidence = fields.List(fields.String(), required=True)
    max_post = fields.String(validate=validate.OneOf(POSTS))
    min_age = fields.Integer(strict=True)
    min_years = fields.Integer(strict=True)


class PolicySchema(_Strict):
    id = fields.String(required=True, validate=validate.Regexp(r"^[a-z0-9-]{3,40}$"))
    version = fields.Integer(required=True, strict=True)
    title_zh = fields.String(required=True)
    title_en = fields.String(required=True)
    source = fields.String(required=True)
    year = fields.Integer(required=True, strict=True)
    published_on = fields.Date(required=True)
    education_levels = fields.List(fields.String(validate=validate.OneOf(("zhuanke", "benke", "vocational_benke"))),
                                   required=True, validate=validate.Length(min=1))
    funders = fields.List(fields.Nested(FunderSchema), required=True, validate=validate.Length(min=1))
    application_window = fields.Nested(WindowSchema, required=True)
    batches = fields.List(fields.Nested(BatchSchema), required=True, validate=validate.Length(min=1))
    review_levels = fields.List(fields.String(validate=validate.OneOf(("enterprise", "county", "city", "province"))),
                                required=True, validate=validate.Length(min=1))
    quotas = fields.List(fields.Nested(QuotaSchema), required=True)
    quota_total = fields.Integer(required=True, strict=True)
    rules = fields.List(fields.Nested(RuleSchema), required=True)
    attachments = fields.List(fields.String(), required=True)
    once_per = fields.String(required=True, validate=validate.OneOf(("education_level",)))

    @validates_schema
    def _totals(self, data: dict[str, Any], **_: Any) -> None:
        if sum(q["places"] for q in data["quotas"]) != data["quota_total"]:
            raise ValidationError("district places do not add up to quota_total", "quotas")
        if len({q["district"] for q in data["quotas"]}) != len(data["quotas"]):
            raise ValidationError("a district appears twice", "quotas")
        if len({f["id"] for f in data["funders"]}) != len(data["funders"]):
            raise ValidationError("a funder appears twice", "funders")


class Policy:
    """One loaded policy: the validated data, the raw document and the sha256 of the file bytes."""

    def __init__(self, data: dict[str, Any], document: dict[str, Any], content_hash: str) -> None:
        self.data = data
        self.document = document
        self.content_hash = content_hash

    def __getattr__(self, name: str) -> Any:
        try:
            return self.__dict__["data"][name]
        except KeyError:
            raise AttributeError(name) from None

    @property
    def chain(self) -> str:
        """The chain key: claims are once per person per education level per chain."""
        return self.data["id"]

    def quota(self, district: str) -> dict[str, Any] | None:
        return next((q for q in self.data["quotas"] if q["district"] == district), None)

    def batch_for(self, day: Any) -> dict[str, Any] | None:
        """The review batch a claim submitted on `day` belongs to (the first whose submission cut-off is not past)."""
        return next((b for b in self.data["batches"] if day <= b["submitted_until"]), None)

    def rule(self, name: str) -> dict[str, Any] | None:
        return next((r for r in self.data["rules"] if r["name"] == name), None)


def parse(raw: bytes, source: str = "policy") -> Policy:
    """Decode and validate one policy file; raise Invalid naming the failing fields."""
    try:
        document = json.loads(raw)
        data = PolicySchema().load(document)
    except json.JSONDecodeError as exc:
        raise Invalid(f"{source}: not JSON ({exc})", f"{source}：不是 JSON") from exc
    except ValidationError as exc:
        problems = [FieldProblem(k, "; ".join(map(str, v)) if isinstance(v, list) else str(v), "政策文件字段有误")
                    for k, v in _flatten(exc.messages).items()]
        raise Invalid(f"{source}: invalid policy", f"{source}：政策文件无效", problems) from exc
    return Policy(data, document, "sha256:" + hashlib.sha256(raw).hexdigest())


def _flatten(messages: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(messages, dict):
        out: dict[str, Any] = {}
        for k, v in messages.items():
            out.update(_flatten(v, f"{prefix}.{k}" if prefix else str(k)))
        return out
    return {prefix or "$": messages}


@functools.cache
def load_all() -> dict[str, Policy]:
    """Every shipped policy by id."""
    out: dict[str, Policy] = {}
    for path in sorted(DATA.glob("*.json")):
        p = parse(path.read_bytes(), path.name)
        out[p.id] = p
    return out


def get_policy(policy_id: str) -> Policy:
    try:
        return load_all()[policy_id]
    except KeyError:
        raise NotFound(f"no subsidy policy {policy_id!r}", f"没有补贴政策 {policy_id!r}") from None


def split_amounts(policy: Policy, *, tuition: Decimal | None = None, honour: str | None = None) -> dict[str, Decimal]:
    """Amount owed by each funder for one approved claim (yuan, two places); the claim total is their sum."""
    out: dict[str, Decimal] = {}
    for f in policy.funders:
        a = f["amount"]
        if a["kind"] in ("fixed", "after_graduation"):
            v = Decimal(a["per_person"])
        elif a["kind"] == "tuition_share":
            share = a["by_honour"].get(honour or "default", a["by_honour"].get("default", Decimal(0)))
            v = (Decimal(tuition or 0) * Decimal(share))
        else:
            v = Decimal(a["by_honour"].get(honour or "default", a["by_honour"].get("default", Decimal(0))))
        if "cap" in a:
            v = min(v, Decimal(a["cap"]))
        out[f["id"]] = v.quantize(Decimal("0.01"))
    return out
