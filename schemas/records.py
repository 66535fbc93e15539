"""Learning records on the wire (DESIGN.md §8): one record, batches, CSV uploads, and the answers.

A record is `{"account", "kind", "external_ref", "occurred_on", "outcome": {…}}`; the outcome is
validated by the schema of its kind (`OUTCOME_SCHEMAS`), whose field names are those of
`ledger.conversion.model.Outcome` wherever the conversion engine uses the value, so a stored record
maps one to one onto an engine outcome (`ledger.records.credential.outcome_from_record`).

Wire types are strict so that the OpenAPI document says exactly what is enforced: quantities (credits,
hours, scores, attendance, years) are decimal strings whose documented pattern also encodes their range;
integers and booleans must be JSON integers and booleans; dates are `YYYY-MM-DD`. Cross-field rules that
a JSON schema cannot state are given in the schema descriptions.

Errors are field by field; nested ones flatten to dotted paths (`records.3.outcome.level`). A CSV
upload (`parse_records_csv`) uses the same names, nested fields dotted (`outcome.level`); its rows are
numbered from 1 with the header as row 1, so record `i` of a batch is row `i + 2`.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from marshmallow import EXCLUDE, INCLUDE, Schema, ValidationError, fields, validate, validates_schema

from ledger.conversion.model import (
    AwardScope,
    EntryType,
    OrganiserType,
    OutcomeKind,
    ProgrammeLevel,
    TeamRole,
)
from ledger.records import (
    AWARD_RANK_NAMES_ZH,
    AWARD_SCOPE_NAMES_ZH,
    EDUCATION_LEVEL_NAMES_ZH,
    ENTRY_TYPE_NAMES_ZH,
    GRADES,
    HONOUR_LEVEL_NAMES_ZH,
    HONOUR_TYPE_NAMES_ZH,
    KIND_NAMES_ZH,
    ORGANISER_TYPE_NAMES_ZH,
    SCHEME_LADDERS,
    SKILL_LEVEL_NAMES_ZH,
    SKILL_SCHEMES,
    TEAM_ROLE_NAMES_ZH,
    HonourLevel,
    HonourType,
)
from schemas.base import BaseSchema, DecimalString, ProblemSchema, Text, UrnUuid, UTCDateTimeField
from schemas.log import InclusionOut

MAX_BATCH = 1000

# --------------------------------------------------------------------------- patterns

OCCUPATION_CODE = r"^[1-8]-[0-9]{2}-[0-9]{2}-[0-9]{2}$"  # 国家职业分类大典 (2022): 大类-中类-小类-细类
SUBJECT_AREA = r"^[a-z][a-z0-9_]{0,39}$"  # subject keys shared with programme courses
CODE = r"^[0-9A-Za-z][0-9A-Za-z._/-]{0,39}$"  # course codes, programme-internal codes
EVENT_ID = r"^[0-9A-Za-z][0-9A-Za-z._:-]{0,79}$"
MAJOR_CODE = r"^[0-9]{6}[TK]{0,2}$"  # 专业目录 code, e.g. 080201, 430103, 080901K
COLLEGE_CODE = r"^[0-9]{5}$"  # 教育部院校代码
REPORT_NO = r"^[0-9A-Za-z]{8,40}$"  # 学信网 online verification code
SCHEME = r"^[0-9A-Za-z+\u4e00-\u9fff][0-9A-Za-z+ ._/\u4e00-\u9fff-]{0,39}$"
DATE = r"^(19|20)[0-9]{2}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$"
# Quantities: the pattern is the whole rule (range included), so the documented schema is exact.
CREDITS = r"^(0|[1-9][0-9]?)(\.[0-9]{1,2})?$"  # 0 – 99.99
HOURS = r"^(0|[1-9][0-9]{0,4})(\.[0-9]{1,2})?$"  # 0 – 99999.99
SCORE = r"^(100(\.0{1,2})?|(0|[1-9][0-9]?)(\.[0-9]{1,2})?)$"  # 0 – 100
SHARE = r"^(1(\.0{1,4})?|0(\.[0-9]{1,4})?)$"  # 0 – 1
YEARS = r"^(0|[1-9][0-9]?)(\.[0-9]{1,2})?$"  # 0 – 99.99


def _doc(zh: str, en: str, **extra: Any) -> dict[str, Any]:
    """Field metadata: a bilingual description (Chinese first, then English) plus OpenAPI extras."""
    return {"description": f"{zh}。{en}", **extra}


def _names(mapping: Mapping[Any, str]) -> str:
    return ", ".join(f"{getattr(k, 'value', k)}={v}" for k, v in mapping.items())


# --------------------------------------------------------------------------- strict field types


class StrictBoolean(fields.Boolean):
    """A JSON boolean only (marshmallow's Boolean also takes "yes", 1, "on" …)."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> bool:
        if not isinstance(value, bool):
            raise self.make_error("invalid", input=value)
        return value


class StrictInteger(fields.Integer):
    """A JSON integer only: no strings, floats or booleans."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(strict=True, **kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> int:
        if isinstance(value, bool):
            raise self.make_error("invalid", input=value)
        return super()._deserialize(value, attr, data, **kwargs)


class Quantity(DecimalString):
    """A decimal string matching `pattern` (which also states the range), e.g. `"3.5"`; numbers are refused."""

    def __init__(self, pattern: str, **kwargs: Any) -> None:
        metadata = {"type": "string", "pattern": pattern}
        metadata.update(kwargs.pop("metadata", {}))
        super().__init__(metadata=metadata, **kwargs)
        self._pattern = re.compile(pattern)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        if not isinstance(value, str):
            raise ValidationError('Send this quantity as a decimal string, e.g. "3.5".')
        if not self._pattern.fullmatch(value):
            raise ValidationError(f"Not a decimal string in the allowed range (pattern {self._pattern.pattern}).")
        return super()._deserialize(value, attr, data, **kwargs)


class Day(fields.Date):
    """A calendar date `YYYY-MM-DD` (years 1900–2099)."""

    def __init__(self, **kwargs: Any) -> None:
        metadata = {"pattern": DATE}
        metadata.update(kwargs.pop("metadata", {}))
        super().__init__(metadata=metadata, **kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> dt.date:
        if not isinstance(value, str) or not re.fullmatch(DATE, value):
            raise self.make_error("invalid", input=value, obj_type="date")
        return super()._deserialize(value, attr, data, **kwargs)


class FullMatch(validate.Regexp):
    """Regexp over the whole value: Python's `$` also matches before a final newline, JSON Schema's does not."""

    def __call__(self, value: Any) -> Any:
        if self.regex.fullmatch(value) is None:
            raise ValidationError(self._format_error(value))
        return value


def _text(zh: str, en: str, *, max_len: int = 200, pattern: str | None = None, **kwargs: Any) -> Text:
    metadata = _doc(zh, en, **kwargs.pop("metadata", {}))
    validators: list[Any] = [validate.Length(min=1, max=max_len)]
    if pattern is not None:
        validators.append(FullMatch(pattern, error="Does not match the pattern {regex}."))
        metadata["pattern"] = pattern
    return Text(validate=validators, metadata=metadata, **kwargs)


def _choice(enum: type, names: Mapping[Any, str], zh: str, en: str, **kwargs: Any) -> fields.Enum:
    return fields.Enum(enum, by_value=fields.String, metadata=_doc(f"{zh}（{_names(names)}）", en), **kwargs)


def _subject_area() -> Text:
    return _text(
        "学科/专业方向键，与专业培养方案课程的 subjects 对应（如 english、logistics）",
        "Subject key shared with programme courses (e.g. english, logistics); used to relate outcomes to courses",
        max_len=40,
        pattern=SUBJECT_AREA,
    )


def _occupation_code(**kwargs: Any) -> Text:
    return _text(
        "国家职业分类大典职业编码（如 6-31-01-03 电工）",
        "Occupation code of the national occupational classification (e.g. 6-31-01-03, electrician)",
        max_len=12,
        pattern=OCCUPATION_CODE,
        **kwargs,
    )


def _certificate_no() -> Text:
    return _text("证书编号", "Certificate number as printed", max_len=60)


def _expires_on() -> Day:
    return Day(metadata=_doc("证书有效期截止日（无则不填）", "Last day the certificate is valid, if it expires"))


def _started_on() -> Day:
    return Day(metadata=_doc("开始日期", "First day of the activity"))


def _ended_on() -> Day:
    return Day(metadata=_doc("结束日期（不早于开始日期）", "Last day of the activity (not before started_on)"))


def _hours(zh: str = "学时", en: str = "Contact hours", **kwargs: Any) -> Quantity:
    return Quantity(HOURS, metadata=_doc(f"{zh}（十进制字符串，0–99999.99）", f"{en}, a decimal string"), **kwargs)


def _score() -> Quantity:
    return Quantity(SCORE, metadata=_doc("成绩，百分制（十进制字符串，0–100）", "Score on a 0–100 scale, a decimal string"))


def _passed(**kwargs: Any) -> StrictBoolean:
    return StrictBoolean(metadata=_doc("是否通过考核", "Whether the assessment was passed"), **kwargs)


def _credits(**kwargs: Any) -> Quantity:
    return Quantity(CREDITS, metadata=_doc("学分（十进制字符串，0–99.99）", "Credits, a decimal string such as \"3.5\""), **kwargs)


class _Outcome(BaseSchema):
    """Common checks of outcome schemas."""

    @validates_schema
    def _dates_in_order(self, data: dict[str, Any], **_: Any) -> None:
        start, end = data.get("started_on"), data.get("ended_on")
        if start is not None and end is not None and end < start:
            raise ValidationError("ended_on is before started_on.", "ended_on")


# --------------------------------------------------------------------------- outcome schemas


class CourseCreditOutcome(_Outcome):
    """学历教育课程学分 — credits of one course of a degree programme, posted by the college that taught it."""

    course_code = _text("课程代码", "Course code at the college", max_len=40, pattern=CODE, required=True)
    course_name = _text("课程名称", "Course name", required=True)
    credits = _credits(required=True)
    score = _score()
    grade = fields.String(
        validate=validate.OneOf(GRADES),
        metadata=_doc("等级成绩（优秀/良好/中等/及格/合格）", "Grade on the five- or two-level scale"),
    )
    hours = _hours()
    term = _text("学期（如 2024-2025-1）", "Term, e.g. 2024-2025-1", max_len=40)
    subject_area = _subject_area()
    started_on = _started_on()
    ended_on = _ended_on()


class SkillLevelOutcome(_Outcome):
    """职业技能等级证书 — a vocational skill level (五级/初级工 … 一级/高级技师) in one occupation."""

    occupation_code = _occupation_code(required=True)
    occupation_name = _text("职业(工种)名称（如 电工）", "Occupation (trade) name, e.g. 电工", max_len=100, required=True)
    level = StrictInteger(
        required=True,
        validate=validate.Range(min=1, max=5),
        metadata=_doc(f"技能等级（{_names(SKILL_LEVEL_NAMES_ZH)}；数字越小等级越高）",
                      "Skill level, 5 = junior worker … 1 = senior technician (lower is higher)"),
    )
    scheme = fields.String(
        validate=validate.OneOf(SKILL_SCHEMES),
        metadata=_doc("证书体系（职业技能等级 或 职业资格）", "Certificate scheme: 职业技能等级 (skill level) or 职业资格 (qualification)"),
    )
    certificate_no = _certificate_no()
    expires_on = _expires_on()
    subject_area = _subject_area()


class VocationalQualificationOutcome(_Outcome):
    """职业资格证书 — a vocational qualification, with a level where the qualification has one."""

    qualification_name = _text("职业资格名称", "Name of the qualification", required=True)
    occupation_code = _occupation_code()
    level = StrictInteger(
        validate=validate.Range(min=1, max=5),
        metadata=_doc(f"等级（{_names(SKILL_LEVEL_NAMES_ZH)}；无等级则不填）",
                      "Level where the qualification has one, 5 … 1 (lower is higher)"),
    )
    scheme = fields.String(
        validate=validate.OneOf(SKILL_SCHEMES),
        metadata=_doc("证书体系（职业技能等级 或 职业资格）", "Certificate scheme"),
    )
    certificate_no = _certificate_no()
    expires_on = _expires_on()
    subject_area = _subject_area()


class TrainingOutcome(_Outcome):
    """职业培训证书 / 培训合格证书 — a vocational training with its hours and assessment."""

    course_name = _text("培训项目名称", "Name of the training programme", required=True)
    hours = _hours("培训学时", "Training hours", required=True)
    passed = _passed(required=True)
    score = _score()
    occupation_code = _occupation_code()
    subject_area = _subject_area()
    certificate_no = _certificate_no()
    started_on = _started_on()
    ended_on = _ended_on()


class CompetitionAwardOutcome(_Outcome):
    """技能竞赛获奖 — an award of a skill competition; only one award per event converts."""

    event_name = _text("竞赛名称", "Name of the competition", required=True)
    event_id = _text("竞赛赛事标识（同一赛事的获奖只转换一次）", "Identifier of the competition event (one award per event converts)",
                     max_len=80, pattern=EVENT_ID, required=True)
    award_scope = _choice(AwardScope, AWARD_SCOPE_NAMES_ZH, "竞赛级别", "Scope of the competition", required=True)
    award_rank = StrictInteger(
        required=True,
        validate=validate.Range(min=1, max=4),
        metadata=_doc(f"获奖等次（{_names(AWARD_RANK_NAMES_ZH)}）", "Rank: 1 = first prize … 3 = third prize, 4 = excellence award"),
    )
    organiser_type = _choice(OrganiserType, ORGANISER_TYPE_NAMES_ZH, "主办单位类型", "Who ran the competition", required=True)
    organiser_name = _text("主办单位名称", "Name of the organiser", max_len=200)
    team_role = _choice(TeamRole, TEAM_ROLE_NAMES_ZH, "参赛身份", "Individual entry, team lead or team member", required=True)
    occupation_code = _occupation_code()
    subject_area = _subject_area()
    certificate_no = _certificate_no()


class PracticeOutcome(_Outcome):
    """实践(实习)经历 / 劳动技能考核 — work in a post, attested by the employer. Needs hours or practice_years."""

    employer = _text("用人单位", "Employer", required=True)
    post = _text("岗位", "Post held", max_len=100, required=True)
    attested = StrictBoolean(
        required=True, metadata=_doc("是否有用人单位书面证明", "Whether the employer attested the experience in writing")
    )
    hours = _hours("实践时长（小时；与 practice_years 至少填一项）", "Hours of practice (give hours, practice_years or both)")
    practice_years = Quantity(YEARS, metadata=_doc("相关岗位工作年限（十进制字符串；与 hours 至少填一项）",
                                                   "Years in a related post, a decimal string (give hours, practice_years or both)"))
    scheme = _text("考核体系（如 劳动技能）", "Assessment scheme, e.g. 劳动技能 (labour skill assessment)", max_len=40, pattern=SCHEME)
    passed = _passed()
    score = _score()
    occupation_code = _occupation_code()
    subject_area = _subject_area()
    started_on = _started_on()
    ended_on = _ended_on()

    @validates_schema
    def _has_extent(self, data: dict[str, Any], **_: Any) -> None:
        if data.get("hours") is None and data.get("practice_years") is None:
            raise ValidationError("Give hours or practice_years.", "hours")


class OnlineCourseOutcome(_Outcome):
    """网络课程 — an online course with hours, attendance and score."""

    platform = _text("课程平台（如 国家开放大学学习网）", "Platform the course ran on", max_len=100, required=True)
    course_name = _text("课程名称", "Course name", required=True)
    course_code = _text("课程代码", "Course code on the platform", max_len=40, pattern=CODE)
    hours = _hours(required=True)
    attendance = Quantity(SHARE, metadata=_doc("出勤率/学习进度，0–1（十进制字符串）", "Share of sessions attended, 0–1, a decimal string"))
    score = _score()
    passed = _passed()
    credits = _credits()
    subject_area = _subject_area()
    started_on = _started_on()
    ended_on = _ended_on()


class EnterpriseCourseOutcome(_Outcome):
    """企业内训课程 — an enterprise's internal course, posted by the enterprise."""

    course_name = _text("课程名称", "Course name", required=True)
    course_code = _text("课程代码", "Course code at the enterprise", max_len=40, pattern=CODE)
    hours = _hours(required=True)
    passed = _passed()
    score = _score()
    credits = _credits()
    occupation_code = _occupation_code()
    subject_area = _subject_area()
    started_on = _started_on()
    ended_on = _ended_on()


class NonDegreeCertOutcome(_Outcome):
    """非学历证书 — NCRE, CET, 1+X and similar certificates. Schemes 1+X, NCRE and CET require a level of their ladder."""

    scheme = _text(
        "证书体系（如 1+X、NCRE 全国计算机等级考试、CET 大学英语等级考试）",
        "Certificate scheme, e.g. 1+X, NCRE, CET",
        max_len=40,
        pattern=SCHEME,
        required=True,
    )
    scheme_level = _text(
        "体系内等级；1+X、NCRE、CET 必填且取其等级（1+X：初级/中级/高级；NCRE：一级…四级；CET：CET-4/CET-6）",
        "Level within the scheme; required for 1+X (初级/中级/高级), NCRE (一级…四级) and CET (CET-4/CET-6)",
        max_len=20,
    )
    certificate_name = _text("证书名称（如 Web前端开发）", "Certificate name, e.g. the 1+X module or NCRE subject", required=True)
    score = _score()
    occupation_code = _occupation_code()
    subject_area = _subject_area()
    certificate_no = _certificate_no()
    expires_on = _expires_on()

    @validates_schema
    def _known_ladder(self, data: dict[str, Any], **_: Any) -> None:
        ladder = SCHEME_LADDERS.get(data.get("scheme", ""))
        if ladder is None:
            return
        if data.get("scheme_level") not in ladder:
            raise ValidationError(f"{data['scheme']} levels are {', '.join(ladder)}.", "scheme_level")


class DegreeOutcome(_Outcome):
    """毕业证书 — a diploma of 专科 or 本科 education. The record's occurred_on is the graduation date."""

    education_level = _choice(ProgrammeLevel, EDUCATION_LEVEL_NAMES_ZH, "学历层次", "Education level", required=True)
    major_code = _text("专业代码（专业目录）", "Major code of the national catalogue", max_len=8, pattern=MAJOR_CODE, required=True)
    major_name = _text("专业名称", "Major name", max_len=100, required=True)
    certificate_no = _text("毕业证书编号", "Diploma certificate number", max_len=60, required=True)
    entry_type = _choice(EntryType, ENTRY_TYPE_NAMES_ZH, "入学类型", "Entry route")
    degree_conferred = StrictBoolean(metadata=_doc("是否同时授予学士学位", "Whether a bachelor's degree was conferred too"))
    started_on = Day(metadata=_doc("入学日期", "Date of entry"))


class EnrolmentOutcome(_Outcome):
    """学籍 — enrolment in a programme, with its 学信网 verification report."""

    college = _text("院校名称", "College", required=True)
    college_code = _text("院校代码", "College code of the Ministry of Education", max_len=5, pattern=COLLEGE_CODE)
    major_code = _text("专业代码（专业目录）", "Major code of the national catalogue", max_len=8, pattern=MAJOR_CODE, required=True)
    major_name = _text("专业名称", "Major name", max_len=100, required=True)
    education_level = _choice(ProgrammeLevel, EDUCATION_LEVEL_NAMES_ZH, "学历层次", "Education level", required=True)
    entry_type = _choice(EntryType, ENTRY_TYPE_NAMES_ZH, "入学类型", "Entry route", required=True)
    enrolled_on = Day(required=True, metadata=_doc("入学日期", "Date of enrolment"))
    study_mode = _text("学习形式（如 开放教育、业余、函授）", "Mode of study", max_len=20)
    student_no = _text("学号（只存银行，不进凭证）", "Student number (kept by the bank, not put in the credential)", max_len=40)
    verification_report_no = _text(
        "学籍在线验证报告验证码（只存银行，不进凭证）",
        "Code of the online enrolment verification report (kept by the bank, not put in the credential)",
        max_len=40,
        pattern=REPORT_NO,
    )


class HonourOutcome(_Outcome):
    """荣誉称号 — 劳模, 工匠, 技术能手 and the like; they change subsidy amounts."""

    honour_type = _choice(HonourType, HONOUR_TYPE_NAMES_ZH, "荣誉类别", "Kind of honour", required=True)
    honour_level = _choice(HonourLevel, HONOUR_LEVEL_NAMES_ZH, "授予级别", "Level of the conferring body", required=True)
    honour_name = _text("荣誉称号全称（如 重庆市劳动模范）", "Full title, e.g. 重庆市劳动模范", required=True)
    awarded_by = _text("授予单位", "Conferring body", max_len=200)
    certificate_no = _certificate_no()


OUTCOME_SCHEMAS: dict[OutcomeKind, type[_Outcome]] = {
    OutcomeKind.COURSE_CREDIT: CourseCreditOutcome,
    OutcomeKind.SKILL_LEVEL: SkillLevelOutcome,
    OutcomeKind.VOCATIONAL_QUALIFICATION: VocationalQualificationOutcome,
    OutcomeKind.TRAINING: TrainingOutcome,
    OutcomeKind.COMPETITION_AWARD: CompetitionAwardOutcome,
    OutcomeKind.PRACTICE: PracticeOutcome,
    OutcomeKind.ONLINE_COURSE: OnlineCourseOutcome,
    OutcomeKind.ENTERPRISE_COURSE: EnterpriseCourseOutcome,
    OutcomeKind.NON_DEGREE_CERT: NonDegreeCertOutcome,
    OutcomeKind.DEGREE: DegreeOutcome,
    OutcomeKind.ENROLMENT: EnrolmentOutcome,
    OutcomeKind.HONOUR: HonourOutcome,
}
_INSTANCES: dict[OutcomeKind, _Outcome] = {kind: cls() for kind, cls in OUTCOME_SCHEMAS.items()}


def load_outcome(kind: str, data: Any) -> dict[str, Any]:
    """The typed outcome (Decimal, date, enums) of a wire outcome of `kind`; raises ValidationError."""
    return _INSTANCES[OutcomeKind(kind)].load(data)


def dump_outcome(kind: str, outcome: Mapping[str, Any]) -> dict[str, Any]:
    """The wire (JSON) form of a typed outcome: what the bank stores beside the credential."""
    return _INSTANCES[OutcomeKind(kind)].dump(outcome)


class OutcomeField(fields.Field):
    """The kind-specific outcome object, validated by the schema its sibling `kind` names."""

    default_error_messages = {"invalid": "Not a valid object."}

    def __init__(self, **kwargs: Any) -> None:
        kinds = "; ".join(f"{k.value} → {cls.__name__}（{KIND_NAMES_ZH[k]}）" for k, cls in OUTCOME_SCHEMAS.items())
        metadata = _doc(f"成果内容，按 kind 使用对应结构：{kinds}", "Kind-specific outcome, validated by the schema of its kind",
                        type="object")
        metadata.update(kwargs.pop("metadata", {}))
        super().__init__(metadata=metadata, **kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        if not isinstance(value, dict):
            raise self.make_error("invalid")
        kind = data.get("kind") if isinstance(data, Mapping) else None
        if not isinstance(kind, str) or kind not in OutcomeKind._value2member_map_:
            return value  # the kind field reports the problem; the outcome cannot be checked without it
        try:
            return load_outcome(kind, value)
        except ValidationError as err:
            raise ValidationError(err.messages) from err

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> Any:
        if value is None:
            return None
        kind = obj.get("kind") if isinstance(obj, Mapping) else getattr(obj, "kind", None)
        if kind is None:
            raise ValueError("an outcome can only be dumped beside its kind")
        return dump_outcome(kind, value)


# --------------------------------------------------------------------------- records and batches


class RecordIn(BaseSchema):
    """One learning record posted by an institution."""

    account = UrnUuid(required=True, metadata=_doc("学员账户 id", "Learner account id (urn:uuid)"))
    kind = fields.Enum(
        OutcomeKind,
        by_value=fields.String,
        required=True,
        metadata=_doc(f"成果类型（{_names(KIND_NAMES_ZH)}）", "Outcome kind"),
    )
    external_ref = _text(
        "机构自己的记录编号；同一机构内唯一，重试不会重复记账",
        "The institution's own id for the record; unique per institution, so a retry never records twice",
        required=True,
    )
    occurred_on = Day(
        required=True, metadata=_doc("成果取得日期（发证、结课、获奖、毕业日期）", "Date the outcome was awarded")
    )
    outcome = OutcomeField(required=True)
    credential = fields.Dict(
        load_default=None,
        metadata=_doc(
            "自有密钥机构：本机构已签名的 OpenBadgeCredential（eddsa-rdfc-2022；id 为 urn:uuid:…，即记录 id；"
            "主体为该账户；状态条目指向本机构已上传的状态列表）。托管密钥机构不填，由银行代签",
            "Institutions with their own key: the OpenBadgeCredential they signed (eddsa-rdfc-2022; id urn:uuid:…, "
            "which becomes the record id; subject = the account; status entries pointing at lists the institution "
            "uploaded). Institutions with a custodial key leave it out: the bank signs for them",
            type="object",
        ),
    )


class BatchIn(BaseSchema):
    """Up to 1,000 records; with `partial: false` (default) one invalid record means none is recorded."""

    records = fields.List(
        fields.Nested(RecordIn),
        required=True,
        validate=validate.Length(min=1, max=MAX_BATCH),
        metadata=_doc("记录列表（1–1000 条）", "The records, 1 to 1,000"),
    )
    partial = StrictBoolean(  # type: ignore[assignment]  # a field; marshmallow moves it off the class
        load_default=False,
        metadata=_doc("为 true 时只记入有效记录并报告其余", "If true, record exactly the valid records and report the rest"),
    )

    @validates_schema
    def _unique_refs(self, data: dict[str, Any], **_: Any) -> None:
        errors = duplicate_refs(data.get("records") or [])
        if errors:
            raise ValidationError({"records": errors})


def duplicate_refs(records: list[Any]) -> dict[int, dict[str, list[str]]]:
    """Errors for records whose external_ref repeats an earlier one of the same batch."""
    seen: dict[str, int] = {}
    errors: dict[int, dict[str, list[str]]] = {}
    for i, record in enumerate(records):
        ref = record.get("external_ref") if isinstance(record, Mapping) else None
        if not isinstance(ref, str):
            continue
        if ref in seen:
            errors[i] = {"external_ref": [f"Same external_ref as records.{seen[ref]}."]}
        else:
            seen[ref] = i
    return errors


class _Envelope(BaseSchema):
    records = fields.List(fields.Raw(), required=True, validate=validate.Length(min=1, max=MAX_BATCH))
    partial = StrictBoolean(load_default=False)  # type: ignore[assignment]  # a field, as in BatchIn


@dataclass
class LoadedBatch:
    """A batch checked record by record: the valid records by position, and the errors of the others."""

    records: list[tuple[int, dict[str, Any]]] = field(default_factory=list)
    errors: dict[int, Any] = field(default_factory=dict)
    partial: bool = False

    def messages(self) -> dict[str, Any]:
        """The errors as marshmallow messages, keyed `records.<i>.<field>` when flattened."""
        return {"records": dict(sorted(self.errors.items()))} if self.errors else {}


_RECORD = RecordIn()
_ENVELOPE = _Envelope()


def load_batch(payload: Any, *, partial: bool | None = None) -> LoadedBatch:
    """Check a batch item by item (for `partial`); raise ValidationError unless it may be recorded as is.

    Raises when the envelope is malformed, or when any record is invalid and the batch is not partial.
    `partial` overrides the body's flag (a CSV upload passes the `?partial=` query parameter).
    """
    envelope = _ENVELOPE.load(payload)
    loaded = LoadedBatch(partial=envelope["partial"] if partial is None else partial)
    for i, raw in enumerate(envelope["records"]):
        try:
            loaded.records.append((i, _RECORD.load(raw)))
        except ValidationError as err:
            loaded.errors[i] = err.messages
    for i, messages in duplicate_refs(envelope["records"]).items():
        loaded.errors.setdefault(i, {}).update(messages)
    loaded.records = [(i, r) for i, r in loaded.records if i not in loaded.errors]
    if loaded.errors and not loaded.partial:
        raise ValidationError(loaded.messages())
    return loaded


class CheckpointField(fields.Field):
    """`"pending"` until a checkpoint covers the entry, then the size of that checkpoint's tree."""

    def __init__(self, **kwargs: Any) -> None:
        metadata = _doc(
            "待签检查点时为 \"pending\"，之后为覆盖该条目的检查点树大小",
            "\"pending\" until a checkpoint covers the entry, then that checkpoint's tree size",
            oneOf=[{"type": "string", "enum": ["pending"]}, {"type": "integer", "minimum": 1}],
        )
        super().__init__(metadata=metadata, **kwargs)

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> str | int:
        if value is None or value == "pending":
            return "pending"
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"checkpoint must be 'pending' or a tree size, not {value!r}")
        return value


class RecordOut(BaseSchema):
    """The answer for one recorded learning record."""

    id = UrnUuid(metadata=_doc("记录 id", "Record id"))
    index = fields.Integer(metadata=_doc("日志条目序号", "Index of the log entry"))
    credential_url = fields.String(metadata=_doc("凭证地址", "URL of the signed credential"))
    checkpoint = CheckpointField()
    account = UrnUuid(metadata=_doc("学员账户 id", "Learner account id"))
    kind = fields.String(metadata=_doc("成果类型", "Outcome kind"))
    external_ref = fields.String(metadata=_doc("机构自己的记录编号", "The institution's own id"))
    issuer = fields.String(metadata=_doc("签发机构 did", "did of the signing institution key"))
    recognition = fields.String(
        metadata=_doc("认定状态（not_needed 无需认定 / pending 待认定 / recognised 已认定 / rejected 未通过）",
                      "Recognition state: not_needed, pending, recognised, rejected")
    )
    recorded_at = UTCDateTimeField(metadata=_doc("记入日志时间", "Time of the log entry"))


class BatchItemOut(BaseSchema):
    """What became of one item of a batch."""

    item = fields.Integer(metadata=_doc("在批次中的位置（从 0 起）", "Position in the batch, from 0"))
    row = fields.Integer(allow_none=True, metadata=_doc("CSV 行号（表头为第 1 行）", "CSV row number (header = row 1)"))
    ok = fields.Boolean(metadata=_doc("是否已记入", "Whether the record was recorded"))
    record = fields.Nested(RecordOut, allow_none=True)
    errors = fields.List(fields.Dict(), metadata=_doc("逐字段错误", "Field-by-field problems"))


class BatchOut(BaseSchema):
    """Per-item results of a batch."""

    partial = fields.Boolean()  # type: ignore[assignment]  # a field, as above
    recorded = fields.Integer()
    rejected = fields.Integer()
    results = fields.List(fields.Nested(BatchItemOut))


# --------------------------------------------------------------------------- CSV

TOP_COLUMNS = ("account", "kind", "external_ref", "occurred_on")
_OUTCOME_FIELDS: dict[str, set[OutcomeKind]] = {}
for _kind, _schema in _INSTANCES.items():
    for _name in _schema.fields:
        _OUTCOME_FIELDS.setdefault(_name, set()).add(_kind)

_TRUE = {"true", "1", "yes", "y", "是", "合格", "通过"}
_FALSE = {"false", "0", "no", "n", "否", "不合格", "未通过"}
_INT = re.compile(r"[+-]?[0-9]+")


class CsvError(ValidationError):
    """A CSV upload that cannot be read as records: messages keyed `rows.<row number>.<column>`."""


def row_number(index: int) -> int:
    """The CSV row of batch item `index` (the header is row 1)."""
    return index + 2


def rows_from_records(messages: Mapping[str, Any]) -> dict[str, Any]:
    """Batch errors keyed `records.<i>` re-keyed by CSV row (`rows.<i + 2>`), for answering an upload."""
    records = messages.get("records", {})
    out: dict[str, Any] = {k: v for k, v in messages.items() if k != "records"}
    if isinstance(records, Mapping):
        out["rows"] = {row_number(int(i)) if isinstance(i, int) or str(i).isdigit() else i: v for i, v in records.items()}
    elif records:
        out["rows"] = records
    return out


def parse_records_csv(text: str) -> list[dict[str, Any]]:
    """Records from a CSV upload, as JSON-like dicts ready for `RecordIn` / `load_batch`.

    The header names the columns as the JSON does, outcome fields dotted (`outcome.level`). Cells are
    trimmed; an empty cell is an absent field. Values are typed per the row's kind schema: integers
    and booleans (true/false, 1/0, 是/否) become JSON integers and booleans; quantities, dates and text
    stay strings. A value that cannot be typed is passed on as written, so the schema reports it
    against its record (`records.<i>.outcome.level`, i.e. row i + 2). Problems that keep a row from
    being read at all (header, cell count, row count) raise CsvError keyed by row number.
    """
    if text.startswith("\ufeff"):
        text = text[1:]
    if "\x00" in text:
        raise CsvError({"rows": {1: {"_file": ["The file contains NUL characters; send UTF-8 CSV text."]}}})
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    rows: list[list[str]] = []
    try:
        for cells in reader:
            rows.append(cells)
            if len(rows) > MAX_BATCH + 1 + 100:  # far too many rows: stop reading
                break
    except csv.Error as exc:
        raise CsvError({"rows": {len(rows) + 1: {"_row": [f"Malformed CSV: {exc}."]}}}) from exc
    while rows and not any(cell.strip() for cell in rows[-1]):
        rows.pop()  # trailing blank lines
    if not rows:
        raise CsvError({"rows": {1: {"_file": ["The file is empty; the first row must be the header."]}}})
    header = [name.strip() for name in rows[0]]
    problems: dict[int, dict[str, list[str]]] = {}
    header_errors = _check_header(header)
    if header_errors:
        raise CsvError({"rows": {1: header_errors}})
    data_rows = rows[1:]
    if not data_rows:
        raise CsvError({"rows": {1: {"_file": ["The file has a header but no records."]}}})
    if len(data_rows) > MAX_BATCH:
        raise CsvError({"rows": {MAX_BATCH + 2: {"_file": [f"At most {MAX_BATCH} records per upload."]}}})
    records: list[dict[str, Any]] = []
    for offset, cells in enumerate(data_rows):
        number = offset + 2
        if len(cells) != len(header):
            problems[number] = {"_row": [f"Expected {len(header)} cells as in the header, found {len(cells)}."]}
            continue
        records.append(_record_from_cells(header, cells))
    if problems:
        raise CsvError({"rows": problems})
    return records


def _check_header(header: list[str]) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    seen: set[str] = set()
    for name in header:
        if name in seen:
            errors.setdefault(name or "_header", []).append("Duplicate column.")
        seen.add(name)
        if name in TOP_COLUMNS:
            continue
        if name.startswith("outcome.") and name[len("outcome."):] in _OUTCOME_FIELDS:
            continue
        if name == "partial":
            errors.setdefault(name, []).append("Not a column: pass ?partial=true with the upload.")
        else:
            errors.setdefault(name or "_header", []).append("Unknown column.")
    for required in TOP_COLUMNS:
        if required not in seen:
            errors.setdefault(required, []).append("Missing column.")
    return errors


def _record_from_cells(header: list[str], cells: list[str]) -> dict[str, Any]:
    record: dict[str, Any] = {}
    outcome: dict[str, Any] = {}
    for name, cell in zip(header, cells, strict=True):
        value = cell.strip()
        if not value:
            continue
        if name.startswith("outcome."):
            outcome[name[len("outcome."):]] = value
        else:
            record[name] = value
    kind = record.get("kind")
    schema = _INSTANCES[OutcomeKind(kind)] if isinstance(kind, str) and kind in OutcomeKind._value2member_map_ else None
    if schema is not None:
        for name, value in outcome.items():
            target = schema.fields.get(name)
            if isinstance(target, StrictBoolean):
                outcome[name] = _typed_bool(value)
            elif isinstance(target, fields.Integer):
                outcome[name] = int(value) if _INT.fullmatch(value) else value
    record["outcome"] = outcome
    return record


def record_from_fields(values: Mapping[str, str]) -> dict[str, Any]:
    """One record from flat named text values (a web form), typed as a CSV row is: the top columns and
    dotted `outcome.<name>` fields; other names are ignored, empty values are absent fields."""
    names = [n for n in values if n in TOP_COLUMNS or (n.startswith("outcome.") and n[len("outcome."):] in _OUTCOME_FIELDS)]
    return _record_from_cells(names, [str(values[n]) for n in names])


def _typed_bool(value: str) -> bool | str:
    lowered = value.lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    return value


__all__ = [
    "MAX_BATCH",
    "OUTCOME_SCHEMAS",
    "BatchIn",
    "BatchItemOut",
    "BatchOut",
    "CompetitionAwardOutcome",
    "CourseCreditOutcome",
    "CsvError",
    "DegreeOutcome",
    "EnrolmentOutcome",
    "EnterpriseCourseOutcome",
    "HonourOutcome",
    "LoadedBatch",
    "NonDegreeCertOutcome",
    "OnlineCourseOutcome",
    "OutcomeField",
    "PracticeOutcome",
    "RecordIn",
    "RecordOut",
    "SkillLevelOutcome",
    "TrainingOutcome",
    "VocationalQualificationOutcome",
    "dump_outcome",
    "load_batch",
    "load_outcome",
    "parse_records_csv",
    "row_number",
    "rows_from_records",
    "AccountRecordsOut",
    "AccountRecordsQuery",
    "BatchProblemOut",
    "BatchQuery",
    "ContextsOut",
    "CorrectIn",
    "IdempotencyHeaders",
    "JsonDocument",
    "OptionalReasonIn",
    "ProofOut",
    "ProofQuery",
    "ReasonIn",
    "RecogniseIn",
    "RecognitionsOut",
    "RecognitionsQuery",
    "RecordDetailOut",
    "RecordQuery",
]


# --------------------------------------------------------------------------- reading, changes, recognition

RECORD_STATUSES = ("active", "revoked", "suspended", "superseded")
RECOGNITION_STATES = ("not_needed", "pending", "recognised", "rejected")
MAX_REASON = 500


class RecordDetailOut(RecordOut):
    """A record as its learner, its issuer and operators see it (the signed credential is at `credential_url`)."""

    institution = UrnUuid(metadata=_doc("签发机构 id", "Issuing institution id"))
    institution_name = fields.String(allow_none=True, metadata=_doc("签发机构名称", "Issuing institution name"))
    occurred_on = fields.String(metadata=_doc("成果取得日期", "Date the outcome was awarded", format="date"))
    outcome = fields.Dict(metadata=_doc("成果内容（十进制字符串表示数量）", "The outcome as validated (quantities as decimal strings)"))
    status = fields.String(metadata=_doc("状态（active 有效 / revoked 已撤销 / suspended 已暂停 / superseded 已被更正）",
                                         "Status: active, revoked, suspended, superseded", enum=list(RECORD_STATUSES)))
    status_reason = fields.String(allow_none=True, metadata=_doc("状态变更理由", "Reason of the last status change"))
    status_changed_at = UTCDateTimeField(allow_none=True)
    superseded_by = UrnUuid(allow_none=True, metadata=_doc("更正后的记录", "The record that superseded this one"))
    supersedes = UrnUuid(allow_none=True, metadata=_doc("被本记录更正的记录", "The record this one superseded"))
    recognised_by = UrnUuid(allow_none=True, metadata=_doc("认定机构（运营方认定时为空）", "Recognising college (null for operators)"))
    recognised_at = UTCDateTimeField(allow_none=True)
    recognition_note = fields.String(allow_none=True)
    credential_digest = fields.String(metadata=_doc("凭证摘要（日志条目的 digest）", "sha256 of the credential's JCS bytes, as in its entry"))


class RecordQuery(BaseSchema):
    """Why a non-owner reads."""

    reason = Text(load_default=None, validate=validate.Length(min=2, max=MAX_REASON),
                  metadata=_doc("查看理由：学员本人以外必填，学员可见", "Why you read: required for anyone but the learner; shown to the learner"))


class AccountRecordsQuery(RecordQuery):
    """Filters and paging of an account's records (newest first)."""

    kind = fields.String(load_default=None, validate=validate.OneOf([k.value for k in OutcomeKind]),
                         metadata=_doc("成果类型", "Outcome kind"))
    status = fields.String(load_default=None, validate=validate.OneOf(RECORD_STATUSES), metadata=_doc("状态", "Status"))
    since = Day(load_default=None, metadata=_doc("只列出该日期及以后取得的成果", "Only outcomes awarded on or after this date"))
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=500))
    cursor = Text(load_default=None, validate=validate.Length(max=200),
                  metadata=_doc("上一页给出的 next_cursor", "next_cursor of the previous page"))


