"""Record credentials: every kind becomes an OB 3.0 OpenBadgeCredential built from VC 2.0 + OB 3.0.3 terms
only (the canonicaliser refuses undefined terms), signs and verifies, fails when tampered with, carries no
personal data, has JSON-number credits; and every kind maps one to one onto a conversion-engine Outcome."""

from __future__ import annotations

import copy
import dataclasses
import datetime as dt
import hashlib
import json
import uuid
from decimal import Decimal
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import HealthCheck, given, settings

from credentials.canonical import rdfc
from credentials.dataintegrity import check_issuer_matches_controller, sign, verify
from credentials.didkey import did_key, verification_method
from credentials.errors import CanonicalisationError, SignatureError
from credentials.statuslist import status_entry
from ledger.conversion import default_programmes, default_rulesets, plan
from ledger.conversion.model import (
    AwardScope,
    IssuerKind,
    LineStatus,
    OrganiserType,
    Outcome,
    OutcomeKind,
    TeamRole,
)
from ledger.records.credential import (
    ACHIEVEMENT_TYPES,
    CONTEXTS,
    ENGINE_FIELDS,
    RecordMappingError,
    build_credential,
    json_number,
    needs_recognition,
    outcome_from_record,
)
from schemas.records import OUTCOME_SCHEMAS, load_outcome
from tests.unit.test_record_schemas import MINIMAL, VALID, any_kind_outcome

KINDS = [k.value for k in OutcomeKind]
KEY = Ed25519PrivateKey.from_private_bytes(
    hashlib.sha256(b"creditbank record credential tests - public, NOT SECRET").digest()
)
ISSUER = did_key(KEY.public_key())
METHOD = verification_method(KEY.public_key())
ACCOUNT = uuid.UUID("0e6b7c1a-2f44-4d8e-b1a9-7c3e5f2d4a60")
BASE = "https://bank.example/api/v1/institutions/58af48d7-3273-479f-8e2c-81a11fc64e00/achievements"
VALID_FROM = dt.datetime(2025, 7, 1, tzinfo=dt.UTC)
OCCURRED = dt.date(2024, 6, 20)

# Open Badges 3.0 enumerations (spec §B.1 AchievementType, ResultType, ResultStatusType); "ext:" extends them.
OB_ACHIEVEMENT_TYPES = {
    "Achievement", "ApprenticeshipCertificate", "Assessment", "Assignment", "AssociateDegree", "Award", "Badge",
    "BachelorDegree", "Certificate", "CertificateOfCompletion", "Certification", "CommunityService", "Competency",
    "Course", "CoCurricular", "Degree", "Diploma", "DoctoralDegree", "Fieldwork", "GeneralEducationDevelopment",
    "JourneymanCertificate", "LearningProgram", "License", "Membership", "ProfessionalDoctorate",
    "QualityAssuranceCredential", "MasterCertificate", "MasterDegree", "MicroCredential", "ResearchDoctorate",
    "SecondarySchoolDiploma",
}
OB_RESULT_TYPES = {
    "GradePointAverage", "LetterGrade", "Percent", "PerformanceLevel", "PredictedScore", "RawScore", "Result",
    "RubricCriterion", "RubricCriterionLevel", "RubricScore", "ScaledScore", "Status",
}
OB_RESULT_STATUSES = {"Completed", "Enrolled", "Failed", "InProgress", "OnHold", "Provisional", "Withdrew"}
SUBJECT_KEYS = {"id", "type", "achievement", "creditsEarned", "term", "activityStartDate", "activityEndDate",
                "result", "licenseNumber", "role"}


def build(kind: str, outcome: dict[str, Any] | None = None, **overrides: Any) -> dict[str, Any]:
    wire = VALID[kind] if outcome is None else outcome
    arguments: dict[str, Any] = {
        "record_id": uuid.uuid5(uuid.NAMESPACE_URL, f"record/{kind}"),
        "account_id": ACCOUNT,
        "kind": kind,
        "outcome": load_outcome(kind, wire),
        "occurred_on": OCCURRED,
        "issuer_did": ISSUER,
        "issuer_name": "重庆电力高等专科学校",
        "issuer_url": "https://cqepc.example/",
        "valid_from": VALID_FROM,
        "achievement_id_base": BASE,
    }
    arguments.update(overrides)
    return build_credential(**arguments)


