"""A learning record as an Open Badges 3.0 `OpenBadgeCredential`, and as a conversion-engine `Outcome`.

Pure functions. `build_credential` maps each outcome kind onto terms of the VC 2.0 and OB 3.0.3 contexts
only (DESIGN.md §4), so verifiers that bundle just those contexts (DCC verifier-core, the Learner
Credential Wallet) verify it offline; whatever has no OB term (subject keys, organiser type as data,
event ids, attendance flags, student numbers, verification codes …) stays in the bank's record. The
subject is the account id: no national ID, name or phone of the learner ever enters a credential.

Mapping (achievement = `credentialSubject.achievement`, subject = `credentialSubject`):

| kind | achievementType | notable terms |
|---|---|---|
| course_credit | Course | humanCode, creditsAvailable/creditsEarned, term, score Result |
| skill_level | Certification | occupation Alignment, ResultDescription with the five RubricCriterionLevels, achievedLevel |
| vocational_qualification | License | occupation Alignment, level rubric when it has a level |
| training | CertificateOfCompletion | hours and score Results, status Completed/Failed |
| competition_award | Award | rank rubric (一等奖 … 优秀奖) + achievedLevel, role = team role |
| practice | Fieldwork | role = post, hours/years Results |
| online_course | Course | attendance (Percent), score, hours Results; credits when given |
| enterprise_course | Course | as online_course |
| non_degree_cert | Certificate | scheme and level in name/tag/humanCode |
| degree | Diploma | fieldOfStudy, humanCode = major code, major Alignment, status Completed |
| enrolment | LearningProgram | fieldOfStudy, major Alignment, status Enrolled |
| honour | Award | tag with type and level |

Certificate numbers go to `licenseNumber`; `occurred_on` to `awardedDate`; a certificate's own end of
validity to `validUntil`. Quantities are JSON numbers inside credentials (ints when whole, else floats)
and decimal strings everywhere else.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping
from decimal import Decimal
from typing import Any
from urllib.parse import quote

from credentials.dataintegrity import format_datetime
from ledger.conversion.model import (
    AwardScope,
    EntryType,
    IssuerKind,
    OrganiserType,
    Outcome,
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
    SCHEME_NAMES_ZH,
    SKILL_LEVEL_NAMES_ZH,
    TEAM_ROLE_NAMES_ZH,
    HonourLevel,
    HonourType,
)

VC_V2_CONTEXT = "https://www.w3.org/ns/credentials/v2"
OB_V3P0_CONTEXT = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
CONTEXTS = (VC_V2_CONTEXT, OB_V3P0_CONTEXT)
LANGUAGE = "zh-CN"

OCCUPATION_FRAMEWORK = "中华人民共和国职业分类大典（2022年版）"
MAJOR_FRAMEWORKS = {
    ProgrammeLevel.ZHUANKE: "职业教育专业目录（2021年）",
    ProgrammeLevel.VOCATIONAL_BENKE: "职业教育专业目录（2021年）",
    ProgrammeLevel.BENKE: "普通高等学校本科专业目录",
}

ACHIEVEMENT_TYPES: dict[OutcomeKind, str] = {
    OutcomeKind.COURSE_CREDIT: "Course",
    OutcomeKind.SKILL_LEVEL: "Certification",
    OutcomeKind.VOCATIONAL_QUALIFICATION: "License",
    OutcomeKind.TRAINING: "CertificateOfCompletion",
    OutcomeKind.COMPETITION_AWARD: "Award",
    OutcomeKind.PRACTICE: "Fieldwork",
    OutcomeKind.ONLINE_COURSE: "Course",
    OutcomeKind.ENTERPRISE_COURSE: "Course",
    OutcomeKind.NON_DEGREE_CERT: "Certificate",
    OutcomeKind.DEGREE: "Diploma",
    OutcomeKind.ENROLMENT: "LearningProgram",
    OutcomeKind.HONOUR: "Award",
}

# Outcome fields the conversion engine reads, under the same names on the wire.
ENGINE_FIELDS = (
    "expires_on",
    "level",
    "scheme",
    "scheme_level",
    "occupation_code",
    "award_scope",
    "award_rank",
    "organiser_type",
    "team_role",
    "event_id",
    "hours",
    "score",
    "attendance",
    "passed",
    "credits",
    "course_code",
    "course_name",
    "subject_area",
    "practice_years",
)
_QUANTITIES = frozenset({"credits", "hours", "score", "attendance", "practice_years"})
_DATES = frozenset({"expires_on", "started_on", "ended_on", "enrolled_on"})
_ENUMS: dict[str, type] = {
    "award_scope": AwardScope,
    "organiser_type": OrganiserType,
    "team_role": TeamRole,
    "education_level": ProgrammeLevel,
    "entry_type": EntryType,
    "honour_type": HonourType,
    "honour_level": HonourLevel,
}


class RecordMappingError(ValueError):
    """An outcome lacks what its kind needs to be mapped (the wire schema should have refused it)."""


# --------------------------------------------------------------------------- typed outcomes


def typed_outcome(outcome: Mapping[str, Any]) -> dict[str, Any]:
    """The outcome with Decimal quantities, dates and enums, whether given typed or as stored JSON."""
    typed: dict[str, Any] = {}
    for name, value in outcome.items():
        if value is None:
            continue
        if name in _QUANTITIES:
            if isinstance(value, float) or isinstance(value, bool):
                raise RecordMappingError(f"{name} must be a decimal, not {value!r}")
            value = Decimal(str(value))
        elif name in _DATES and isinstance(value, str):
            value = dt.date.fromisoformat(value)
        elif name in _ENUMS:
            value = _ENUMS[name](value)
        typed[name] = value
    return typed


def _need(outcome: Mapping[str, Any], name: str, kind: OutcomeKind) -> Any:
    value = outcome.get(name)
    if value is None:
        raise RecordMappingError(f"a {kind.value} outcome needs {name}")
    return value


# --------------------------------------------------------------------------- JSON helpers


def json_number(value: Decimal | int) -> int | float:
    """A credential's JSON number: an int when whole, else the nearest float (2.5, 0.75)."""
    value = Decimal(value)
    if value == value.to_integral_value():
        return int(value)
    return float(value)