class AccountRecordsOut(BaseSchema):
    """A page of an account's records with the account's totals; `next_cursor` is null on the last page."""

    account = UrnUuid()
    items = fields.List(fields.Nested(RecordDetailOut))
    next_cursor = fields.String(allow_none=True)
    credit_totals = fields.Dict(
        keys=fields.String(), values=fields.String(),
        metadata=_doc("按成果类型的有效学分合计（十进制字符串；仅计有效且已认定或无需认定的记录，不受筛选影响）",
                      "Credits by kind as decimal strings, of records that count (active; recognised or not needing it), "
                      "whatever the filters"))
    counts = fields.Dict(keys=fields.String(), values=fields.Integer(),
                         metadata=_doc("按成果类型的记录数（所有状态）", "Number of records by kind, any status"))


class ReasonIn(BaseSchema):
    """Why the record is revoked or suspended."""

    reason = Text(required=True, validate=validate.Length(min=1, max=MAX_REASON),
                  metadata=_doc("理由（会进入日志文档，请勿填写个人信息）", "Reason (goes into the entry's document: no personal data)"))


class OptionalReasonIn(BaseSchema):
    """Why a suspension is lifted (optional)."""

    reason = Text(load_default=None, validate=validate.Length(max=MAX_REASON))


class CorrectIn(RecordIn):
    """The corrected record: a new external_ref, the same account (may be left out)."""

    account = UrnUuid(load_default=None, metadata=_doc("学员账户 id（须与被更正记录相同，可不填）",
                                                       "Learner account id (must be the corrected record's; may be left out)"))
    reason = Text(load_default=None, validate=validate.Length(max=MAX_REASON),
                  metadata=_doc("更正理由（默认 superseded）", "Why (default: superseded)"))


