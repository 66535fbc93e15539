"""Record wire schemas: every outcome kind valid and invalid, dotted error paths, batches, the OpenAPI
description matching what is enforced (values generated from the documented schema load), round trips,
and the CSV reader (Chinese text, BOM, dotted headers, typing, row numbers)."""

from __future__ import annotations

import copy
import csv
import datetime as dt
import functools
import io
import re
from decimal import Decimal
from typing import Any

import jsonschema_rs
import pytest
from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from marshmallow import ValidationError

from ledger.conversion.loader import flatten
from ledger.conversion.model import AwardScope, OutcomeKind
from ledger.records import SCHEME_LADDERS
from schemas.base import Text
from schemas.records import (
    MAX_BATCH,
    OUTCOME_SCHEMAS,
    BatchIn,
    CsvError,
    RecordIn,
    RecordOut,
    dump_outcome,
    load_batch,
    load_outcome,
    parse_records_csv,
    row_number,
    rows_from_records,
)

ACCOUNT = "urn:uuid:0e6b7c1a-2f44-4d8e-b1a9-7c3e5f2d4a60"

# One realistic outcome of every kind, as an institution would post it (wire JSON).
VALID: dict[str, dict[str, Any]] = {
    "course_credit": {"course_code": "CS201", "course_name": "数据结构", "credits": "2.5", "score": "87",
                      "grade": "良好", "term": "2024-2025-2", "hours": "48", "subject_area": "computing",
                      "started_on": "2025-02-24", "ended_on": "2025-06-20"},
    "skill_level": {"occupation_code": "6-31-01-03", "occupation_name": "电工", "level": 4, "scheme": "职业技能等级",
                    "certificate_no": "S000051000001234", "expires_on": "2089-06-30", "subject_area": "power"},
    "vocational_qualification": {"qualification_name": "特种作业操作证（低压电工作业）", "occupation_code": "6-31-01-03",
                                 "level": 3, "scheme": "职业资格", "certificate_no": "T512301198001011234"},
    "training": {"course_name": "配电线路运行与维护培训", "hours": "32", "passed": True, "score": "78.5",
                 "occupation_code": "6-31-01-03", "started_on": "2024-03-01", "ended_on": "2024-03-20"},
    "competition_award": {"event_name": "2023年重庆市职工职业技能大赛（电工）", "event_id": "cq-2023-electric",
                          "award_scope": "provincial", "award_rank": 2, "organiser_type": "union",
                          "organiser_name": "重庆市总工会", "team_role": "member", "occupation_code": "6-31-01-03"},
    "practice": {"employer": "国网重庆市电力公司", "post": "配电运维", "attested": True, "hours": "1600",
                 "practice_years": "2", "scheme": "劳动技能", "passed": True, "started_on": "2022-01-01",
                 "ended_on": "2023-12-31"},
    "online_course": {"platform": "国家开放大学学习网", "course_name": "高等数学基础", "course_code": "MATH101",
                      "hours": "64", "attendance": "0.9", "score": "85", "passed": True, "credits": "4",
                      "subject_area": "math"},
    "enterprise_course": {"course_name": "仓储作业安全规范", "hours": "16", "passed": True, "credits": "0.5",
                          "subject_area": "warehousing"},
    "non_degree_cert": {"scheme": "NCRE", "scheme_level": "二级", "certificate_name": "Python 语言程序设计",
                        "score": "82", "certificate_no": "232150123456789", "subject_area": "computing"},
    "degree": {"education_level": "zhuanke", "major_code": "430103", "major_name": "供用电技术",
               "certificate_no": "512961202406001234", "entry_type": "gqz", "started_on": "2021-09-01"},
    "enrolment": {"college": "重庆开放大学", "college_code": "51343", "major_code": "080201",
                  "major_name": "机械设计制造及其自动化", "education_level": "benke", "entry_type": "zsb",
                  "enrolled_on": "2024-09-01", "study_mode": "开放教育", "student_no": "2451001200123",
                  "verification_report_no": "A1B2C3D4E5F6G7H8"},
    "honour": {"honour_type": "model_worker", "honour_level": "city", "honour_name": "重庆市劳动模范",
               "awarded_by": "重庆市人民政府", "certificate_no": "CQLM2020-0123"},
}
# The least each kind needs.
MINIMAL: dict[str, dict[str, Any]] = {
    "course_credit": {"course_code": "GG101", "course_name": "思想道德与法治", "credits": "3"},
    "skill_level": {"occupation_code": "4-02-06-01", "occupation_name": "仓储管理员", "level": 5},
    "vocational_qualification": {"qualification_name": "注册安全工程师"},
    "training": {"course_name": "叉车安全操作", "hours": "8", "passed": False},
    "competition_award": {"event_name": "公司技能比武", "event_id": "acme-2024", "award_scope": "enterprise",
                          "award_rank": 4, "organiser_type": "enterprise", "team_role": "individual"},
    "practice": {"employer": "某物流公司", "post": "仓库管理员", "attested": False, "practice_years": "1.5"},
    "online_course": {"platform": "中国大学MOOC", "course_name": "物流管理", "hours": "32"},
    "enterprise_course": {"course_name": "班组长管理", "hours": "24"},
    "non_degree_cert": {"scheme": "PETS", "certificate_name": "全国英语等级考试"},
    "degree": {"education_level": "benke", "major_code": "080901K", "major_name": "计算机科学与技术",
               "certificate_no": "100011202506000001"},
    "enrolment": {"college": "四川开放大学", "major_code": "530802", "major_name": "物流管理",
                  "education_level": "zhuanke", "entry_type": "gqz", "enrolled_on": "2023-03-01"},
    "honour": {"honour_type": "technical_expert", "honour_level": "national", "honour_name": "全国技术能手"},
}

