"""Data model of credit conversion: outcomes, programmes, rule sets, agreements and plans."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum

# --------------------------------------------------------------------------- outcomes


class OutcomeKind(StrEnum):
    """Kind of learning outcome (学习成果) as posted by the records layer."""

    COURSE_CREDIT = "course_credit"  # 学历教育课程学分
    SKILL_LEVEL = "skill_level"  # 职业技能等级证书
    VOCATIONAL_QUALIFICATION = "vocational_qualification"  # 职业资格证书
    TRAINING = "training"  # 职业培训证书
    COMPETITION_AWARD = "competition_award"  # 技能竞赛获奖
    PRACTICE = "practice"  # 实践(实习)经历, 劳动技能考核
    ONLINE_COURSE = "online_course"  # 网络课程
    ENTERPRISE_COURSE = "enterprise_course"  # 企业内训课程
    NON_DEGREE_CERT = "non_degree_cert"  # NCRE, CET, 1+X …
    DEGREE = "degree"  # 毕业证书
    ENROLMENT = "enrolment"  # 学籍
    HONOUR = "honour"  # 劳模, 工匠 …


class IssuerKind(StrEnum):
    """Kind of institution that issued an outcome."""

    COLLEGE = "college"
    TRAINING_BODY = "training_body"
    APPRAISAL_BODY = "appraisal_body"
    COMPETITION_ORGANISER = "competition_organiser"
    ENTERPRISE = "enterprise"


class AwardScope(StrEnum):
    """Scope of a skill competition."""

    NATIONAL = "national"
    PROVINCIAL = "provincial"
    INDUSTRY = "industry"  # 行业/集团级
    MUNICIPAL = "municipal"
    ENTERPRISE = "enterprise"


class OrganiserType(StrEnum):
    """Who ran a competition; industry-association contests count one tier lower."""

    GOVERNMENT = "government"
    UNION = "union"
    INDUSTRY_ASSOCIATION = "industry_association"
    ENTERPRISE = "enterprise"
    COLLEGE = "college"


class TeamRole(StrEnum):
    """Role of the learner in a competition entry."""

    INDIVIDUAL = "individual"
    LEAD = "lead"
    MEMBER = "member"


@dataclass(frozen=True, slots=True)
class Outcome:
    """One recognised-or-not learning record, as the records layer hands it to the engine."""

    id: str  # urn:uuid of the learning record
    kind: OutcomeKind
    issued_on: date  # date the outcome was awarded; validity periods count from it
    issuer_id: str  # did or urn of the issuing institution
    issuer_kind: IssuerKind
    recognised: bool = True  # 认定 done, or not needed for this kind
    revoked: bool = False  # revoked or suspended: never converts
    expires_on: date | None = None  # the certificate's own end of validity, if it has one
    level: int | None = None  # skill level: 5=五级/初级工 … 1=一级/高级技师 (lower is higher)
    scheme: str | None = None  # certificate scheme: "1+X", "NCRE", "CET", "劳动技能" …
    scheme_level: str | None = None  # level within the scheme: "中级", "二级", "CET-4" …
    occupation_code: str | None = None  # 国家职业分类大典 code, e.g. "6-31-01-03"
    award_scope: AwardScope | None = None  # competition scope
    award_rank: int | None = None  # 1 = first prize (一等奖) …
    organiser_type: OrganiserType | None = None  # competition organiser
    team_role: TeamRole | None = None  # individual, team lead or team member
    event_id: str | None = None  # competition event: only one award per event converts
    hours: Decimal | None = None  # contact hours of a training / online / enterprise course
    score: Decimal | None = None  # result on a 0–100 scale, if graded
    attendance: Decimal | None = None  # share of sessions attended, 0–1 (online courses)
    passed: bool | None = None  # assessment passed (None: no assessment recorded)
    credits: Decimal | None = None  # credits earned (course credit records, credit-bearing courses)
    course_code: str | None = None  # code of the course at the institution that taught it
    course_name: str | None = None  # name of that course
    subject_area: str | None = None  # subject key shared with programme courses: "english", "logistics" …
    practice_years: Decimal | None = None  # employer-attested years in a related post
    institution_id: str | None = None  # college where course credits were earned (学分互认)


# --------------------------------------------------------------------------- programmes


class ProgrammeLevel(StrEnum):
    """Education level of a programme."""

    ZHUANKE = "zhuanke"  # 专科 (高职专科)
    BENKE = "benke"  # 本科
    VOCATIONAL_BENKE = "vocational_benke"  # 职业本科


class EntryType(StrEnum):
    """Entry route of an adult / open programme."""

    GQZ = "gqz"  # 高起专
    ZSB = "zsb"  # 专升本
    GQB = "gqb"  # 高起本


class CourseCategory(StrEnum):
    """Category of a programme course; caps and protections depend on it."""

    PUBLIC = "public"  # 公共基础课
    FOUNDATION = "foundation"  # 专业基础课
    CORE = "core"  # 专业核心课
    ELECTIVE = "elective"  # 选修课
    PRACTICE = "practice"  # 实训, 岗位实习: only practice-type outcomes replace them
    GRADUATION = "graduation"  # 毕业设计/论文: never replaced


class PoolSlot(StrEnum):
    """Role of an elective pool, which rules target instead of a college-specific pool name."""

    PROFESSIONAL_ELECTIVE = "professional_elective"  # 专业选修
    PUBLIC_ELECTIVE = "public_elective"  # 公共选修
    INNOVATION_PRACTICE = "innovation_practice"  # 创新实践
    CERTIFICATE_MODULE = "certificate_module"  # 证书课程模块 (Fujian)


@dataclass(frozen=True, slots=True)
class Course:
    """One course of a programme."""

    code: str
    name: str
    credits: Decimal
    category: CourseCategory
    replaceable: bool = True  # False: no outcome may replace it (graduation courses always False)
    occupations: tuple[str, ...] = ()  # occupation-code prefixes this course relates to
    subjects: tuple[str, ...] = ()  # subject keys this course relates to


@dataclass(frozen=True, slots=True)
class Pool:
    """An elective module that converted credits may fill, up to a ceiling."""

    name: str
    slot: PoolSlot
    ceiling: Decimal
    category: CourseCategory  # the category whose requirement pool credits count toward


@dataclass(frozen=True, slots=True)
class Programme:
    """A degree programme (专业培养方案) at one college and catalogue year."""

    id: str  # urn:uuid
    code: str  # national major code, e.g. "430103"
    name: str
    level: ProgrammeLevel
    entry_type: EntryType
    total_credits: Decimal
    institution_id: str  # the college that runs it (学分互认 target)
    institution_name: str
    catalogue_year: int
    courses: tuple[Course, ...]
    pools: tuple[Pool, ...]
    occupations: tuple[str, ...] = ()  # occupation-code prefixes related to the major
    subjects: tuple[str, ...] = ()  # subject keys related to the major
    content_hash: str = ""  # "sha256:<hex>" of the data file it was loaded from

    def course(self, code: str) -> Course:
        """The course with this code."""
        for course in self.courses:
            if course.code == code:
                return course
        raise KeyError(code)

    def credits_in(self, category: CourseCategory) -> Decimal:
        """Credits the programme requires in one category."""
        return sum((c.credits for c in self.courses if c.category == category), Decimal(0))


# --------------------------------------------------------------------------- rule sets


class GrantMode(StrEnum):
    """What a rule grants."""

    COURSE = "course"  # 免修免考 of named or related courses; credits = the courses' credits
    POOL = "pool"  # credits into an elective pool
    WAIVER = "waiver"  # a course is waived without credit (credits made up by electives)


class GradeMode(StrEnum):
    """How the replaced course's grade is recorded."""

    EXEMPT = "exempt"  # recorded as 免考
    FIXED = "fixed"  # 合格/通过 = 60, 良好/优秀 (score ≥ 80) = 80
    CERTIFICATE_GRADE = "certificate_grade"  # the outcome's own score