class RecogniseIn(BaseSchema):
    """A recognition (认定) decision."""

    decision = fields.String(required=True, validate=validate.OneOf(["recognised", "rejected"]),
                             metadata=_doc("认定结论", "recognised or rejected"))
    reason = Text(load_default=None, validate=validate.Length(max=MAX_REASON),
                  metadata=_doc("理由（不予认定时必填；进入日志文档，请勿填写个人信息）",
                                "Reason (required to reject; goes into the entry's document: no personal data)"))
    note = Text(load_default=None, validate=validate.Length(max=MAX_REASON),
                metadata=_doc("内部备注（只存银行）", "Internal note (kept by the bank)"))


class RecognitionsQuery(BaseSchema):
    """Which recognition state to list (oldest first)."""

    status = fields.String(load_default="pending", validate=validate.OneOf(RECOGNITION_STATES[1:]))
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=500))
    cursor = Text(load_default=None, validate=validate.Length(max=200))


class RecognitionsOut(BaseSchema):
    """A page of records awaiting (or past) recognition."""

    items = fields.List(fields.Nested(RecordDetailOut))
    next_cursor = fields.String(allow_none=True)


class BatchQuery(BaseSchema):
    """`partial` for CSV uploads (a JSON body says it in the body; the query parameter wins if given)."""

    partial = fields.Boolean(load_default=None, metadata=_doc("为 true 时只记入有效记录", "If true, record exactly the valid records"))