def signed(credential: dict[str, Any]) -> dict[str, Any]:
    return sign(credential, KEY, verification_method=METHOD, created=VALID_FROM)


def walk(node: Any) -> list[tuple[str, Any]]:
    """Every (key, value) pair in a JSON tree."""
    found: list[tuple[str, Any]] = []
    if isinstance(node, dict):
        for key, value in node.items():
            found.append((key, value))
            found.extend(walk(value))
    elif isinstance(node, list):
        for item in node:
            found.extend(walk(item))
    return found


# --------------------------------------------------------------------------- sign and verify


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("example", ["valid", "minimal"])
def test_every_kind_canonicalises_signs_and_verifies(kind: str, example: str) -> None:
    credential = build(kind, (VALID if example == "valid" else MINIMAL)[kind])
    assert rdfc(credential)  # raises on any term the two contexts do not define
    secured = signed(credential)
    proof = verify(secured)
    assert proof.controller == ISSUER and proof.cryptosuite == "eddsa-rdfc-2022"
    check_issuer_matches_controller(secured, proof)
    # The layout is not signed: a JSON round trip with reversed key order still verifies.
    verify(json.loads(json.dumps(_reversed(secured), ensure_ascii=False)))


def _reversed(node: Any) -> Any:
    if isinstance(node, dict):
        return {k: _reversed(node[k]) for k in reversed(list(node))}
    if isinstance(node, list):
        return [_reversed(v) for v in node]
    return node


TAMPERINGS = [
    ("credential name", lambda c: c.__setitem__("name", c["name"] + "（副本）")),
    ("subject", lambda c: c["credentialSubject"].__setitem__("id", f"urn:uuid:{uuid.UUID(int=1)}")),
    ("achievement name", lambda c: c["credentialSubject"]["achievement"].__setitem__("name", "伪造")),
    ("awarded date", lambda c: c.__setitem__("awardedDate", "2020-01-01T00:00:00Z")),
    ("issuer name", lambda c: c["issuer"].__setitem__("name", "某学院")),
]


@pytest.mark.parametrize("kind", KINDS)
def test_tampering_fails(kind: str) -> None:
    secured = signed(build(kind))
    for what, tamper in TAMPERINGS:
        copy_ = copy.deepcopy(secured)
        tamper(copy_)
        with pytest.raises(SignatureError, match="Invalid signature"):
            verify(copy_)
        assert what
    copy_ = copy.deepcopy(secured)
    copy_["credentialSubject"].setdefault("result", []).append({"type": ["Result"], "status": "Failed"})
    with pytest.raises(SignatureError, match="Invalid signature"):
        verify(copy_)


def test_another_key_is_not_the_issuer() -> None:
    other = Ed25519PrivateKey.from_private_bytes(hashlib.sha256(b"another institution").digest())
    secured = sign(build("skill_level"), other, verification_method=verification_method(other.public_key()),
                   created=VALID_FROM)
    proof = verify(secured)  # a valid proof …
    with pytest.raises(SignatureError, match="issuer must match"):
        check_issuer_matches_controller(secured, proof)  # … by a key that is not the issuer's


def test_canonicaliser_is_the_oracle_for_undefined_terms() -> None:
    credential = build("training")
    credential["credentialSubject"]["hours"] = 32
    with pytest.raises(CanonicalisationError, match="'hours'"):
        rdfc(credential)
    credential = build("skill_level")
    credential["credentialSubject"]["achievement"]["alignment"][0]["type"] = ["AlignmentTarget"]
    with pytest.raises(CanonicalisationError, match="not defined"):
        rdfc(credential)


@given(any_kind_outcome)
@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_generated_outcomes_make_verifiable_credentials(case: tuple[str, dict[str, Any]]) -> None:
    kind, wire = case
    secured = signed(build(kind, wire))
    verify(secured)
    assert set(secured["credentialSubject"]) <= SUBJECT_KEYS


# --------------------------------------------------------------------------- shape


