"""Learning records: the vocabulary of outcome kinds and their fields, with the Chinese names people use.

Pure data shared by the wire schemas (`schemas/records.py`), the credential builder
(`ledger/records/credential.py`) and the pages. Enumerations the conversion engine already defines
(`OutcomeKind`, `IssuerKind`, `AwardScope`, `OrganiserType`, `TeamRole`, `ProgrammeLevel`, `EntryType`)
are reused, not copied.
"""

from __future__ import annotations

from enum import StrEnum

from ledger.conversion.model import (
    AwardScope,
    EntryType,
    IssuerKind,
    OrganiserType,
    OutcomeKind,
    ProgrammeLevel,
    TeamRole,
)

KIND_NAMES_ZH: dict[OutcomeKind, str] = {
    OutcomeKind.COURSE_CREDIT: "学历教育课程学分",
    OutcomeKind.SKILL_LEVEL: "职业技能等级证书",
    OutcomeKind.VOCATIONAL_QUALIFICATION: "职业资格证书",
    OutcomeKind.TRAINING: "职业培训证书",
    OutcomeKind.COMPETITION_AWARD: "技能竞赛获奖",
    OutcomeKind.PRACTICE: "实践(实习)经历",
    OutcomeKind.ONLINE_COURSE: "网络课程",
    OutcomeKind.ENTERPRISE_COURSE: "企业内训课程",
    OutcomeKind.NON_DEGREE_CERT: "非学历证书",
    OutcomeKind.DEGREE: "毕业证书",
    OutcomeKind.ENROLMENT: "学籍",
    OutcomeKind.HONOUR: "荣誉称号",
}

# Kinds that belong to degree education (学历教育); everything else is a non-degree outcome.
DEGREE_KINDS: frozenset[OutcomeKind] = frozenset(
    {OutcomeKind.COURSE_CREDIT, OutcomeKind.DEGREE, OutcomeKind.ENROLMENT}
)

ISSUER_KIND_NAMES_ZH: dict[IssuerKind, str] = {
    IssuerKind.COLLEGE: "院校",
    IssuerKind.TRAINING_BODY: "培训机构",
    IssuerKind.APPRAISAL_BODY: "评价机构",
    IssuerKind.COMPETITION_ORGANISER: "竞赛组织单位",
    IssuerKind.ENTERPRISE: "企业",
}

# The five levels of 职业技能等级 / 职业资格; 1 is the highest (lower number, higher level).
SKILL_LEVEL_NAMES_ZH: dict[int, str] = {
    5: "五级/初级工",
    4: "四级/中级工",
    3: "三级/高级工",
    2: "二级/技师",
    1: "一级/高级技师",
}
SKILL_LEVEL_NAMES_EN: dict[int, str] = {
    5: "Level 5 (junior worker)",
    4: "Level 4 (intermediate worker)",
    3: "Level 3 (senior worker)",
    2: "Level 2 (technician)",
    1: "Level 1 (senior technician)",
}
SKILL_SCHEMES: tuple[str, ...] = ("职业技能等级", "职业资格")

AWARD_SCOPE_NAMES_ZH: dict[AwardScope, str] = {
    AwardScope.NATIONAL: "国家级",
    AwardScope.PROVINCIAL: "省级",
    AwardScope.INDUSTRY: "行业级",
    AwardScope.MUNICIPAL: "市级",
    AwardScope.ENTERPRISE: "企业级",
}
# 1–3: 一、二、三等奖 (gold, silver, bronze); 4: 优秀奖/优胜奖 (excellence), which no default rule converts.
AWARD_RANK_NAMES_ZH: dict[int, str] = {1: "一等奖", 2: "二等奖", 3: "三等奖", 4: "优秀奖"}
ORGANISER_TYPE_NAMES_ZH: dict[OrganiserType, str] = {
    OrganiserType.GOVERNMENT: "政府部门",
    OrganiserType.UNION: "工会",
    OrganiserType.INDUSTRY_ASSOCIATION: "行业协会",
    OrganiserType.ENTERPRISE: "企业",
    OrganiserType.COLLEGE: "院校",
}
TEAM_ROLE_NAMES_ZH: dict[TeamRole, str] = {
    TeamRole.INDIVIDUAL: "个人",
    TeamRole.LEAD: "团队负责人",
    TeamRole.MEMBER: "团队成员",
}