class IdempotencyHeaders(BaseSchema):
    """`Idempotency-Key`: a replay with the same body answers with the first answer; another body is a 409."""

    class Meta:
        unknown = EXCLUDE

    idempotency_key = fields.String(
        data_key="Idempotency-Key", load_default=None, validate=[validate.Length(min=1, max=200),
                                                                FullMatch(r"^[\x21-\x7e]+$")],
        metadata=_doc("幂等键（每个客户端独立；24 小时内有效）", "Idempotency key, per client, kept 24 hours",
                      pattern=r"^[\x21-\x7e]+$"))


class ProofQuery(BaseSchema):
    """How long to wait for a checkpoint that covers the entry."""

    wait = fields.Float(load_default=0, validate=validate.Range(min=0, max=10),
                        metadata=_doc("最多等待秒数（0–10）", "Seconds to wait for a covering checkpoint, 0–10"))


class ProofOut(BaseSchema):
    """The record's entry, its inclusion proof and the signed checkpoint the proof is against."""

    record = UrnUuid()
    index = fields.Integer()
    credential_digest = fields.String()
    inclusion = fields.Nested(InclusionOut)
    checkpoint = fields.String(metadata=_doc("签名检查点（signed note 文本）", "The signed checkpoint note text"))


class JsonDocument(Schema):
    """A JSON-LD document exactly as signed (any members)."""

    class Meta:
        unknown = INCLUDE


class ContextsOut(Schema):
    """Context URL → context document, for every context beyond the standard W3C and Open Badges ones."""

    class Meta:
        unknown = INCLUDE


class BatchProblemOut(ProblemSchema):
    """A refused batch (`partial: false` and some record refused): nothing was recorded; each item's problems.

    `errors` name fields by dotted path (`records.3.outcome.level`; for CSV uploads `rows.5.outcome.level`,
    the header being row 1); `results` has one item per record, in order.
    """

    partial = fields.Boolean()  # type: ignore[assignment]  # a field, as above
    recorded = fields.Integer()
    rejected = fields.Integer()
    results = fields.List(fields.Nested(BatchItemOut))
