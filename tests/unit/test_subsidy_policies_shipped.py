"""Every shipped subsidy policy file loads, and each one's amounts match the figures its seed gives."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from ledger.subsidies.policies import DATA, load_all, parse, split_amounts

SHIPPED = sorted(DATA.glob("*.json"))


def test_the_shipped_policies_are_there() -> None:
    assert {p.stem for p in SHIPPED} >= {"liaocheng-2022", "tianjin-2018", "xian-2023", "chongqing-2023"}
    assert set(load_all()) == {json.loads(p.read_bytes())["id"] for p in SHIPPED}


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.name)
def test_every_shipped_file_loads(path) -> None:
    policy = parse(path.read_bytes(), path.name)
    assert policy.id == path.stem
    assert policy.content_hash.startswith("sha256:")
    assert sum(q["places"] for q in policy.quotas) == policy.quota_total


def test_tianjin_pays_4000_after_graduation() -> None:
    # seed 000_c1fba9ffbda7242b: "农民工学历教育的学费由个人垫支，毕业后，凭毕业证书和正式收据（发票），市总工会给予学费补贴4000元。"
    p = load_all()["tianjin-2018"]
    assert p.funders[0]["amount"]["kind"] == "after_graduation"
    assert split_amounts(p, tuition=Decimal("9000")) == {"tianjin-fts": Decimal("4000.00")}


@pytest.mark.parametrize(("honour", "expected"), [
    # seed 002: "对市级以上劳模全额资助" — tuition 5000 yuan, all of it
    ("city_model_worker", Decimal("5000.00")),
    # seed 002: "对区县劳模和系统劳模(先进工作者)资助90%学费" — 5000 × 90 %
    ("district_model_worker", Decimal("4500.00")),
    # seed 002: "对市、区技术能手、创新能手、职业技能带头人、工会优秀(先进)工作者资助80%学费" — 5000 × 80 %
    ("district_technical_expert", Decimal("4000.00")),
    # seed 002: "对其他职工(农民工)资助70%学费" — 5000 × 70 %
    (None, Decimal("3500.00")),
])
def test_xian_pays_a_share_of_tuition_by_honour(honour, expected) -> None:
    p = load_all()["xian-2023"]
    assert split_amounts(p, tuition=Decimal("5000"), honour=honour) == {"xian-fts": expected}


@pytest.mark.parametrize(("honour", "expected"), [
    # seed 002: "对市总工会服务管理的省部级以上功勋荣誉获得者和管理一线的劳模获得者参加学历提升并按期毕业的,
    #            由市总工会分别给予6000元和5000元的定额补助"
    ("national_model_worker", Decimal("6000.00")),
    ("provincial_may_day_medal", Decimal("6000.00")),
    ("city_model_worker", Decimal("5000.00")),
    (None, Decimal("0.00")),  # the seed grants nothing to workers without such an honour
])
def test_chongqing_pays_a_fixed_grant_by_honour(honour, expected) -> None:
    p = load_all()["chongqing-2023"]
    assert split_amounts(p, tuition=Decimal("8000"), honour=honour) == {"chongqing-fts": expected}