EDUCATION_LEVEL_NAMES_ZH: dict[ProgrammeLevel, str] = {
    ProgrammeLevel.ZHUANKE: "专科",
    ProgrammeLevel.BENKE: "本科",
    ProgrammeLevel.VOCATIONAL_BENKE: "职业本科",
}
ENTRY_TYPE_NAMES_ZH: dict[EntryType, str] = {
    EntryType.GQZ: "高起专",
    EntryType.ZSB: "专升本",
    EntryType.GQB: "高起本",
}


class HonourType(StrEnum):
    """Kind of honour title (荣誉称号); subsidy amounts depend on it."""

    MODEL_WORKER = "model_worker"  # 劳动模范
    ADVANCED_WORKER = "advanced_worker"  # 先进工作者 (the model-worker title outside enterprises)
    MAY_DAY_MEDAL = "may_day_medal"  # 五一劳动奖章
    CRAFTSMAN = "craftsman"  # 工匠 (大国工匠, 巴渝工匠 …)
    TECHNICAL_EXPERT = "technical_expert"  # 技术能手


class HonourLevel(StrEnum):
    """Level of the body that conferred an honour."""

    NATIONAL = "national"  # 全国
    PROVINCIAL = "provincial"  # 省(部)级
    CITY = "city"  # 市级
    DISTRICT = "district"  # 区县级


HONOUR_TYPE_NAMES_ZH: dict[HonourType, str] = {
    HonourType.MODEL_WORKER: "劳动模范",
    HonourType.ADVANCED_WORKER: "先进工作者",
    HonourType.MAY_DAY_MEDAL: "五一劳动奖章",
    HonourType.CRAFTSMAN: "工匠",
    HonourType.TECHNICAL_EXPERT: "技术能手",
}
HONOUR_LEVEL_NAMES_ZH: dict[HonourLevel, str] = {
    HonourLevel.NATIONAL: "全国",
    HonourLevel.PROVINCIAL: "省级",
    HonourLevel.CITY: "市级",
    HonourLevel.DISTRICT: "区县级",
}

# Certificate schemes with a known ladder of levels, lowest first (the same ladders as the rule sets):
# a certificate of one of these schemes must name one of its levels.
SCHEME_LADDERS: dict[str, tuple[str, ...]] = {
    "1+X": ("初级", "中级", "高级"),
    "NCRE": ("一级", "二级", "三级", "四级"),
    "CET": ("CET-4", "CET-6"),
}
SCHEME_NAMES_ZH: dict[str, str] = {
    "1+X": "1+X 职业技能等级证书",
    "NCRE": "全国计算机等级考试",
    "CET": "大学英语等级考试",
}

# Passing grades on a Chinese transcript (five-level and two-level scales).
GRADES: tuple[str, ...] = ("优秀", "良好", "中等", "及格", "合格")

__all__ = [
    "AWARD_RANK_NAMES_ZH",
    "AWARD_SCOPE_NAMES_ZH",
    "DEGREE_KINDS",
    "EDUCATION_LEVEL_NAMES_ZH",
    "ENTRY_TYPE_NAMES_ZH",
    "GRADES",
    "HONOUR_LEVEL_NAMES_ZH",
    "HONOUR_TYPE_NAMES_ZH",
    "ISSUER_KIND_NAMES_ZH",
    "KIND_NAMES_ZH",
    "ORGANISER_TYPE_NAMES_ZH",
    "SCHEME_LADDERS",
    "SCHEME_NAMES_ZH",
    "SKILL_LEVEL_NAMES_EN",
    "SKILL_LEVEL_NAMES_ZH",
    "SKILL_SCHEMES",
    "TEAM_ROLE_NAMES_ZH",
    "HonourLevel",
    "HonourType",
]