def _plain(value: Decimal) -> str:
    """A decimal as plain digits without trailing zeros ("87", "87.5")."""
    text = format(value.normalize(), "f")
    return text


def _moment(day: dt.date) -> str:
    """An xsd:dateTime for a calendar date (midnight UTC), as the OB examples write activity dates."""
    return f"{day.isoformat()}T00:00:00Z"


def _seg(text: str) -> str:
    return quote(str(text), safe="")


def _check_base(base: str) -> str:
    if not isinstance(base, str) or not (base.startswith(("https://", "http://")) or base.startswith("urn:")):
        raise RecordMappingError(f"achievement_id_base must be an absolute http(s) URL or URN, not {base!r}")
    return base.rstrip("/")


# --------------------------------------------------------------------------- OB building blocks


def _alignment(url: str, name: str, code: str, framework: str, target_type: str) -> dict[str, Any]:
    return {
        "type": ["Alignment"],
        "targetName": name,
        "targetCode": code,
        "targetFramework": framework,
        "targetType": target_type,
        "targetUrl": url,
    }


def _occupation_alignment(base: str, code: str, name: str | None) -> dict[str, Any]:
    return _alignment(
        f"{base}/frameworks/occupations/{_seg(code)}", name or code, code, OCCUPATION_FRAMEWORK, "ext:Occupation"
    )


def _major_alignment(base: str, level: ProgrammeLevel, code: str, name: str) -> dict[str, Any]:
    return _alignment(
        f"{base}/frameworks/majors/{level.value}/{_seg(code)}", name, code, MAJOR_FRAMEWORKS[level], "ext:Major"
    )