# (kind, change to a VALID outcome, the field the error must name)
DELETE = object()
INVALID: list[tuple[str, dict[str, Any], str]] = [
    ("course_credit", {"credits": 2.5}, "credits"),  # a JSON float, not a decimal string
    ("course_credit", {"credits": "100"}, "credits"),
    ("course_credit", {"credits": "3.555"}, "credits"),
    ("course_credit", {"course_code": DELETE}, "course_code"),
    ("course_credit", {"course_code": "CS 201"}, "course_code"),
    ("course_credit", {"grade": "不及格"}, "grade"),
    ("course_credit", {"course_name": "数据\x00结构"}, "course_name"),
    ("course_credit", {"course_name": ""}, "course_name"),
    ("course_credit", {"ended_on": "2025-02-01"}, "ended_on"),  # before started_on
    ("skill_level", {"level": 6}, "level"),
    ("skill_level", {"level": 0}, "level"),
    ("skill_level", {"level": "4"}, "level"),
    ("skill_level", {"level": True}, "level"),
    ("skill_level", {"level": 4.0}, "level"),
    ("skill_level", {"occupation_code": "63101"}, "occupation_code"),
    ("skill_level", {"occupation_code": "6-31-01-03\n"}, "occupation_code"),
    ("skill_level", {"scheme": "其他"}, "scheme"),
    ("skill_level", {"expires_on": "2030-02-30"}, "expires_on"),
    ("skill_level", {"expires_on": "2030-6-30"}, "expires_on"),
    ("skill_level", {"occupation_name": DELETE}, "occupation_name"),
    ("vocational_qualification", {"qualification_name": DELETE}, "qualification_name"),
    ("vocational_qualification", {"level": 9}, "level"),
    ("training", {"hours": DELETE}, "hours"),
    ("training", {"hours": "-1"}, "hours"),
    ("training", {"passed": "yes"}, "passed"),
    ("training", {"passed": 1}, "passed"),
    ("competition_award", {"award_scope": "world"}, "award_scope"),
    ("competition_award", {"award_rank": 5}, "award_rank"),
    ("competition_award", {"team_role": "captain"}, "team_role"),
    ("competition_award", {"organiser_type": DELETE}, "organiser_type"),
    ("competition_award", {"event_id": "重庆 2023"}, "event_id"),
    ("practice", {"hours": DELETE, "practice_years": DELETE}, "hours"),
    ("practice", {"attested": DELETE}, "attested"),
    ("practice", {"practice_years": "100"}, "practice_years"),
    ("online_course", {"attendance": "1.5"}, "attendance"),
    ("online_course", {"attendance": 0.9}, "attendance"),
    ("online_course", {"score": "101"}, "score"),
    ("online_course", {"platform": DELETE}, "platform"),
    ("enterprise_course", {"hours": "1e3"}, "hours"),
    ("non_degree_cert", {"scheme_level": "五级"}, "scheme_level"),
    ("non_degree_cert", {"scheme_level": DELETE}, "scheme_level"),
    ("non_degree_cert", {"scheme": DELETE}, "scheme"),
    ("degree", {"education_level": "master"}, "education_level"),
    ("degree", {"major_code": "ABC"}, "major_code"),
    ("degree", {"certificate_no": DELETE}, "certificate_no"),
    ("enrolment", {"entry_type": "gqs"}, "entry_type"),
    ("enrolment", {"verification_report_no": "短码"}, "verification_report_no"),
    ("enrolment", {"enrolled_on": "2024-13-01"}, "enrolled_on"),
    ("enrolment", {"college_code": "5134"}, "college_code"),
    ("honour", {"honour_level": "village"}, "honour_level"),
    ("honour", {"honour_type": "hero"}, "honour_type"),
    ("honour", {"name": "张三"}, "name"),  # unknown field: no learner names in outcomes
]


