"""The shipped conversion data files load, broken ones are refused field by field, hashes follow the bytes."""

from __future__ import annotations

import hashlib
import json
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import pytest

from ledger.conversion import (
    DataFileError,
    default_agreements,
    default_programmes,
    default_rulesets,
    load_programme,
    load_ruleset,
)
from ledger.conversion.loader import DATA
from ledger.conversion.model import CourseCategory, PoolSlot

CHONGQING = DATA / "rulesets" / "chongqing-style.v1.json"
POWER = DATA / "programmes" / "power-430103.json"


def test_shipped_rule_sets_load_with_sources() -> None:
    rulesets = {r.style: r for r in default_rulesets()}
    assert set(rulesets) == {"chongqing", "fujian"}
    for ruleset in rulesets.values():
        known = {s.id for s in ruleset.sources}
        assert {"C8", "C20", "C21"} <= known
        assert all(set(rule.sources) <= known and rule.sources for rule in ruleset.rules)
        assert ruleset.caps.total_share == Decimal("0.5") and ruleset.caps.core_share == Decimal("0.35")
        assert ruleset.content_hash == "sha256:" + hashlib.sha256(
            (DATA / "rulesets" / f"{ruleset.style}-style.v1.json").read_bytes()).hexdigest()


def test_shipped_programmes_are_complete() -> None:
    programmes = {p.code: p for p in default_programmes()}
    assert {p.name for p in programmes.values()} == {"电力系统自动化技术", "机械工程", "现代物流管理"}
    assert programmes["430103"].total_credits == 145
    assert programmes["080201"].total_credits == 80
    assert programmes["530802"].total_credits == 140
    for programme in programmes.values():
        assert sum(c.credits for c in programme.courses) == programme.total_credits
        assert {c.category for c in programme.courses} == set(CourseCategory)
        assert {PoolSlot.PROFESSIONAL_ELECTIVE, PoolSlot.PUBLIC_ELECTIVE} <= {p.slot for p in programme.pools}
        assert programme.id.startswith("urn:uuid:") and len(programme.code) == 6
    assert len({p.id for p in programmes.values()}) == 3


def test_shipped_agreement_loads() -> None:
    (agreement,) = default_agreements()
    mechanical = next(p for p in default_programmes() if p.code == "080201")
    assert agreement.to_institution == mechanical.institution_id
    codes = {c.code for c in mechanical.courses}
    assert {m.to_code for m in agreement.mappings} <= codes


def _broken(tmp_path: Path, source: Path, edit) -> Path:  # type: ignore[no-untyped-def]
    document = json.loads(source.read_text(encoding="utf-8"))
    edit(document)
    path = tmp_path / source.name
    path.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    return path


def test_a_bad_grant_mode_is_refused_naming_the_field(tmp_path: Path) -> None:
    path = _broken(tmp_path, CHONGQING, lambda d: d["rules"][3]["grant"].update(mode="teleport"))
    with pytest.raises(DataFileError) as caught:
        load_ruleset(path)
    assert list(caught.value.fields) == ["rules.3.grant.mode"]
    assert "rules.3.grant.mode" in str(caught.value) and CHONGQING.name in str(caught.value)


def test_graduation_targets_and_unknown_keys_are_refused(tmp_path: Path) -> None:
    path = _broken(tmp_path, CHONGQING, lambda d: d["rules"][1]["grant"].update(categories=["graduation"]))
    with pytest.raises(DataFileError) as caught:
        load_ruleset(path)
    assert "rules.1.grant.categories" in caught.value.fields
    path = _broken(tmp_path, CHONGQING, lambda d: d["caps"].update(totl_share="0.5"))
    with pytest.raises(DataFileError) as caught:
        load_ruleset(path)
    assert "caps.totl_share" in caught.value.fields


def test_a_programme_whose_courses_do_not_sum_is_refused(tmp_path: Path) -> None:
    path = _broken(tmp_path, POWER, lambda d: d["courses"][0].update(credits="4"))
    with pytest.raises(DataFileError) as caught:
        load_programme(path)
    assert "total_credits" in caught.value.fields
    assert "146" in " ".join(caught.value.fields["total_credits"])
    path = _broken(tmp_path, POWER, lambda d: d["courses"][-1].update(replaceable=True))
    with pytest.raises(DataFileError) as caught:
        load_programme(path)
    assert "courses.40.replaceable" in caught.value.fields


def test_not_json_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_bytes(b"{\"id\": ")
    with pytest.raises(DataFileError) as caught:
        load_ruleset(path)
    assert "$" in caught.value.fields


def test_hash_follows_the_exact_bytes(tmp_path: Path) -> None:
    path = tmp_path / CHONGQING.name
    path.write_bytes(CHONGQING.read_bytes())
    first = load_ruleset(path)
    path.write_bytes(CHONGQING.read_bytes() + b"\n")  # same JSON, different bytes
    second = load_ruleset(path)
    assert first.content_hash != second.content_hash
    assert second.content_hash == "sha256:" + hashlib.sha256(path.read_bytes()).hexdigest()
    assert replace(second, content_hash=first.content_hash) == first