def _rubric(rd_id: str, name: str, levels: list[tuple[str, str, str]]) -> dict[str, Any]:
    """A ResultDescription of rubric levels [(id, name, level)]."""
    return {
        "id": rd_id,
        "type": ["ResultDescription"],
        "name": name,
        "resultType": "RubricCriterionLevel",
        "rubricCriterionLevel": [
            {"id": level_id, "type": ["RubricCriterionLevel"], "name": level_name, "level": level}
            for level_id, level_name, level in levels
        ],
    }


def _skill_rubric(achievement_id: str) -> dict[str, Any]:
    levels = [(f"{achievement_id}#level-{n}", SKILL_LEVEL_NAMES_ZH[n], str(n)) for n in (5, 4, 3, 2, 1)]
    return _rubric(f"{achievement_id}#level", "职业技能等级 (skill level)", levels)


def _rank_rubric(achievement_id: str) -> dict[str, Any]:
    levels = [(f"{achievement_id}#rank-{n}", name, str(n)) for n, name in AWARD_RANK_NAMES_ZH.items()]
    return _rubric(f"{achievement_id}#rank", "获奖等次 (award rank)", levels)


def _value_description(rd_id: str, name: str, result_type: str, value_min: str, value_max: str) -> dict[str, Any]:
    return {
        "id": rd_id,
        "type": ["ResultDescription"],
        "name": name,
        "resultType": result_type,
        "valueMin": value_min,
        "valueMax": value_max,
    }


def _result(**terms: Any) -> dict[str, Any]:
    return {"type": ["Result"], **terms}


class _Parts:
    """The pieces one kind contributes to achievement and subject."""

    def __init__(self, achievement_id: str) -> None:
        self.achievement_id = achievement_id
        self.descriptions: list[dict[str, Any]] = []
        self.results: list[dict[str, Any]] = []

    def score(self, score: Decimal | None) -> None:
        if score is None:
            return
        rd_id = f"{self.achievement_id}#score"
        self.descriptions.append(_value_description(rd_id, "成绩 (score, 0–100)", "RawScore", "0", "100"))
        self.results.append(_result(resultDescription=rd_id, value=_plain(score)))

    def hours(self, hours: Decimal | None, name: str = "学时 (hours)") -> None:
        if hours is None:
            return
        rd_id = f"{self.achievement_id}#hours"
        self.descriptions.append(_value_description(rd_id, name, "ext:Hours", "0", "99999.99"))
        self.results.append(_result(resultDescription=rd_id, value=_plain(hours)))

    def years(self, years: Decimal | None) -> None:
        if years is None:
            return
        rd_id = f"{self.achievement_id}#years"
        self.descriptions.append(_value_description(rd_id, "工作年限 (years in post)", "ext:Years", "0", "99.99"))
        self.results.append(_result(resultDescription=rd_id, value=_plain(years)))

    def attendance(self, share: Decimal | None) -> None:
        if share is None:
            return
        rd_id = f"{self.achievement_id}#attendance"
        self.descriptions.append(_value_description(rd_id, "出勤率 (attendance, %)", "Percent", "0", "100"))
        self.results.append(_result(resultDescription=rd_id, value=_plain(share * 100)))

    def grade(self, grade: str | None) -> None:
        if grade is None:
            return
        rd_id = f"{self.achievement_id}#grade"
        self.descriptions.append(
            {
                "id": rd_id,
                "type": ["ResultDescription"],
                "name": "等级成绩 (grade)",
                "resultType": "LetterGrade",
                "allowedValue": list(GRADES),
            }
        )
        self.results.append(_result(resultDescription=rd_id, value=grade))

    def status(self, passed: bool | None) -> None:
        if passed is not None:
            self.results.append(_result(status="Completed" if passed else "Failed"))


# --------------------------------------------------------------------------- the credential