@pytest.mark.parametrize("kind", KINDS)
def test_open_badges_shape(kind: str) -> None:
    c = build(kind)
    assert c["@context"] == list(CONTEXTS) == [
        "https://www.w3.org/ns/credentials/v2",
        "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
    ]
    assert c["type"] == ["VerifiableCredential", "OpenBadgeCredential"]
    assert c["id"] == f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, f'record/{kind}')}"
    assert c["issuer"] == {"id": ISSUER, "type": ["Profile"], "name": "重庆电力高等专科学校",
                           "url": "https://cqepc.example/"}
    assert c["validFrom"] == "2025-07-01T00:00:00Z" and c["awardedDate"] == "2024-06-20T00:00:00Z"
    assert c["name"]
    subject = c["credentialSubject"]
    assert subject["id"] == f"urn:uuid:{ACCOUNT}" and subject["type"] == ["AchievementSubject"]
    assert set(subject) <= SUBJECT_KEYS
    achievement = subject["achievement"]
    # OB 3.0 requires id, type, name, description and criteria of an Achievement.
    assert achievement["id"].startswith(BASE + "/") and achievement["type"] == ["Achievement"]
    assert achievement["name"] and achievement["description"] and achievement["criteria"]["narrative"]
    assert achievement["achievementType"] == ACHIEVEMENT_TYPES[OutcomeKind(kind)]
    assert achievement["achievementType"] in OB_ACHIEVEMENT_TYPES
    assert achievement["inLanguage"] == "zh-CN" and achievement["tag"][0]


@pytest.mark.parametrize("kind", KINDS)
def test_results_alignments_and_rubrics_are_well_formed(kind: str) -> None:
    subject = build(kind)["credentialSubject"]
    achievement = subject["achievement"]
    for alignment in achievement.get("alignment", []):
        assert alignment["type"] == ["Alignment"]
        assert alignment["targetName"] and alignment["targetUrl"].startswith(BASE + "/frameworks/")
        assert alignment["targetCode"] and alignment["targetFramework"] and alignment["targetType"].startswith("ext:")
    descriptions = {d["id"]: d for d in achievement.get("resultDescription", [])}
    for rd in descriptions.values():
        assert rd["type"] == ["ResultDescription"] and rd["name"] and rd["id"].startswith(achievement["id"] + "#")
        assert rd["resultType"] in OB_RESULT_TYPES or rd["resultType"].startswith("ext:")
        for level in rd.get("rubricCriterionLevel", []):
            assert level["type"] == ["RubricCriterionLevel"] and level["name"] and level["id"].startswith(rd["id"])
    for result in subject.get("result", []):
        assert result["type"] == ["Result"]
        assert set(result) <= {"type", "resultDescription", "achievedLevel", "value", "status"}
        if "status" in result:
            assert result["status"] in OB_RESULT_STATUSES
        if "resultDescription" in result:
            rd = descriptions[result["resultDescription"]]
            if "achievedLevel" in result:
                assert result["achievedLevel"] in {lv["id"] for lv in rd["rubricCriterionLevel"]}
            else:
                assert isinstance(result["value"], str)


def test_no_personal_data_in_any_credential() -> None:
    enrolment = build("enrolment")
    text = json.dumps(enrolment, ensure_ascii=False)
    assert VALID["enrolment"]["student_no"] not in text
    assert VALID["enrolment"]["verification_report_no"] not in text
    for kind in KINDS:
        credential = build(kind)
        keys = {key for key, _ in walk(credential)}
        assert not keys & {"identifier", "identityHash", "email", "phone", "familyName", "givenName",
                           "additionalName", "dateOfBirth", "address", "image"}, kind
        subject = credential["credentialSubject"]
        assert "name" not in subject and subject["id"] == f"urn:uuid:{ACCOUNT}"
    # Bank-only fields of other kinds stay out as well.
    assert "power" not in json.dumps(build("skill_level"))  # subject_area key
    assert "cq-2023-electric" in json.dumps(build("competition_award"))  # inside the achievement id (an IRI)
    award_subject = build("competition_award")["credentialSubject"]
    assert "union" not in json.dumps(award_subject, ensure_ascii=False)  # organiser type as data


def test_credits_are_json_numbers_and_canonicalise_as_floats() -> None:
    half = build("course_credit")
    assert half["credentialSubject"]["creditsEarned"] == 2.5 and isinstance(half["credentialSubject"]["creditsEarned"], float)
    assert half["credentialSubject"]["achievement"]["creditsAvailable"] == 2.5
    assert '"2.5E0"^^<https://www.w3.org/2001/XMLSchema#float>' in rdfc(half)
    whole = build("course_credit", {**VALID["course_credit"], "credits": "3.00"})
    assert whole["credentialSubject"]["creditsEarned"] == 3 and type(whole["credentialSubject"]["creditsEarned"]) is int
    assert '"3"^^<https://www.w3.org/2001/XMLSchema#float>' in rdfc(whole)
    small = build("enterprise_course")
    assert small["credentialSubject"]["creditsEarned"] == 0.5
    assert [json_number(Decimal(x)) for x in ("3", "3.0", "12.75", "0.1", "0")] == [3, 3, 12.75, 0.1, 0]
    assert "creditsEarned" not in build("training")["credentialSubject"]