# Invalid examples only a cross-field rule catches: dates out of order, practice without extent, a
# known scheme without one of its levels.
CROSS_FIELD = {("course_credit", "ended_on"), ("practice", "hours"), ("non_degree_cert", "scheme_level")}


def changed(kind: str, change: dict[str, Any]) -> dict[str, Any]:
    outcome = copy.deepcopy(VALID[kind])
    for key, value in change.items():
        if value is DELETE:
            outcome.pop(key, None)
        else:
            outcome[key] = value
    return outcome


def record(kind: str = "skill_level", outcome: dict[str, Any] | None = None, **top: Any) -> dict[str, Any]:
    return {"account": ACCOUNT, "kind": kind, "external_ref": f"ref-{kind}", "occurred_on": "2024-06-20",
            "outcome": copy.deepcopy(VALID[kind]) if outcome is None else outcome, **top}


def errors_of(action: Any) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as info:
        action()
    return flatten(info.value.messages)


# --------------------------------------------------------------------------- kinds


def test_every_kind_has_a_schema_and_examples() -> None:
    assert set(OUTCOME_SCHEMAS) == set(OutcomeKind)
    assert set(VALID) == set(MINIMAL) == {k.value for k in OutcomeKind}
    assert {kind for kind, _, _ in INVALID} == {k.value for k in OutcomeKind}


@pytest.mark.parametrize("kind", [k.value for k in OutcomeKind])
def test_valid_outcomes_load_and_round_trip(kind: str) -> None:
    for example in (VALID[kind], MINIMAL[kind]):
        typed = load_outcome(kind, example)
        assert set(typed) == set(example)
        wire = dump_outcome(kind, typed)
        assert wire == example  # canonical examples dump back byte for byte
        assert load_outcome(kind, wire) == typed


@pytest.mark.parametrize(("kind", "change", "field"), INVALID,
                         ids=[f"{k}-{f}-{i}" for i, (k, _, f) in enumerate(INVALID)])
def test_invalid_outcomes_name_the_field(kind: str, change: dict[str, Any], field: str) -> None:
    errors = errors_of(lambda: load_outcome(kind, changed(kind, change)))
    assert field in errors, errors
    # The same error, one level down, inside a record: outcome.<field>.
    assert f"outcome.{field}" in errors_of(lambda: RecordIn().load(record(kind, changed(kind, change))))


