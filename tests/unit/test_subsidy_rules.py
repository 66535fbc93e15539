"""Pure subsidy logic: eligibility edges, masking that never leaks, amounts per funder summing to the total."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ledger.errors import Invalid
from ledger.subsidies import eligibility, masking, policies
from ledger.subsidies.eligibility import Facts

POLICY = policies.get_policy("liaocheng-2022")
BASE = Facts(birth_date=dt.date(1990, 1, 1), enrolled_on=dt.date(2022, 3, 1), education_level="zhuanke",
             union_member=True, post="frontline", contract_start=dt.date(2020, 1, 1), civil_servant=False)


def failed(**changes: object) -> list[str]:
    return [f.rule for f in eligibility.failures(POLICY, eligibility.Facts(**{**BASE.__dict__, **changes}))]


def test_the_base_applicant_is_eligible() -> None:
    assert failed() == []


def test_seventeen_vs_eighteen_on_the_enrolment_date() -> None:
    assert failed(birth_date=dt.date(2004, 3, 1)) == []  # 18th birthday is the enrolment day
    assert failed(birth_date=dt.date(2004, 3, 2)) == ["adult_on_enrolment"]  # one day short


def test_leap_day_birthday() -> None:
    assert eligibility.age_on(dt.date(2004, 2, 29), dt.date(2022, 2, 28)) == 17
    assert eligibility.age_on(dt.date(2004, 2, 29), dt.date(2022, 3, 1)) == 18


def test_contract_exactly_one_year_vs_one_day_short_at_publication() -> None:
    assert POLICY.published_on == dt.date(2022, 2, 22)
    assert failed(contract_start=dt.date(2021, 2, 22)) == []
    assert failed(contract_start=dt.date(2021, 2, 23)) == ["contract_one_year"]


def test_enrolment_in_the_wrong_year_and_uncovered_levels() -> None:
    assert failed(enrolled_on=dt.date(2021, 12, 31)) == ["new_enrolment_in_year"]
    assert failed(enrolled_on=dt.date(2023, 1, 1)) == ["new_enrolment_in_year"]
    assert failed(education_level="vocational_benke") == ["education_level_covered"]
    assert failed(enrolled_on=None, education_level=None) == [
        "adult_on_enrolment", "new_enrolment_in_year", "education_level_covered"]


def test_posts_up_to_workshop_director() -> None:
    for post in ("frontline", "team_leader", "section_chief", "workshop_director"):
        assert failed(post=post) == []
    assert failed(post="above_workshop_director") == ["frontline_post"]
    assert failed(post=None) == ["frontline_post"]


@given(birth=st.dates(dt.date(1950, 1, 1), dt.date(2010, 12, 31)),
       enrolled=st.dates(dt.date(2022, 1, 1), dt.date(2022, 12, 31)))
def test_age_rule_agrees_with_the_18th_birthday(birth: dt.date, enrolled: dt.date) -> None:
    eighteenth = eligibility.add_years(birth, 18)
    if birth.month == 2 and birth.day == 29:
        eighteenth = dt.date(birth.year + 18, 3, 1)  # a leap-day child is 18 on 1 March of a common year
    assert ("adult_on_enrolment" not in failed(birth_date=birth, enrolled_on=enrolled)) == (enrolled >= eighteenth)


@given(start=st.dates(dt.date(2000, 1, 1), dt.date(2022, 12, 31)))
def test_contract_rule_is_monotonic_in_the_start_date(start: dt.date) -> None:
    ok = "contract_one_year" not in failed(contract_start=start)
    assert ok == (start <= dt.date(2021, 2, 22))


CJK = st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF)


@given(name=st.text(CJK, min_size=2, max_size=8))
def test_a_masked_name_never_shows_the_full_name(name: str) -> None:
    m = masking.mask_name(name)
    assert name not in m and len(m) == len(name)
    assert m[0] == name[0] and "*" in m
    hidden = [c for c, k in zip(name, m, strict=True) if k == "*"]
    assert len(hidden) >= max(1, len(name) - 2)


def test_name_masks_for_2_3_4_characters() -> None:
    assert masking.mask_name("张三") == "张*"
    assert masking.mask_name("张小三") == "张*三"
    assert masking.mask_name("欧阳小锋") == "欧**锋"
    assert masking.mask_name("李") == "*"


@given(nid=st.from_regex(r"\A[1-6][0-9]{16}[0-9X]\Z"))
def test_a_masked_id_keeps_only_four_and_four(nid: str) -> None:
    m = masking.mask_id(nid)
    assert m == nid[:4] + "*" * 10 + nid[-4:]
    assert nid not in m and nid[4:14] not in m


@given(tuition=st.decimals(min_value=0, max_value=100000, places=2),
       honour=st.sampled_from(["city_model_worker", "district_model_worker", "technical_expert", "default", None]))
def test_amounts_per_funder_sum_to_the_total(tuition: Decimal, honour: str | None) -> None:
    xian = json.loads((policies.DATA / "liaocheng-2022.json").read_text())
    xian.update(id="xian-test", funders=[
        {"id": "city", "name_zh": "市", "level": "city", "region_code": "610100",
         "amount": {"kind": "tuition_share", "by_honour": {"city_model_worker": "1.00", "district_model_worker": "0.90",
                                                           "technical_expert": "0.80", "default": "0.70"}}},
        {"id": "county", "name_zh": "区", "level": "county", "region_code": "610102",
         "amount": {"kind": "fixed", "per_person": "300.00"}}])
    p = policies.parse(json.dumps(xian).encode())
    split = policies.split_amounts(p, tuition=tuition, honour=honour)
    assert set(split) == {"city", "county"}
    assert all(v >= 0 and v == v.quantize(Decimal("0.01")) for v in split.values())
    assert split["city"] <= tuition
    total = sum(split.values(), Decimal(0))
    assert total == split["city"] + Decimal("300.00")


def test_the_liaocheng_table_is_shipped_exactly() -> None:
    q = {r["name_zh"]: (r["places"], r["province_wan"], r["city_wan"]) for r in POLICY.quotas}
    assert q["东昌府区"] == (20, Decimal("2"), Decimal("2")) and q["开发区"] == (10, Decimal("1"), Decimal("1"))
    assert q["高新区"] == (5, Decimal("0.5"), Decimal("0.5")) and q["度假区"] == (5, Decimal("0.5"), Decimal("0.5"))
    assert len(q) == 12 and sum(p for p, _, _ in q.values()) == 200 == POLICY.quota_total
    # 万元 in the table == places × 1000 yuan per funder
    for places, prov, city in q.values():
        assert prov * 10000 == places * 1000 == city * 10000
    assert POLICY.content_hash.startswith("sha256:")


def test_a_bad_policy_file_names_the_field() -> None:
    doc = json.loads((policies.DATA / "liaocheng-2022.json").read_text())
    doc["quota_total"] = 201
    doc["funders"][0]["level"] = "village"
    with pytest.raises(Invalid) as exc:
        policies.parse(json.dumps(doc).encode())
    fields = {f.field for f in exc.value.fields}
    assert "funders.0.level" in fields