def build_credential(
    *,
    record_id: uuid.UUID | str,
    account_id: uuid.UUID | str,
    kind: OutcomeKind | str,
    outcome: Mapping[str, Any],
    occurred_on: dt.date,
    issuer_did: str,
    issuer_name: str,
    issuer_url: str | None = None,
    valid_from: dt.datetime,
    status: dict[str, Any] | list[dict[str, Any]] | None = None,
    achievement_id_base: str,
) -> dict[str, Any]:
    """The unsigned VC 2.0 OpenBadgeCredential of one learning record (sign it with `dataintegrity.sign`).

    `outcome` is the validated outcome of `kind`, typed or as stored JSON. `achievement_id_base` is an
    absolute URL (or URN) under which this issuer's achievements get stable ids, e.g.
    `{public_url}/api/v1/institutions/{institution id}/achievements`; alignment targets are named under
    `{base}/frameworks/…`. `status` is a BitstringStatusListEntry, or a list of them (revocation and
    suspension). Raises RecordMappingError if the outcome lacks what its kind needs.
    """
    kind = OutcomeKind(kind)
    typed = typed_outcome(outcome)
    base = _check_base(achievement_id_base)
    achievement, subject, extra = _MAPPERS[kind](typed, base, kind)
    achievement = {
        "id": achievement["id"],
        "type": ["Achievement"],
        "achievementType": ACHIEVEMENT_TYPES[kind],
        **{k: v for k, v in achievement.items() if k != "id"},
        "inLanguage": LANGUAGE,
    }
    achievement["tag"] = [KIND_NAMES_ZH[kind], *achievement.get("tag", [])]
    for key in ("started_on", "ended_on"):
        if typed.get(key) is not None:
            subject["activityStartDate" if key == "started_on" else "activityEndDate"] = _moment(typed[key])
    if typed.get("certificate_no"):
        subject["licenseNumber"] = typed["certificate_no"]
    credential_subject = {
        "id": _urn(account_id),
        "type": ["AchievementSubject"],
        "achievement": achievement,
        **subject,
    }
    issuer: dict[str, Any] = {"id": issuer_did, "type": ["Profile"], "name": issuer_name}
    if issuer_url:
        issuer["url"] = issuer_url
    credential: dict[str, Any] = {
        "@context": list(CONTEXTS),
        "id": _urn(record_id),
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "name": extra["name"],
        "issuer": issuer,
        "validFrom": format_datetime(valid_from),
    }
    if typed.get("expires_on") is not None:
        credential["validUntil"] = f"{typed['expires_on'].isoformat()}T23:59:59Z"
    credential["awardedDate"] = _moment(occurred_on)
    credential["credentialSubject"] = credential_subject
    if status:
        credential["credentialStatus"] = status
    return credential


def _urn(value: uuid.UUID | str) -> str:
    text = str(value)
    if text.lower().startswith("urn:uuid:"):
        text = text[9:]
    return f"urn:uuid:{uuid.UUID(text)}"


Mapped = tuple[dict[str, Any], dict[str, Any], dict[str, Any]]


def _finish(parts: _Parts, achievement: dict[str, Any], subject: dict[str, Any]) -> None:
    if parts.descriptions:
        achievement["resultDescription"] = parts.descriptions
    if parts.results:
        subject["result"] = parts.results


def _course_credit(o: dict[str, Any], base: str, kind: OutcomeKind) -> Mapped:
    code, name, credits = _need(o, "course_code", kind), _need(o, "course_name", kind), _need(o, "credits", kind)
    aid = f"{base}/courses/{_seg(code)}"
    hours = f"，{_plain(o['hours'])} 学时" if o.get("hours") is not None else ""
    achievement = {
        "id": aid,
        "name": name,
        "description": f"学历教育课程《{name}》（课程代码 {code}），{_plain(credits)} 学分{hours}。",
        "criteria": {"narrative": "修完课程并通过考核，取得相应学分。"},
        "humanCode": code,
        "creditsAvailable": json_number(credits),
    }
    subject: dict[str, Any] = {"creditsEarned": json_number(credits)}
    if o.get("term"):
        subject["term"] = o["term"]
    parts = _Parts(aid)
    parts.score(o.get("score"))
    parts.grade(o.get("grade"))
    parts.results.insert(0, _result(status="Completed"))
    _finish(parts, achievement, subject)
    return achievement, subject, {"name": f"{name}（{_plain(credits)} 学分）"}