def test_typed_values() -> None:
    typed = load_outcome("course_credit", VALID["course_credit"])
    assert typed["credits"] == Decimal("2.5") and isinstance(typed["credits"], Decimal)
    assert typed["started_on"] == dt.date(2025, 2, 24)
    award = load_outcome("competition_award", VALID["competition_award"])
    assert award["award_scope"] is AwardScope.PROVINCIAL and award["award_rank"] == 2
    assert dump_outcome("course_credit", {**typed, "credits": Decimal("3.50")})["credits"] == "3.5"


def test_known_scheme_ladders_are_enforced_and_others_are_free() -> None:
    for scheme, ladder in SCHEME_LADDERS.items():
        for level in ladder:
            load_outcome("non_degree_cert", {"scheme": scheme, "scheme_level": level, "certificate_name": "x"})
    load_outcome("non_degree_cert", {"scheme": "普通话水平测试", "scheme_level": "二级甲等", "certificate_name": "普通话"})


# --------------------------------------------------------------------------- records and batches


def test_record_in_loads_typed_record() -> None:
    loaded = RecordIn().load(record("training"))
    assert str(loaded["account"]) == ACCOUNT.removeprefix("urn:uuid:")
    assert loaded["kind"] is OutcomeKind.TRAINING
    assert loaded["occurred_on"] == dt.date(2024, 6, 20)
    assert loaded["outcome"]["hours"] == Decimal(32)
    assert RecordIn().dump(loaded)["outcome"] == VALID["training"]


@pytest.mark.parametrize(
    ("change", "path"),
    [
        ({"account": "acct-1"}, "account"),
        ({"kind": "diploma"}, "kind"),
        ({"external_ref": "x" * 201}, "external_ref"),
        ({"external_ref": None}, "external_ref"),
        ({"occurred_on": "2024-06-20T00:00:00Z"}, "occurred_on"),
        ({"outcome": []}, "outcome"),
        ({"partial": True}, "partial"),  # a batch flag, unknown on a record
    ],
)
def test_record_in_errors(change: dict[str, Any], path: str) -> None:
    assert path in errors_of(lambda: RecordIn().load({**record(), **change}))


def test_missing_kind_reports_kind_not_outcome() -> None:
    body = record()
    del body["kind"]
    errors = errors_of(lambda: RecordIn().load(body))
    assert list(errors) == ["kind"]


def test_batch_errors_have_dotted_paths() -> None:
    records = [record(kind, external_ref=f"r{i}") for i, kind in enumerate(VALID)]
    records[3] = record("skill_level", changed("skill_level", {"level": 7}), external_ref="r3")
    records[5]["outcome"]["attested"] = "是"
    errors = errors_of(lambda: BatchIn().load({"records": records}))
    assert set(errors) == {"records.3.outcome.level", "records.5.outcome.attested"}


def test_batch_limits_and_duplicates() -> None:
    assert "records" in errors_of(lambda: BatchIn().load({"records": []}))
    many = [record(external_ref=f"r{i}") for i in range(MAX_BATCH + 1)]
    assert "records" in errors_of(lambda: BatchIn().load({"records": many}))
    assert BatchIn().load({"records": many[:MAX_BATCH]})["partial"] is False
    dupes = [record(external_ref="same"), record("honour", external_ref="same")]
    assert "records.1.external_ref" in errors_of(lambda: BatchIn().load({"records": dupes}))
    assert "partial" in errors_of(lambda: BatchIn().load({"records": dupes[:1], "partial": "true"}))


def test_load_batch_all_or_nothing_unless_partial() -> None:
    records = [record(kind, external_ref=f"r{i}") for i, kind in enumerate(VALID)]
    records[2]["outcome"]["level"] = 0
    records[7]["external_ref"] = "r0"
    errors = errors_of(lambda: load_batch({"records": records}))
    assert set(errors) == {"records.2.outcome.level", "records.7.external_ref"}
    loaded = load_batch({"records": records, "partial": True})
    assert loaded.partial and [i for i, _ in loaded.records] == [0, 1, 3, 4, 5, 6, 8, 9, 10, 11]
    assert set(flatten(loaded.messages())) == {"records.2.outcome.level", "records.7.external_ref"}
    # The query parameter of a CSV upload overrides the body.
    assert load_batch({"records": records}, partial=True).partial
    clean = load_batch({"records": [record()]})
    assert clean.errors == {} and clean.messages() == {} and len(clean.records) == 1
    assert "records" in errors_of(lambda: load_batch({"records": "nope"}))


