"""Wire schemas of `/api/v1/subsidies/…`."""

from __future__ import annotations

from decimal import Decimal

from marshmallow import ValidationError, fields, validate

from schemas.base import BaseSchema, DecimalString, Text, UrnUuid, UTCDateTimeField

TUITION_DOC = {"type": "string", "pattern": r"^[0-9]{1,7}(\.[0-9]{1,2})?$", "description": "学费（元）"}


def _tuition(value: Decimal) -> None:
    if not value.is_finite() or value < 0 or value >= 10_000_000 or value != value.quantize(Decimal("0.01")):
        raise ValidationError("Tuition in yuan: 0 to 9999999.99 with at most two decimals.")


POSTS = ("frontline", "team_leader", "section_chief", "workshop_director", "above_workshop_director")


class PolicySummaryOut(BaseSchema):
    id = fields.String()
    version = fields.Integer()
    title_zh = fields.String()
    title_en = fields.String()
    year = fields.Integer()
    published_on = fields.Date()
    content_hash = fields.String()


class PolicyOut(PolicySummaryOut):
    document = fields.Dict(metadata={"description": "The policy file as published (funders, amounts, batches, "
                                                    "review levels, quotas by district, named rules with evidence)"})


class ClaimDeclarationsIn(BaseSchema):
    union_member = fields.Boolean(required=True, metadata={"description": "工会会员"})
    post = fields.String(required=True, validate=validate.OneOf(POSTS), metadata={"description": "岗位"})
    contract_start = fields.Date(required=True, metadata={"description": "劳动合同起始日"})
    civil_servant = fields.Boolean(required=True, metadata={"description": "公务员"})
    employer_paid_dues = fields.Boolean(load_default=False)
    agricultural_hukou = fields.Boolean(load_default=False)
    tuition = DecimalString(metadata=TUITION_DOC, validate=_tuition)


class ClaimIn(BaseSchema):
    policy = Text(required=True, validate=validate.Length(1, 40))
    account = UrnUuid(required=True)
    district = Text(required=True, validate=validate.Length(1, 20))
    declarations = fields.Nested(ClaimDeclarationsIn, required=True)


class DeclarationsPatchIn(BaseSchema):
    union_member = fields.Boolean()
    post = fields.String(validate=validate.OneOf(POSTS))
    contract_start = fields.Date()
    civil_servant = fields.Boolean()
    employer_paid_dues = fields.Boolean()
    agricultural_hukou = fields.Boolean()
    tuition = DecimalString(metadata=TUITION_DOC, validate=_tuition)


class ClaimCorrectionIn(BaseSchema):
    declarations = fields.Nested(DeclarationsPatchIn, required=True)


class DecisionIn(BaseSchema):
    decision = fields.String(required=True, validate=validate.OneOf(("approve", "return", "reject")))
    reason = Text(validate=validate.Length(max=500))


class PaymentIn(BaseSchema):
    funder = Text(required=True, validate=validate.Length(1, 40))
    status = fields.String(required=True, validate=validate.OneOf(("paid", "failed", "reissued")))
    reference = Text(validate=validate.Length(max=100))


class AttachmentIn(BaseSchema):
    kind = Text(required=True)
    filename = Text(required=True, validate=validate.Length(1, 200))
    media_type = Text(required=True, validate=validate.Length(1, 100))
    content_base64 = fields.String(required=True, validate=validate.Length(1, 7 * 1024 * 1024))


class AttachmentOut(BaseSchema):
    id = UrnUuid()
    kind = Text()
    filename = fields.String()
    media_type = Text()
    size = fields.Integer()
    sha256 = fields.String()
    added_at = UTCDateTimeField()


class DecisionOut(BaseSchema):
    level = fields.String()
    decision = fields.String()
    reason = fields.String(allow_none=True)
    decided_at = UTCDateTimeField()
    entry_index = fields.Integer()


class PaymentOut(BaseSchema):
    funder_id = fields.String(data_key="funder")
    amount = DecimalString()
    status = fields.String()
    reference = fields.String(allow_none=True)
    recorded_at = UTCDateTimeField()


class ClaimOut(BaseSchema):
    id = UrnUuid()
    policy_id = fields.String(data_key="policy")
    account_id = UrnUuid(data_key="account")
    education_level = fields.String()
    district = Text()
    batch_id = fields.String(data_key="batch")
    status = fields.String()
    review_level = fields.String(allow_none=True)
    submitted_at = UTCDateTimeField()
    decided_at = UTCDateTimeField(allow_none=True)
    reason = fields.String(allow_none=True)
    amounts = fields.Dict(keys=fields.String(), values=fields.String())
    total = DecimalString()
    entry_index = fields.Integer()
    decisions = fields.List(fields.Nested(DecisionOut))
    payments = fields.List(fields.Nested(PaymentOut))
    payment_status = fields.Dict(keys=fields.String(), values=fields.String())
    attachments = fields.List(fields.Nested(AttachmentOut))
    missing_attachments = fields.List(fields.String())


class ClaimQuery(BaseSchema):
    policy = Text()
    status = fields.String(validate=validate.OneOf(("submitted", "returned", "approved", "rejected")))


class NoticeQuery(BaseSchema):
    district = Text()
    batch = Text()


class NoticeRowOut(BaseSchema):
    policy = Text()
    district = Text()
    district_name = fields.String()
    batch = Text()
    name = fields.String()
    national_id = fields.String()
    education_level = fields.String()
    total = fields.String()


class ReportRowOut(BaseSchema):
    district = Text()
    district_name = fields.String()
    places = fields.Integer()
    used = fields.Integer()
    pending = fields.Integer()
    rejected = fields.Integer()
    amounts = fields.Dict(keys=fields.String(), values=fields.String())
    mean_processing_hours = fields.Float(allow_none=True)


class ReviewerIn(BaseSchema):
    actor = fields.String(required=True, validate=validate.Regexp(r"^(client|user):[0-9a-f-]{36}$"),
                          metadata={"description": "client:<uuid> or user:<uuid> of a union client or person"})
    level = fields.String(required=True, validate=validate.OneOf(("enterprise", "county", "city", "province")))
    region = Text(required=True, validate=validate.Length(1, 20),
                           metadata={"description": "a quota district for county level, the city code above"})


class ReviewerOut(BaseSchema):
    actor_ref = fields.String(data_key="actor")
    level = fields.String()
    region = Text()