@dataclass(frozen=True, slots=True)
class Matcher:
    """Conditions an outcome must meet for a rule to apply; None means 'any'."""

    kinds: frozenset[OutcomeKind]
    levels: frozenset[int] | None = None
    schemes: frozenset[str] | None = None
    scheme_levels: frozenset[str] | None = None
    occupation_prefixes: tuple[str, ...] | None = None
    award_scopes: frozenset[AwardScope] | None = None
    award_ranks: frozenset[int] | None = None
    organiser_types: frozenset[OrganiserType] | None = None
    exclude_organiser_types: frozenset[OrganiserType] = frozenset()
    issuer_kinds: frozenset[IssuerKind] | None = None
    subject_areas: frozenset[str] | None = None
    course_codes: frozenset[str] | None = None
    institutions: frozenset[str] | None = None
    min_hours: Decimal | None = None
    min_score: Decimal | None = None
    min_attendance: Decimal | None = None
    min_practice_years: Decimal | None = None
    requires_pass: bool = False
    related: bool = False  # outcome must relate to the programme (occupation prefix or subject)
    programme_prefixes: tuple[str, ...] | None = None  # programme codes the rule applies to
    exclude_programme_prefixes: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Grant:
    """What a matching outcome may become, and how much it is worth."""

    mode: GrantMode
    credits: Decimal | None = None  # fixed value, or value per unit when per_hours/per_years is set
    credits_by_rank: tuple[tuple[int, Decimal], ...] = ()  # award rank → value
    per_hours: Decimal | None = None  # value = credits × floor(hours / per_hours)
    per_years: Decimal | None = None  # value = credits × floor(practice_years / per_years)
    per_credit: Decimal | None = None  # value = own credits (credits, else hours/16) × per_credit
    member_deduction: Decimal = Decimal(0)  # deducted for a team member (not lead)
    max_credits: Decimal | None = None  # cap on what one outcome gets under this rule
    pools: tuple[PoolSlot, ...] = ()  # POOL: acceptable pool slots
    course_codes: tuple[str, ...] = ()  # COURSE/WAIVER: explicit target courses …
    categories: tuple[CourseCategory, ...] = ()  # … or any course of these categories
    course_related: bool = False  # target course must relate to the outcome
    cover: bool = False  # outcome's own credits (or hours/16) must be ≥ the course's credits
    max_courses: int = 1  # courses one outcome may replace under this rule
    grade_mode: GradeMode = GradeMode.EXEMPT