def test_record_out() -> None:
    out = RecordOut().dump({"id": "0e6b7c1a-2f44-4d8e-b1a9-7c3e5f2d4a60", "index": 7,
                            "credential_url": "http://127.0.0.1:8000/api/v1/records/x/credential",
                            "checkpoint": None, "kind": "honour"})
    assert out["id"] == ACCOUNT and out["checkpoint"] == "pending" and out["index"] == 7
    assert RecordOut().dump({"checkpoint": 8})["checkpoint"] == 8
    with pytest.raises(ValueError):
        RecordOut().dump({"checkpoint": 0})


# --------------------------------------------------------------------------- the documented schema

_PLUGIN = MarshmallowPlugin()
APISpec(title="records", version="1", openapi_version="3.0.3", plugins=[_PLUGIN])


@functools.cache
def documented(schema: type) -> dict[str, Any]:
    """The JSON schema the OpenAPI document shows for a marshmallow schema."""
    assert _PLUGIN.converter is not None
    return _PLUGIN.converter.schema2jsonschema(schema)


@pytest.mark.parametrize("kind", [k.value for k in OutcomeKind])
def test_documented_schema_matches_enforced(kind: str) -> None:
    doc = documented(OUTCOME_SCHEMAS[OutcomeKind(kind)])
    validator = jsonschema_rs.Draft4Validator(doc, validate_formats=True)
    assert validator.is_valid(VALID[kind]) and validator.is_valid(MINIMAL[kind])
    for field_name, prop in doc["properties"].items():
        # Bilingual: Chinese, then English.
        assert re.search(r"[\u4e00-\u9fff]", prop["description"]) and re.search(r"[A-Za-z]{3}", prop["description"])
        assert "type" in prop, field_name
    # Every invalid example is refused by the documented schema too, except the cross-field rules that
    # a JSON schema cannot state (they are in the schema descriptions).
    passing = {(k, f) for k, change, f in INVALID if k == kind and validator.is_valid(changed(k, change))}
    assert passing <= CROSS_FIELD, passing


def _text_strategy(prop: dict[str, Any]) -> st.SearchStrategy[str]:
    low, high = prop.get("minLength", 0), min(prop.get("maxLength", 40), 40)
    pattern = prop.get("pattern")
    if pattern and pattern != Text.PATTERN:
        return st.from_regex(pattern, fullmatch=True).filter(lambda s: low <= len(s) <= prop.get("maxLength", 10**6))
    return st.text(st.characters(exclude_categories=("Cs", "Cc")), min_size=max(low, 1), max_size=high)


def property_strategy(prop: dict[str, Any]) -> st.SearchStrategy[Any]:
    """Values for one documented property, drawn from the documentation alone."""
    if "enum" in prop:
        return st.sampled_from(prop["enum"])
    if prop["type"] == "integer":
        return st.integers(prop.get("minimum", -(2**31)), prop.get("maximum", 2**31))
    if prop["type"] == "boolean":
        return st.booleans()
    if prop.get("format") == "date":
        return st.dates(dt.date(1900, 1, 1), dt.date(2099, 12, 31)).map(dt.date.isoformat)
    return _text_strategy(prop)


def _ordered_dates(outcome: dict[str, Any]) -> dict[str, Any]:
    if "started_on" in outcome and "ended_on" in outcome and outcome["ended_on"] < outcome["started_on"]:
        outcome["started_on"], outcome["ended_on"] = outcome["ended_on"], outcome["started_on"]
    return outcome