def _levelled(
    o: dict[str, Any], base: str, kind: OutcomeKind, aid: str, name: str, certificate: str
) -> tuple[dict[str, Any], dict[str, Any], str]:
    """Achievement and subject parts shared by skill levels and vocational qualifications."""
    achievement: dict[str, Any] = {"id": aid, "name": name}
    subject: dict[str, Any] = {}
    level = o.get("level")
    occupation = o.get("occupation_code")
    occupation_name = o.get("occupation_name")
    scheme = o.get("scheme")
    text = f"{certificate}：{name}"
    if occupation:
        text += f"（职业编码 {occupation}）"
        achievement["alignment"] = [_occupation_alignment(base, occupation, occupation_name)]
    tags = [scheme] if scheme else []
    if level is not None:
        text += f"，等级分为五级/初级工至一级/高级技师，本证书为{SKILL_LEVEL_NAMES_ZH[level]}"
        achievement["resultDescription"] = [_skill_rubric(aid)]
        subject["result"] = [_result(resultDescription=f"{aid}#level", achievedLevel=f"{aid}#level-{level}")]
        tags.append(SKILL_LEVEL_NAMES_ZH[level])
    achievement["description"] = text + "。"
    achievement["criteria"] = {"narrative": "按国家职业标准考核合格，经评价机构认定后颁发证书。"}
    if tags:
        achievement["tag"] = tags
    display = f"{name} {SKILL_LEVEL_NAMES_ZH[level]}" if level is not None else name
    return achievement, subject, display


def _skill_level(o: dict[str, Any], base: str, kind: OutcomeKind) -> Mapped:
    code = _need(o, "occupation_code", kind)
    occupation_name = _need(o, "occupation_name", kind)
    _need(o, "level", kind)
    certificate = "职业资格证书" if o.get("scheme") == "职业资格" else "职业技能等级证书"
    aid = f"{base}/skill-levels/{_seg(code)}"
    achievement, subject, display = _levelled(o, base, kind, aid, f"{occupation_name}{certificate}", certificate)
    achievement["specialization"] = occupation_name
    return achievement, subject, {"name": display}


def _vocational_qualification(o: dict[str, Any], base: str, kind: OutcomeKind) -> Mapped:
    name = _need(o, "qualification_name", kind)
    aid = f"{base}/qualifications/{_seg(name)}"
    achievement, subject, display = _levelled(o, base, kind, aid, name, "职业资格证书")
    return achievement, subject, {"name": display}


def _training(o: dict[str, Any], base: str, kind: OutcomeKind) -> Mapped:
    name, hours, passed = _need(o, "course_name", kind), _need(o, "hours", kind), _need(o, "passed", kind)
    aid = f"{base}/trainings/{_seg(name)}"
    achievement: dict[str, Any] = {
        "id": aid,
        "name": name,
        "description": f"职业培训《{name}》，共 {_plain(hours)} 学时。",
        "criteria": {"narrative": f"完成 {_plain(hours)} 学时培训并通过结业考核。"},
    }
    if o.get("occupation_code"):
        achievement["alignment"] = [_occupation_alignment(base, o["occupation_code"], None)]
    subject: dict[str, Any] = {}
    parts = _Parts(aid)
    parts.status(passed)
    parts.hours(hours, "培训学时 (training hours)")
    parts.score(o.get("score"))
    _finish(parts, achievement, subject)
    verdict = "培训合格" if passed else "培训未通过考核"
    return achievement, subject, {"name": f"{name}（{verdict}）"}