@dataclass(frozen=True, slots=True)
class Limit:
    """A cap: credits (absolute), share of programme credits, and/or a count of outcomes."""

    credits: Decimal | None = None
    share: Decimal | None = None
    count: int | None = None


@dataclass(frozen=True, slots=True)
class Rule:
    """One conversion rule of a rule set."""

    id: str
    label_zh: str
    label_en: str
    matcher: Matcher
    grant: Grant
    limit: Limit = Limit()  # cap over all outcomes converted by this rule
    validity_years: int | None = None  # None: valid for ever unless revoked
    group: str | None = None  # source group: rules in one group share the group's cap
    sources: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Caps:
    """Caps of a rule set beyond the single rules."""

    per_outcome: Decimal | None = None  # one outcome converts at most this much (≤8 per certificate)
    total_share: Decimal | None = None  # converted ≤ share × programme credits (50 %)
    core_share: Decimal | None = None  # core credits converted ≤ share × core credits (35 %)
    categories: tuple[tuple[CourseCategory, Limit], ...] = ()
    pools: tuple[tuple[PoolSlot, Limit], ...] = ()
    groups: tuple[tuple[str, Limit], ...] = ()


@dataclass(frozen=True, slots=True)
class Scope:
    """Programmes a rule set applies to; empty means all."""

    levels: frozenset[ProgrammeLevel] = frozenset()
    programme_codes: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class Source:
    """A source a rule value is taken from."""

    id: str
    note: str
    url: str | None = None


@dataclass(frozen=True, slots=True)
class RuleSet:
    """A versioned, published set of conversion rules."""

    id: str
    version: int
    style: str
    name_zh: str
    name_en: str
    effective_from: date
    effective_to: date | None
    scope: Scope
    caps: Caps
    rules: tuple[Rule, ...]
    practice_kinds: frozenset[OutcomeKind] = frozenset({OutcomeKind.PRACTICE})
    ladders: tuple[tuple[str, tuple[str, ...]], ...] = ()  # scheme → levels, lowest first
    sources: tuple[Source, ...] = ()
    content_hash: str = ""  # "sha256:<hex>" of the data file bytes

    def in_force(self, on: date) -> bool:
        """Whether the rule set is in force on a date."""
        return self.effective_from <= on and (self.effective_to is None or on <= self.effective_to)

    def covers(self, programme: Programme) -> bool:
        """Whether the rule set's scope includes a programme."""
        if self.scope.programme_codes and programme.code not in self.scope.programme_codes:
            return False
        return not self.scope.levels or programme.level in self.scope.levels