@st.composite
def wire_outcomes(draw: st.DrawFn, kind: str) -> dict[str, Any]:
    """A valid wire outcome of `kind`, generated from its documented schema (plus the cross-field rules)."""
    doc = documented(OUTCOME_SCHEMAS[OutcomeKind(kind)])
    required = set(doc.get("required", []))
    outcome: dict[str, Any] = {}
    for name, prop in doc["properties"].items():
        if name in required or draw(st.booleans()):
            outcome[name] = draw(property_strategy(prop))
    if kind == "practice" and "hours" not in outcome and "practice_years" not in outcome:
        outcome["hours"] = draw(property_strategy(doc["properties"]["hours"]))
    if kind == "non_degree_cert":
        scheme = draw(st.sampled_from([*SCHEME_LADDERS, outcome["scheme"]]))
        outcome["scheme"] = scheme
        if scheme in SCHEME_LADDERS:
            outcome["scheme_level"] = draw(st.sampled_from(SCHEME_LADDERS[scheme]))
    return _ordered_dates(outcome)


any_kind_outcome = st.sampled_from([k.value for k in OutcomeKind]).flatmap(
    lambda kind: st.tuples(st.just(kind), wire_outcomes(kind))
)


@given(any_kind_outcome)
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_generated_outcomes_round_trip(case: tuple[str, dict[str, Any]]) -> None:
    kind, wire = case
    typed = load_outcome(kind, wire)  # documented-valid → accepted
    assert load_outcome(kind, dump_outcome(kind, typed)) == typed
    body = record(kind, wire)
    assert RecordIn().load(RecordIn().dump(RecordIn().load(body))) == RecordIn().load(body)


# --------------------------------------------------------------------------- CSV


def to_csv(records: list[dict[str, Any]], *, bom: bool = False, crlf: bool = True) -> str:
    """Records as a CSV upload: top-level columns, then every outcome field used, dotted."""
    columns = ["account", "kind", "external_ref", "occurred_on"]
    for body in records:
        for name in body["outcome"]:
            if f"outcome.{name}" not in columns:
                columns.append(f"outcome.{name}")
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n" if crlf else "\n")
    writer.writerow(columns)
    for body in records:
        flat = {**{k: v for k, v in body.items() if k != "outcome"},
                **{f"outcome.{k}": v for k, v in body["outcome"].items()}}
        writer.writerow(["" if flat.get(c) is None else _cell(flat.get(c)) for c in columns])
    return ("\ufeff" if bom else "") + out.getvalue()