def _competition_award(o: dict[str, Any], base: str, kind: OutcomeKind) -> Mapped:
    event, event_id = _need(o, "event_name", kind), _need(o, "event_id", kind)
    scope: AwardScope = _need(o, "award_scope", kind)
    rank: int = _need(o, "award_rank", kind)
    organiser: OrganiserType = _need(o, "organiser_type", kind)
    role: TeamRole = _need(o, "team_role", kind)
    aid = f"{base}/competitions/{_seg(event_id)}"
    organiser_text = ORGANISER_TYPE_NAMES_ZH[organiser]
    if o.get("organiser_name"):
        organiser_text += f"「{o['organiser_name']}」"
    achievement: dict[str, Any] = {
        "id": aid,
        "name": event,
        "description": f"{AWARD_SCOPE_NAMES_ZH[scope]}技能竞赛《{event}》，由{organiser_text}主办。",
        "criteria": {"narrative": "在竞赛中按成绩名次评定奖项等次（一等奖、二等奖、三等奖、优秀奖）。"},
        "tag": [AWARD_SCOPE_NAMES_ZH[scope], AWARD_RANK_NAMES_ZH[rank]],
        "resultDescription": [_rank_rubric(aid)],
    }
    if o.get("occupation_code"):
        achievement["alignment"] = [_occupation_alignment(base, o["occupation_code"], None)]
    subject = {
        "role": TEAM_ROLE_NAMES_ZH[role],
        "result": [_result(resultDescription=f"{aid}#rank", achievedLevel=f"{aid}#rank-{rank}")],
    }
    return achievement, subject, {"name": f"{event} {AWARD_RANK_NAMES_ZH[rank]}"}


def _practice(o: dict[str, Any], base: str, kind: OutcomeKind) -> Mapped:
    employer, post = _need(o, "employer", kind), _need(o, "post", kind)
    aid = f"{base}/practice/{_seg(employer)}/{_seg(post)}"
    attested = "，经用人单位书面证明" if o.get("attested") else ""
    achievement: dict[str, Any] = {
        "id": aid,
        "name": f"{post}岗位实践",
        "description": f"在{employer}从事{post}岗位的实践(实习)经历{attested}。",
        "criteria": {"narrative": "在岗位上完成规定的实践时长或工作年限，由用人单位证明。"},
    }
    if o.get("scheme"):
        achievement["tag"] = [o["scheme"]]
    if o.get("occupation_code"):
        achievement["alignment"] = [_occupation_alignment(base, o["occupation_code"], None)]
    subject: dict[str, Any] = {"role": post}
    parts = _Parts(aid)
    parts.status(o.get("passed"))
    parts.hours(o.get("hours"), "实践时长 (hours)")
    parts.years(o.get("practice_years"))
    parts.score(o.get("score"))
    _finish(parts, achievement, subject)
    return achievement, subject, {"name": f"{employer} {post}岗位实践"}


def _course_like(o: dict[str, Any], base: str, kind: OutcomeKind) -> Mapped:
    name, hours = _need(o, "course_name", kind), _need(o, "hours", kind)
    code = o.get("course_code")
    if kind == OutcomeKind.ONLINE_COURSE:
        platform = _need(o, "platform", kind)
        aid = f"{base}/online-courses/{_seg(platform)}/{_seg(code or name)}"
        where = f"{platform} 网络课程"
    else:
        aid = f"{base}/enterprise-courses/{_seg(code or name)}"
        where = "企业内训课程"
    achievement: dict[str, Any] = {
        "id": aid,
        "name": name,
        "description": f"{where}《{name}》，共 {_plain(hours)} 学时。",
        "criteria": {"narrative": "完成课程学习并参加考核。"},
    }
    if code:
        achievement["humanCode"] = code
    subject: dict[str, Any] = {}
    if o.get("credits") is not None:
        achievement["creditsAvailable"] = json_number(o["credits"])
        subject["creditsEarned"] = json_number(o["credits"])
    if o.get("occupation_code"):
        achievement["alignment"] = [_occupation_alignment(base, o["occupation_code"], None)]
    parts = _Parts(aid)
    parts.status(o.get("passed"))
    parts.hours(hours)
    parts.attendance(o.get("attendance"))
    parts.score(o.get("score"))
    _finish(parts, achievement, subject)
    return achievement, subject, {"name": f"{name}（{_plain(hours)} 学时）"}


