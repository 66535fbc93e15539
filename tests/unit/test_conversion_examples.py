"""Worked examples, checked by hand against the rule tables (research/domain.md §5) and shipped data."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest

from ledger.conversion import NotApplicable, default_agreements, default_programmes, default_rulesets, plan
from ledger.conversion.matching import course_targets, grant_value
from ledger.conversion.model import (
    Agreement,
    AwardScope,
    Course,
    CourseCategory,
    CourseMapping,
    GradeMode,
    IssuerKind,
    LineStatus,
    OrganiserType,
    Outcome,
    OutcomeKind,
    Pool,
    PoolSlot,
    Programme,
    TeamRole,
)

AS_OF = date(2025, 3, 1)
D = Decimal
RULESETS = {r.style: r for r in default_rulesets()}
PROGRAMMES = {p.code: p for p in default_programmes()}
POWER, MECHANICAL, LOGISTICS = PROGRAMMES["430103"], PROGRAMMES["080201"], PROGRAMMES["530802"]
CHONGQING, FUJIAN = RULESETS["chongqing"], RULESETS["fujian"]
ELECTRICIAN = "6-31-01-03"


def urn(n: int) -> str:
    return f"urn:uuid:00000000-0000-4000-8000-{n:012d}"


def skill(n: int, level: int, issued: date, **kw: object) -> Outcome:
    return Outcome(urn(n), OutcomeKind.SKILL_LEVEL, issued, "did:key:zAppraisal", IssuerKind.APPRAISAL_BODY,
                   level=level, occupation_code=ELECTRICIAN, **kw)  # type: ignore[arg-type]


def x_cert(n: int, scheme: str, level: str, subject: str, issued: date) -> Outcome:
    return Outcome(urn(n), OutcomeKind.NON_DEGREE_CERT, issued, "did:key:zExam", IssuerKind.APPRAISAL_BODY,
                   scheme=scheme, scheme_level=level, subject_area=subject)


def worker() -> list[Outcome]:
    return [
        skill(1, 4, date(2021, 6, 1)),  # 四级/中级工 电工
        skill(2, 3, date(2018, 6, 1), expires_on=date(2024, 6, 1)),  # 三级/高级工 电工, expired
        Outcome(urn(3), OutcomeKind.COMPETITION_AWARD, date(2023, 10, 20), "did:key:zUnion",
                IssuerKind.COMPETITION_ORGANISER, award_scope=AwardScope.PROVINCIAL, award_rank=2,
                organiser_type=OrganiserType.UNION, team_role=TeamRole.MEMBER, event_id="cq-2023-electric"),
        Outcome(urn(4), OutcomeKind.TRAINING, date(2024, 3, 15), "did:key:zTrain", IssuerKind.TRAINING_BODY,
                hours=D(48), passed=True),
    ]


def test_power_worker_under_chongqing_style() -> None:
    result = plan(worker(), POWER, CHONGQING, AS_OF)
    lines = {line.outcome_id: line for line in result.lines}
    # 四级 → cq-skill-4: one related 专业基础课 of ≤ 4 credits. Related to 6-31-01-03 and ≤ 4:
    # ZJ201 电工技术 (4) and ZJ203 电机与拖动 (4); equal credits, so the earlier course: ZJ201. Grade 免考.
    assert lines[urn(1)].status == LineStatus.COURSE_REPLACED
    assert (lines[urn(1)].rule_id, lines[urn(1)].courses, lines[urn(1)].credits) == ("cq-skill-4", ("ZJ201",), D(4))
    assert (lines[urn(1)].grade, lines[urn(1)].grade_mode) == ("免考", GradeMode.EXEMPT)
    # 三级 expired on 2024-06-01 < 2025-03-01: drops out before exclusivity, so it does not block the 四级.
    assert lines[urn(2)].status == LineStatus.EXPIRED and lines[urn(2)].credits == 0
    # Provincial 2nd prize = 3 credits (C21), team member (not lead) −0.5 → 2.5 into 创新实践 (ceiling 4).
    assert (lines[urn(3)].status, lines[urn(3)].pool, lines[urn(3)].credits) == (LineStatus.POOL_CREDITS, "创新实践", D("2.5"))
    # 48 h training: floor(48 / 16) = 3 units × 1 credit = 3 ≤ 4 per certificate → 3 into 专业选修 (ceiling 8).
    assert (lines[urn(4)].status, lines[urn(4)].pool, lines[urn(4)].credits) == (LineStatus.POOL_CREDITS, "专业选修", D(3))
    # Total 4 + 2.5 + 3 = 9.5 ≤ 50 % × 145 = 72.5.
    assert result.totals.total == D("9.5")
    assert (result.totals.course_credits, result.totals.pool_credits) == (D(4), D("5.5"))
    assert result.totals.by_category == {CourseCategory.FOUNDATION: D(4), CourseCategory.ELECTIVE: D("5.5")}
    # Still required: 145 − 9.5 = 135.5; foundation 26 − 4 = 22; elective 16 − 5.5 = 10.5.
    assert result.remaining.total == D("135.5")
    assert result.remaining.by_category[CourseCategory.FOUNDATION] == D(22)
    assert result.remaining.by_category[CourseCategory.ELECTIVE] == D("10.5")
    assert "ZJ201" not in result.remaining.courses and "BY601" in result.remaining.courses
    assert (result.ruleset_id, result.ruleset_version, result.ruleset_hash) == (
        CHONGQING.id, 1, CHONGQING.content_hash)
    assert result.ruleset_hash.startswith("sha256:")
    assert "电工技术" in lines[urn(1)].explanation_zh and "ZJ201" in lines[urn(1)].explanation_en


def test_valid_higher_level_supersedes_the_lower_one() -> None:
    account = worker()
    account[1] = replace(account[1], expires_on=None)
    result = plan(account, POWER, CHONGQING, AS_OF)
    # One certificate per occupation converts. 三级 → cq-skill-3: ≤ 6 credits, ≤ 2 related core/practice
    # courses: best 4 + 2 = 6 (4 + 4 = 8 > 6) beats the 四级's 4, so the 三级 converts: earliest 4-credit
    # core ZH306 PLC与电气控制 + earliest 2-credit practice SJ501 电工技能实训; the 四级 is superseded.
    assert result.line(urn(2)).courses == ("ZH306", "SJ501") and result.line(urn(2)).credits == D(6)
    assert result.line(urn(1)).status == LineStatus.SUPERSEDED
    assert result.totals.total == D("11.5")  # 6 + 2.5 + 3


def test_logistics_learner_under_fujian_style() -> None:
    account = [
        x_cert(11, "CET", "CET-4", "english", date(2019, 12, 14)),
        x_cert(12, "NCRE", "二级", "computing", date(2020, 9, 26)),
        x_cert(13, "1+X", "中级", "logistics", date(2023, 1, 8)),
    ]
    result = plan(account, LOGISTICS, FUJIAN, AS_OF)
    # CET-4 → waiver of the related public course GG105 大学英语 (6), no credit (C7).
    cet = result.line(urn(11))
    assert (cet.status, cet.courses, cet.credits) == (LineStatus.WAIVER, ("GG105",), D(0))
    # NCRE 二级 in a non-computing programme (530802): 2 credits into 证书课程模块 (C21).
    ncre = result.line(urn(12))
    assert (ncre.status, ncre.rule_id, ncre.pool, ncre.credits) == (LineStatus.POOL_CREDITS, "fj-ncre-2", "证书课程模块", D(2))
    # 1+X 中级 → one related 专业核心课 (C20), ≤ 6: logistics core courses HX301/HX302/HX306 are 4 each → HX301.
    x = result.line(urn(13))
    assert (x.status, x.courses, x.credits) == (LineStatus.COURSE_REPLACED, ("HX301",), D(4))
    assert result.totals.total == D(6)  # 4 + 2
    # Waived English moves 6 credits from public to electives: public 30 − 6 = 24; elective 20 + 6 − 2 = 24.
    assert result.remaining.waived == ("GG105",)
    assert result.remaining.by_category[CourseCategory.PUBLIC] == D(24)
    assert result.remaining.by_category[CourseCategory.ELECTIVE] == D(24)
    assert result.remaining.total == D(134)


def small_programme() -> Programme:
    courses = (
        Course("P1", "高等数学", D(4), CourseCategory.PUBLIC, subjects=("math",)),
        Course("F1", "电工技术", D(4), CourseCategory.FOUNDATION, occupations=(ELECTRICIAN,)),
        Course("C1", "供配电技术", D(4), CourseCategory.CORE),
        Course("E1", "专业选修课", D(4), CourseCategory.ELECTIVE),
        Course("G1", "毕业设计", D(4), CourseCategory.GRADUATION, replaceable=False),
    )
    return replace(POWER, id=urn(900), total_credits=D(20), courses=courses,
                   pools=(Pool("专业选修", PoolSlot.PROFESSIONAL_ELECTIVE, D(4), CourseCategory.ELECTIVE),))


def test_total_cap_binds_and_cuts_the_pool_grant() -> None:
    account = [
        skill(21, 4, date(2022, 5, 1)),  # → F1 电工技术, 4
        Outcome(urn(22), OutcomeKind.ONLINE_COURSE, date(2023, 5, 1), "did:key:zMooc", IssuerKind.COLLEGE,
                credits=D(4), hours=D(64), attendance=D("0.9"), score=D(85), passed=True, subject_area="math"),
        Outcome(urn(23), OutcomeKind.TRAINING, date(2024, 5, 1), "did:key:zTrain", IssuerKind.TRAINING_BODY,
                hours=D(64), passed=True),  # 64 / 16 = 4 into 专业选修
    ]
    result = plan(account, small_programme(), CHONGQING, AS_OF)
    # Offered 4 + 4 + 4 = 12 > 50 % × 20 = 10. Only 4 + 4 + 2 reaches 10; courses stay whole, the pool is cut.
    assert result.totals.total == D(10)
    assert result.line(urn(21)).courses == ("F1",)
    online = result.line(urn(22))
    assert (online.courses, online.credits, online.grade) == (("P1",), D(4), "85")  # certificate_grade
    cut = result.line(urn(23))
    assert (cut.status, cut.pool, cut.credits) == (LineStatus.CAPPED, "专业选修", D(2))
    assert "total" in result.binding and "总学分" in cut.explanation_zh


def test_core_share_cap_binds() -> None:
    account = [
        x_cert(31, "1+X", "中级", "logistics", date(2022, 1, 10)),  # HX301/HX302/HX306, 4 each
        x_cert(32, "1+X", "中级", "supply_chain", date(2022, 6, 10)),  # HX303/HX306, 4 each
        x_cert(33, "1+X", "中级", "freight_forwarding", date(2023, 3, 1)),  # HX305, 4
        x_cert(34, "1+X", "中级", "cold_chain", date(2023, 9, 1)),  # HX309, 3
    ]
    result = plan(account, LOGISTICS, FUJIAN, AS_OF)
    # Core cap 35 % × 36 = 12.6. Whole courses 4, 4, 4, 3: 4 + 4 + 4 = 12 is the most that fits
    # (4 + 4 + 3 = 11; all four = 15 > 12.6), so the cold-chain certificate is capped.
    assert result.totals.total == D(12)
    assert [result.line(urn(n)).courses for n in (31, 32, 33)] == [("HX301",), ("HX303",), ("HX305",)]
    capped = result.line(urn(34))
    assert (capped.status, capped.credits) == (LineStatus.CAPPED, D(0))
    assert "category:core" in result.binding and "专业核心" in capped.explanation_zh


def test_practice_course_refused_to_a_non_practice_outcome() -> None:
    training = Outcome(urn(41), OutcomeKind.TRAINING, date(2024, 4, 1), "did:key:zTrain", IssuerKind.TRAINING_BODY,
                       hours=D(32), passed=True, subject_area="warehousing")
    labour = Outcome(urn(42), OutcomeKind.PRACTICE, date(2024, 4, 1), "did:key:zFirm", IssuerKind.ENTERPRISE,
                     scheme="劳动技能", passed=True, subject_area="warehousing")
    rule = next(r for r in FUJIAN.rules if r.id == "fj-training")
    # fj-training may target practice courses, but SJ501 仓储作业实训 is 实训: training is not practice-type.
    # HX301 (core, warehousing) needs 4 credits, the training covers 32 / 16 = 2: no target at all.
    value = grant_value(rule.grant, training, FUJIAN)
    assert course_targets(rule.grant, training, LOGISTICS, FUJIAN, value) == ()
    result = plan([training, labour], LOGISTICS, FUJIAN, AS_OF)
    assert result.line(urn(41)).status == LineStatus.NO_RULE
    # A labour-skill assessment is practice-type: fj-labour-skill → SJ501 (2 credits ≤ 2).
    assert result.line(urn(42)).courses == ("SJ501",) and result.totals.total == D(2)


def test_graduation_project_is_never_replaced() -> None:
    agreement = Agreement(urn(50), 1, "urn:uuid:college-a", MECHANICAL.institution_id, date(2024, 1, 1), None,
                          mappings=(CourseMapping("A-THESIS", "BY601"),))
    thesis = Outcome(urn(51), OutcomeKind.COURSE_CREDIT, date(2024, 7, 1), "did:key:zA", IssuerKind.COLLEGE,
                     credits=D(8), score=D(90), course_code="A-THESIS", institution_id="urn:uuid:college-a")
    result = plan([thesis], MECHANICAL, CHONGQING, AS_OF, transfer=[agreement])
    assert result.line(urn(51)).status == LineStatus.NO_RULE
    assert "BY601" in result.remaining.courses
    for programme in PROGRAMMES.values():
        graduation = [c for c in programme.courses if c.category == CourseCategory.GRADUATION]
        assert graduation and not any(c.replaceable for c in graduation)


def test_mutual_recognition_between_open_universities() -> None:
    (agreement,) = default_agreements()
    sichuan = agreement.from_institution

    def credit(n: int, code: str, credits: int, score: int, issued: date) -> Outcome:
        return Outcome(urn(n), OutcomeKind.COURSE_CREDIT, issued, "did:key:zSCOU", IssuerKind.COLLEGE,
                       credits=D(credits), score=D(score), course_code=code, institution_id=sichuan)

    account = [
        credit(61, "SC-02301", 4, 82, date(2022, 1, 15)),  # mapped → HX301 机电控制工程基础 (4)
        credit(62, "SC-05555", 3, 75, date(2022, 7, 1)),  # unmapped → 专业拓展选修, rate 1, ≤ 4 per course
        credit(63, "SC-01107", 4, 55, date(2022, 7, 1)),  # below min_score 60: not accepted
        credit(64, "SC-00915", 4, 90, date(2017, 7, 1)),  # 6-year validity ended 2023-07-01
    ]
    result = plan(account, MECHANICAL, CHONGQING, AS_OF, transfer=[agreement])
    mapped = result.line(urn(61))
    assert (mapped.courses, mapped.credits, mapped.grade) == (("HX301",), D(4), "82")
    pooled = result.line(urn(62))
    assert (pooled.pool, pooled.credits) == ("专业拓展选修", D(3))
    assert result.line(urn(63)).status == LineStatus.NO_RULE
    assert result.line(urn(64)).status == LineStatus.EXPIRED
    assert result.totals.total == D(7) and result.agreements == (agreement.id,)
    # The same credits at a college without an agreement bring nothing.
    assert plan(account, MECHANICAL, CHONGQING, AS_OF).totals.total == 0


def test_rule_set_out_of_force_is_refused() -> None:
    with pytest.raises(NotApplicable):
        plan(worker(), POWER, CHONGQING, date(2023, 12, 31))