def _cell(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def test_csv_every_kind_with_bom_and_chinese_text() -> None:
    records = [record(kind, external_ref=f"导入-{i}") for i, kind in enumerate(VALID)]
    parsed = parse_records_csv(to_csv(records, bom=True))
    assert parsed == records  # typed back: ints, booleans; empty cells absent
    assert all(isinstance(p["outcome"].get("level", 0), int) for p in parsed)
    loaded = load_batch({"records": parsed})
    assert len(loaded.records) == len(VALID)


def test_csv_cells_typing_and_blanks() -> None:
    text = (
        "kind,account,external_ref,occurred_on,outcome.course_name,outcome.hours,outcome.passed,outcome.score\n"
        f"training,{ACCOUNT}, t-1 ,2024-06-01,\"叉车安全操作, 复训\",8,是,\n"
        f"training,{ACCOUNT},t-2,2024-06-01,\"多行\n名称\",16,否, \n"
        f"training,{ACCOUNT},t-3,2024-06-01,焊工,16,合格,90\n"
        "\n\n"
    )
    parsed = parse_records_csv(text)
    assert [p["external_ref"] for p in parsed] == ["t-1", "t-2", "t-3"]
    assert parsed[0]["outcome"] == {"course_name": "叉车安全操作, 复训", "hours": "8", "passed": True}
    assert parsed[1]["outcome"]["passed"] is False and "score" not in parsed[1]["outcome"]
    assert parsed[1]["outcome"]["course_name"] == "多行\n名称"
    assert parsed[2]["outcome"]["passed"] is True and parsed[2]["outcome"]["score"] == "90"
    assert len(load_batch({"records": parsed}).records) == 3


def test_csv_bad_values_are_reported_by_row() -> None:
    text = to_csv([
        record("skill_level", external_ref="a"),
        record("skill_level", changed("skill_level", {"level": "四级"}), external_ref="b"),
        record("training", changed("training", {"passed": "也许"}), external_ref="c"),
        record("honour", external_ref="d", occurred_on="2024/06/20"),
    ])
    parsed = parse_records_csv(text)
    assert parsed[1]["outcome"]["level"] == "四级"  # left as written for the schema to refuse
    with pytest.raises(ValidationError) as info:
        load_batch({"records": parsed})
    assert isinstance(info.value.messages, dict)
    by_row = flatten(rows_from_records(info.value.messages))
    assert set(by_row) == {"rows.3.outcome.level", "rows.4.outcome.passed", "rows.5.occurred_on"}
    assert [row_number(i) for i in (1, 2, 3)] == [3, 4, 5]
    loaded = load_batch({"records": parsed}, partial=True)
    assert [i for i, _ in loaded.records] == [0]
    # A cell in a column of another kind is an unknown field of this row's outcome.
    honour = record("honour", {**VALID["honour"], "level": 3}, external_ref="e")
    rows = parse_records_csv(to_csv([honour, record("skill_level", external_ref="f")]))
    assert rows[0]["outcome"]["level"] == "3" and rows[1]["outcome"]["level"] == 4
    assert list(errors_of(lambda: load_batch({"records": rows}))) == ["records.0.outcome.level"]


@pytest.mark.parametrize(
    ("text", "path"),
    [
        ("", "rows.1._file"),
        ("\ufeff", "rows.1._file"),
        ("account,kind,external_ref,occurred_on\n", "rows.1._file"),
        ("account,kind,external_ref,occurred_on,outcome.levle\nx,y,z,w,1\n", "rows.1.outcome.levle"),
        ("account,kind,external_ref,occurred_on,outcome.level,outcome.level\n", "rows.1.outcome.level"),
        ("account,kind,external_ref\n", "rows.1.occurred_on"),
        ("account,kind,external_ref,occurred_on,partial\n", "rows.1.partial"),
        ("account,kind,external_ref,occurred_on,level\n", "rows.1.level"),
        ("account,kind,external_ref,occurred_on\na,b,c,d\na,b,c\na,b,c,d\n\na,b,c,d\n", "rows.3._row"),
        ("account,kind,external_ref,occurred_on\na,b,c,d\na,\"b,c,d\n", "rows.3._row"),
        ("account,kind,external_ref,occurred_on\na,b\x00,c,d\n", "rows.1._file"),
    ],
)
def test_csv_structural_errors_name_rows(text: str, path: str) -> None:
    with pytest.raises(CsvError) as info:
        parse_records_csv(text)
    assert path in flatten(info.value.messages), flatten(info.value.messages)


def test_csv_blank_row_in_the_middle_keeps_row_numbers() -> None:
    text = "account,kind,external_ref,occurred_on\na,b,c,d\n\na,b,c,d\n"
    with pytest.raises(CsvError) as info:
        parse_records_csv(text)
    assert list(flatten(info.value.messages)) == ["rows.3._row"]


def test_csv_too_many_rows() -> None:
    line = f"{ACCOUNT},honour,r,2024-01-01\n"
    with pytest.raises(CsvError) as info:
        parse_records_csv("account,kind,external_ref,occurred_on\n" + line * (MAX_BATCH + 1))
    assert f"rows.{MAX_BATCH + 2}._file" in flatten(info.value.messages)
    assert len(parse_records_csv("account,kind,external_ref,occurred_on\n" + line * MAX_BATCH)) == MAX_BATCH


@given(st.lists(any_kind_outcome, min_size=1, max_size=5))
@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_generated_records_survive_csv(cases: list[tuple[str, dict[str, Any]]]) -> None:
    # CSV trims cells, so values with surrounding blanks are written trimmed (the schema sees the same).
    records = [
        record(kind, {k: v.strip() if isinstance(v, str) else v for k, v in wire.items()}, external_ref=f"r{i}")
        for i, (kind, wire) in enumerate(cases)
    ]
    records = [r for r in records if all(v != "" for v in r["outcome"].values())]
    if not records:
        return
    parsed = parse_records_csv(to_csv(records, crlf=False))
    assert parsed == records