def _non_degree_cert(o: dict[str, Any], base: str, kind: OutcomeKind) -> Mapped:
    scheme, name = _need(o, "scheme", kind), _need(o, "certificate_name", kind)
    level = o.get("scheme_level")
    aid = f"{base}/certificates/{_seg(scheme)}/{_seg(name)}" + (f"/{_seg(level)}" if level else "")
    scheme_text = SCHEME_NAMES_ZH.get(scheme, scheme)
    full = f"{name} {level}" if level else name
    achievement: dict[str, Any] = {
        "id": aid,
        "name": f"{scheme} {full}",
        "description": f"{scheme_text}：{full}。",
        "criteria": {"narrative": f"通过{scheme_text}{level or ''}考试或考核。"},
        "tag": [scheme, *([level] if level else [])],
    }
    if level:
        achievement["humanCode"] = f"{scheme} {level}"
    if o.get("occupation_code"):
        achievement["alignment"] = [_occupation_alignment(base, o["occupation_code"], None)]
    subject: dict[str, Any] = {}
    parts = _Parts(aid)
    parts.score(o.get("score"))
    _finish(parts, achievement, subject)
    return achievement, subject, {"name": f"{scheme} {full}"}


def _degree(o: dict[str, Any], base: str, kind: OutcomeKind) -> Mapped:
    level: ProgrammeLevel = _need(o, "education_level", kind)
    code, major = _need(o, "major_code", kind), _need(o, "major_name", kind)
    _need(o, "certificate_no", kind)
    level_zh = EDUCATION_LEVEL_NAMES_ZH[level]
    aid = f"{base}/diplomas/{level.value}/{_seg(code)}"
    tags = [level_zh]
    if o.get("entry_type") is not None:
        tags.append(ENTRY_TYPE_NAMES_ZH[o["entry_type"]])
    if o.get("degree_conferred"):
        tags.append("学士学位")
    achievement = {
        "id": aid,
        "name": f"{major}专业{level_zh}毕业证书",
        "description": f"{level_zh}学历教育，{major}专业（专业代码 {code}）毕业。",
        "criteria": {"narrative": "修满专业培养方案规定的学分，成绩合格，准予毕业。"},
        "humanCode": code,
        "fieldOfStudy": major,
        "alignment": [_major_alignment(base, level, code, major)],
        "tag": tags,
    }
    subject = {"result": [_result(status="Completed")]}
    return achievement, subject, {"name": f"{major}专业{level_zh}毕业证书"}


def _enrolment(o: dict[str, Any], base: str, kind: OutcomeKind) -> Mapped:
    college = _need(o, "college", kind)
    level: ProgrammeLevel = _need(o, "education_level", kind)
    entry: EntryType = _need(o, "entry_type", kind)
    code, major = _need(o, "major_code", kind), _need(o, "major_name", kind)
    enrolled_on: dt.date = _need(o, "enrolled_on", kind)
    level_zh, entry_zh = EDUCATION_LEVEL_NAMES_ZH[level], ENTRY_TYPE_NAMES_ZH[entry]
    aid = f"{base}/programmes/{level.value}/{entry.value}/{_seg(code)}"
    mode = f"，{o['study_mode']}" if o.get("study_mode") else ""
    achievement = {
        "id": aid,
        "name": f"{college} {major}专业（{level_zh}，{entry_zh}）",
        "description": f"在{college}{major}专业（专业代码 {code}）注册{level_zh}学籍，入学类型{entry_zh}{mode}。",
        "criteria": {"narrative": "经录取并注册取得学籍。"},
        "humanCode": code,
        "fieldOfStudy": major,
        "alignment": [_major_alignment(base, level, code, major)],
        "tag": [level_zh, entry_zh],
    }
    subject = {"activityStartDate": _moment(enrolled_on), "result": [_result(status="Enrolled")]}
    return achievement, subject, {"name": f"学籍：{college} {major}（{level_zh}）"}