def test_results_carry_scores_hours_attendance_levels_and_ranks() -> None:
    def values(kind: str, outcome: dict[str, Any] | None = None) -> dict[str, Any]:
        subject = build(kind, outcome)["credentialSubject"]
        out: dict[str, Any] = {}
        for r in subject.get("result", []):
            key = r.get("resultDescription", "#status").rpartition("#")[2]
            out[key] = r.get("value", r.get("achievedLevel", r.get("status")))
        return out

    assert values("online_course") == {"status": "Completed", "hours": "64", "attendance": "90", "score": "85"}
    assert values("training") == {"status": "Completed", "hours": "32", "score": "78.5"}
    assert values("training", MINIMAL["training"]) == {"status": "Failed", "hours": "8"}
    assert values("course_credit") == {"status": "Completed", "score": "87", "grade": "良好"}
    aid = build("skill_level")["credentialSubject"]["achievement"]["id"]
    assert values("skill_level") == {"level": f"{aid}#level-4"}
    award = build("competition_award")
    assert values("competition_award")["rank"].endswith("#rank-2")
    assert award["name"].endswith("二等奖") and award["credentialSubject"]["role"] == "团队成员"
    assert values("enrolment") == {"status": "Enrolled"} and values("degree") == {"status": "Completed"}
    assert values("practice") == {"status": "Completed", "hours": "1600", "years": "2"}


def test_skill_level_rubric_names_the_five_levels() -> None:
    credential = build("skill_level")
    [rubric] = credential["credentialSubject"]["achievement"]["resultDescription"]
    assert [lv["name"] for lv in rubric["rubricCriterionLevel"]] == [
        "五级/初级工", "四级/中级工", "三级/高级工", "二级/技师", "一级/高级技师"]
    assert credential["name"] == "电工职业技能等级证书 四级/中级工"
    [alignment] = credential["credentialSubject"]["achievement"]["alignment"]
    assert (alignment["targetCode"], alignment["targetName"]) == ("6-31-01-03", "电工")
    assert "国家职业分类大典" in alignment["targetFramework"] or "职业分类大典" in alignment["targetFramework"]
    assert credential["credentialSubject"]["licenseNumber"] == "S000051000001234"
    # Without a level, a qualification has no rubric.
    plain = build("vocational_qualification", MINIMAL["vocational_qualification"])
    assert "resultDescription" not in plain["credentialSubject"]["achievement"]


def test_expiry_and_activity_dates() -> None:
    skill = build("skill_level")
    assert skill["validUntil"] == "2089-06-30T23:59:59Z"
    assert "validUntil" not in build("training")
    training = build("training")["credentialSubject"]
    assert (training["activityStartDate"], training["activityEndDate"]) == ("2024-03-01T00:00:00Z", "2024-03-20T00:00:00Z")
    assert build("enrolment")["credentialSubject"]["activityStartDate"] == "2024-09-01T00:00:00Z"
    assert build("course_credit")["credentialSubject"]["term"] == "2024-2025-2"


def test_status_entries_single_and_list() -> None:
    url = "https://bank.example/api/v1/status/58af48d7/revocation/1"
    one = status_entry(url, 42, "revocation")
    both = [one, status_entry(url.replace("revocation", "suspension"), 42, "suspension")]
    for status in (one, both):
        credential = build("honour", status=status)
        assert credential["credentialStatus"] == status
        verify(signed(credential))
    assert "credentialStatus" not in build("honour", status=None)


def test_typed_and_stored_outcomes_give_the_same_credential() -> None:
    for kind in KINDS:
        typed = build(kind)
        stored = build_credential(
            record_id=uuid.uuid5(uuid.NAMESPACE_URL, f"record/{kind}"), account_id=f"urn:uuid:{ACCOUNT}", kind=kind,
            outcome=VALID[kind], occurred_on=OCCURRED, issuer_did=ISSUER, issuer_name="重庆电力高等专科学校",
            issuer_url="https://cqepc.example/", valid_from=VALID_FROM, achievement_id_base=BASE + "/")
        assert stored == typed, kind