# --------------------------------------------------------------------------- mutual recognition


@dataclass(frozen=True, slots=True)
class CourseMapping:
    """A course of college A accepted as a course of college B."""

    from_code: str
    to_code: str
    grade_mode: GradeMode = GradeMode.CERTIFICATE_GRADE


@dataclass(frozen=True, slots=True)
class PoolTransfer:
    """Credits of unmapped courses from college A counted in a pool at college B."""

    slot: PoolSlot
    rate: Decimal = Decimal(1)  # credits at B per credit earned at A
    max_credits: Decimal | None = None  # per course
    limit: Limit = Limit()  # over all transferred courses


@dataclass(frozen=True, slots=True)
class Agreement:
    """A mutual-recognition agreement (学分互认) from college A to college B."""

    id: str
    version: int
    from_institution: str
    to_institution: str
    effective_from: date
    effective_to: date | None
    mappings: tuple[CourseMapping, ...] = ()
    pool_transfer: PoolTransfer | None = None
    min_score: Decimal | None = None  # courses below this score are not accepted
    validity_years: int | None = None  # stored credits expire (6 yrs 专升本/高起专, 9 高起本)
    programme_codes: frozenset[str] = frozenset()  # empty: every programme of college B
    content_hash: str = ""

    def in_force(self, on: date) -> bool:
        """Whether the agreement is in force on a date."""
        return self.effective_from <= on and (self.effective_to is None or on <= self.effective_to)


# --------------------------------------------------------------------------- plans


class LineStatus(StrEnum):
    """What became of one outcome in a plan."""

    COURSE_REPLACED = "course_replaced"
    POOL_CREDITS = "pool_credits"
    WAIVER = "waiver"
    NOT_RECOGNISED = "not_recognised"
    EXPIRED = "expired"
    REVOKED = "revoked"
    CAPPED = "capped"  # eligible, but caps or taken courses cut its credits (possibly to 0)
    SUPERSEDED = "superseded"  # another outcome of its exclusivity group converted
    DUPLICATE = "duplicate"  # same id twice, or the same certificate as one that converted
    NO_RULE = "no_rule"
    ALREADY_USED = "already_used"  # used in an earlier conversion for this programme


@dataclass(frozen=True, slots=True)
class Line:
    """The plan's verdict on one outcome."""

    outcome_id: str
    status: LineStatus
    rule_id: str | None = None
    courses: tuple[str, ...] = ()  # course codes replaced or waived
    pool: str | None = None  # pool name credited
    credits: Decimal = Decimal(0)
    grade: str | None = None  # "免考", "60", "85" …
    grade_mode: GradeMode | None = None
    explanation_zh: str = ""
    explanation_en: str = ""


@dataclass(frozen=True, slots=True)
class Totals:
    """Credits granted by a plan."""

    total: Decimal
    by_category: dict[CourseCategory, Decimal]
    by_pool: dict[str, Decimal]
    course_credits: Decimal  # via course replacement
    pool_credits: Decimal  # via pools


@dataclass(frozen=True, slots=True)
class Remaining:
    """What the programme still requires after the plan."""

    total: Decimal
    by_category: dict[CourseCategory, Decimal]
    courses: tuple[str, ...]  # codes of non-elective courses neither replaced nor waived
    waived: tuple[str, ...]  # waived course codes; their credits move to electives


@dataclass(frozen=True, slots=True)
class Plan:
    """The best conversion of an account's outcomes into one programme."""

    programme_id: str
    programme_code: str
    ruleset_id: str
    ruleset_version: int
    ruleset_hash: str
    as_of: date
    lines: tuple[Line, ...]
    totals: Totals
    remaining: Remaining
    binding: tuple[str, ...] = ()  # caps that are exhausted, e.g. "total", "core", "pool:专业选修"
    agreements: tuple[str, ...] = ()  # ids of agreements used

    def line(self, outcome_id: str) -> Line:
        """The line for an outcome."""
        for line in self.lines:
            if line.outcome_id == outcome_id:
                return line
        raise KeyError(outcome_id)


@dataclass(frozen=True, slots=True)
class Ranking:
    """How many credits an account would bring to one programme."""

    programme_id: str
    programme_code: str
    programme_name: str
    ruleset_id: str
    total: Decimal
    share: Decimal  # total / programme credits