def _honour(o: dict[str, Any], base: str, kind: OutcomeKind) -> Mapped:
    honour: HonourType = _need(o, "honour_type", kind)
    level: HonourLevel = _need(o, "honour_level", kind)
    name = _need(o, "honour_name", kind)
    by = f"，由{o['awarded_by']}授予" if o.get("awarded_by") else ""
    aid = f"{base}/honours/{_seg(name)}"
    achievement = {
        "id": aid,
        "name": name,
        "description": f"{HONOUR_LEVEL_NAMES_ZH[level]}{HONOUR_TYPE_NAMES_ZH[honour]}荣誉称号「{name}」{by}。",
        "criteria": {"narrative": "经评选表彰授予荣誉称号。"},
        "tag": [HONOUR_TYPE_NAMES_ZH[honour], HONOUR_LEVEL_NAMES_ZH[level]],
    }
    return achievement, {}, {"name": name}


_MAPPERS = {
    OutcomeKind.COURSE_CREDIT: _course_credit,
    OutcomeKind.SKILL_LEVEL: _skill_level,
    OutcomeKind.VOCATIONAL_QUALIFICATION: _vocational_qualification,
    OutcomeKind.TRAINING: _training,
    OutcomeKind.COMPETITION_AWARD: _competition_award,
    OutcomeKind.PRACTICE: _practice,
    OutcomeKind.ONLINE_COURSE: _course_like,
    OutcomeKind.ENTERPRISE_COURSE: _course_like,
    OutcomeKind.NON_DEGREE_CERT: _non_degree_cert,
    OutcomeKind.DEGREE: _degree,
    OutcomeKind.ENROLMENT: _enrolment,
    OutcomeKind.HONOUR: _honour,
}


# --------------------------------------------------------------------------- the engine's view


def outcome_from_record(
    kind: OutcomeKind | str,
    outcome: Mapping[str, Any],
    *,
    record_id: uuid.UUID | str,
    occurred_on: dt.date,
    issuer_id: str,
    issuer_kind: IssuerKind | str,
    recognised: bool,
    revoked: bool,
    institution_id: str | None = None,
) -> Outcome:
    """The conversion engine's `Outcome` for a stored record: the engine's fields, copied by name.

    `recognised` is whether the record counts now (recognition done, or not needed: see
    `needs_recognition`). `institution_id` is the college where course credits were earned, for
    mutual-recognition agreements; it defaults to `issuer_id` for course credits.
    """
    kind = OutcomeKind(kind)
    typed = typed_outcome(outcome)
    values = {name: typed[name] for name in ENGINE_FIELDS if name in typed}
    if kind == OutcomeKind.COURSE_CREDIT:
        values["institution_id"] = institution_id or issuer_id
    elif institution_id is not None:
        values["institution_id"] = institution_id
    return Outcome(
        id=_urn(record_id),
        kind=kind,
        issued_on=occurred_on,
        issuer_id=issuer_id,
        issuer_kind=IssuerKind(issuer_kind),
        recognised=recognised,
        revoked=revoked,
        **values,
    )


def needs_recognition(kind: OutcomeKind | str, issuer_kind: IssuerKind | str) -> bool:
    """Whether an outcome must be recognised (认定) before it counts (DOMAIN.md).

    Colleges' records count as posted: course credits, diplomas and enrolments are theirs to state, and
    a college is itself an authorised recognising body for the non-degree outcomes it issues. Every
    outcome from another body (training and appraisal bodies, competition organisers, enterprises)
    is a non-degree outcome, or a degree outcome it has no authority to state alone, and needs 认定.
    """
    OutcomeKind(kind)  # refuse unknown kinds
    return IssuerKind(issuer_kind) != IssuerKind.COLLEGE


__all__ = [
    "ACHIEVEMENT_TYPES",
    "CONTEXTS",
    "ENGINE_FIELDS",
    "OB_V3P0_CONTEXT",
    "VC_V2_CONTEXT",
    "RecordMappingError",
    "build_credential",
    "json_number",
    "needs_recognition",
    "outcome_from_record",
    "typed_outcome",
]