def test_achievement_ids_are_stable_per_achievement() -> None:
    first = build("course_credit")["credentialSubject"]["achievement"]["id"]
    again = build("course_credit", {**VALID["course_credit"], "score": "61"}, record_id=uuid.uuid4())
    assert again["credentialSubject"]["achievement"]["id"] == first == f"{BASE}/courses/CS201"
    other = build("course_credit", {**VALID["course_credit"], "course_code": "CS202"})
    assert other["credentialSubject"]["achievement"]["id"] != first
    cert = build("non_degree_cert", {"scheme": "1+X", "scheme_level": "中级", "certificate_name": "Web前端开发"})
    assert cert["credentialSubject"]["achievement"]["id"] == (
        f"{BASE}/certificates/1%2BX/Web%E5%89%8D%E7%AB%AF%E5%BC%80%E5%8F%91/%E4%B8%AD%E7%BA%A7")
    with pytest.raises(RecordMappingError):
        build("honour", achievement_id_base="achievements/")


def test_missing_fields_and_float_quantities_are_refused() -> None:
    with pytest.raises(RecordMappingError, match="credits"):
        build_credential(record_id=uuid.uuid4(), account_id=ACCOUNT, kind="course_credit",
                         outcome={"course_code": "X1", "course_name": "x"}, occurred_on=OCCURRED, issuer_did=ISSUER,
                         issuer_name="x", valid_from=VALID_FROM, achievement_id_base=BASE)
    with pytest.raises(RecordMappingError, match="decimal"):
        build_credential(record_id=uuid.uuid4(), account_id=ACCOUNT, kind="course_credit",
                         outcome={**VALID["course_credit"], "credits": 2.5}, occurred_on=OCCURRED,
                         issuer_did=ISSUER, issuer_name="x", valid_from=VALID_FROM, achievement_id_base=BASE)


# --------------------------------------------------------------------------- the engine's view

# Fields the conversion engine reads for each kind (matching.py, exclusivity.py, problem.py): each must be
# in that kind's wire schema under the same name.
ENGINE_FIELDS_BY_KIND: dict[str, set[str]] = {
    "course_credit": {"credits", "score", "course_code", "course_name", "subject_area", "hours"},
    "skill_level": {"level", "scheme", "occupation_code", "subject_area", "expires_on"},
    "vocational_qualification": {"level", "scheme", "occupation_code", "subject_area", "expires_on"},
    "training": {"hours", "passed", "score", "occupation_code", "subject_area", "course_name"},
    "competition_award": {"award_scope", "award_rank", "organiser_type", "team_role", "event_id",
                          "occupation_code", "subject_area"},
    "practice": {"hours", "practice_years", "scheme", "passed", "score", "occupation_code", "subject_area"},
    "online_course": {"hours", "attendance", "score", "passed", "credits", "course_code", "course_name",
                      "subject_area"},
    "enterprise_course": {"hours", "passed", "score", "credits", "course_code", "course_name", "subject_area",
                          "occupation_code"},
    "non_degree_cert": {"scheme", "scheme_level", "subject_area", "occupation_code", "score", "expires_on"},
    "degree": set(),
    "enrolment": set(),
    "honour": set(),
}


@pytest.mark.parametrize("kind", KINDS)
def test_outcome_from_record_copies_the_engine_fields(kind: str) -> None:
    schema_fields = set(OUTCOME_SCHEMAS[OutcomeKind(kind)]().fields)
    assert ENGINE_FIELDS_BY_KIND[kind] <= schema_fields
    assert schema_fields & set(ENGINE_FIELDS) == ENGINE_FIELDS_BY_KIND[kind]
    record_id = uuid.uuid4()
    issuer = f"urn:uuid:{uuid.uuid4()}"
    for wire in (VALID[kind], MINIMAL[kind]):
        for stored in (wire, load_outcome(kind, wire)):  # stored JSON or typed
            outcome = outcome_from_record(kind, stored, record_id=record_id, occurred_on=OCCURRED, issuer_id=issuer,
                                          issuer_kind="appraisal_body", recognised=False, revoked=True)
            assert isinstance(outcome, Outcome)
            assert (outcome.id, outcome.kind, outcome.issued_on) == (f"urn:uuid:{record_id}", OutcomeKind(kind), OCCURRED)
            assert (outcome.issuer_id, outcome.issuer_kind) == (issuer, IssuerKind.APPRAISAL_BODY)
            assert (outcome.recognised, outcome.revoked) == (False, True)
            typed = load_outcome(kind, wire)
            for name in ENGINE_FIELDS:
                assert getattr(outcome, name) == typed.get(name), name
            assert outcome.institution_id == (issuer if kind == "course_credit" else None)


def test_outcome_values_are_engine_types() -> None:
    award = outcome_from_record("competition_award", VALID["competition_award"], record_id=uuid.uuid4(),
                                occurred_on=OCCURRED, issuer_id="did:key:zUnion", issuer_kind=IssuerKind.COMPETITION_ORGANISER,
                                recognised=True, revoked=False)
    assert award.award_scope is AwardScope.PROVINCIAL and award.organiser_type is OrganiserType.UNION
    assert award.team_role is TeamRole.MEMBER and award.award_rank == 2 and award.event_id == "cq-2023-electric"
    course = outcome_from_record("course_credit", VALID["course_credit"], record_id=uuid.uuid4(), occurred_on=OCCURRED,
                                 issuer_id="did:key:zCollege", issuer_kind="college", recognised=True, revoked=False,
                                 institution_id="urn:uuid:bc2e68e6-fe95-41e8-b242-162cd0e1bdaa")
    assert course.credits == Decimal("2.5") and course.score == Decimal(87) and course.hours == Decimal(48)
    assert course.institution_id == "urn:uuid:bc2e68e6-fe95-41e8-b242-162cd0e1bdaa"
    online = outcome_from_record("online_course", VALID["online_course"], record_id=uuid.uuid4(), occurred_on=OCCURRED,
                                 issuer_id="x", issuer_kind="training_body", recognised=True, revoked=False)
    assert online.attendance == Decimal("0.9") and online.passed is True


def test_records_convert_like_the_engine_examples() -> None:
    """The power worker of test_conversion_examples, posted as records: the same 9.5 credits."""
    programmes = {p.code: p for p in default_programmes()}
    chongqing = next(r for r in default_rulesets() if r.style == "chongqing")
    posted = [
        ("skill_level", {"occupation_code": "6-31-01-03", "occupation_name": "电工", "level": 4},
         dt.date(2021, 6, 1), "appraisal_body"),
        ("skill_level", {"occupation_code": "6-31-01-03", "occupation_name": "电工", "level": 3,
                         "expires_on": "2024-06-01"}, dt.date(2018, 6, 1), "appraisal_body"),
        ("competition_award", {"event_name": "重庆市职工职业技能大赛", "event_id": "cq-2023-electric",
                               "award_scope": "provincial", "award_rank": 2, "organiser_type": "union",
                               "team_role": "member"}, dt.date(2023, 10, 20), "competition_organiser"),
        ("training", {"course_name": "电工培训", "hours": "48", "passed": True}, dt.date(2024, 3, 15), "training_body"),
    ]
    outcomes = []
    for n, (kind, wire, on, issuer_kind) in enumerate(posted):
        load_outcome(kind, wire)
        outcomes.append(outcome_from_record(kind, wire, record_id=uuid.UUID(int=n + 1), occurred_on=on,
                                            issuer_id=f"did:key:z{issuer_kind}", issuer_kind=issuer_kind,
                                            recognised=True, revoked=False))
    result = plan(outcomes, programmes["430103"], chongqing, dt.date(2025, 3, 1))
    assert result.totals.total == Decimal("9.5")
    assert result.line(outcomes[1].id).status == LineStatus.EXPIRED
    revoked = [dataclasses.replace(outcomes[0], revoked=True), dataclasses.replace(outcomes[3], recognised=False)]
    lines = plan(revoked, programmes["430103"], chongqing, dt.date(2025, 3, 1)).lines
    assert [line.status for line in lines] == [LineStatus.REVOKED, LineStatus.NOT_RECOGNISED]


@pytest.mark.parametrize("kind", KINDS)
def test_needs_recognition(kind: str) -> None:
    assert needs_recognition(kind, "college") is False
    for issuer_kind in IssuerKind:
        if issuer_kind != IssuerKind.COLLEGE:
            assert needs_recognition(OutcomeKind(kind), issuer_kind) is True


def test_needs_recognition_refuses_unknown_names() -> None:
    with pytest.raises(ValueError):
        needs_recognition("diploma", "college")
    with pytest.raises(ValueError):
        needs_recognition("degree", "union")
