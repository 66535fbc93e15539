"""National ID check characters (GB 11643, ISO 7064 MOD 11-2), card numbers (Luhn), region codes."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from ledger import card_number, national_id
from ledger.errors import Invalid
from ledger.regions import PROVINCE_CODES, REGION_CODE, is_region_code

DIGITS = "0123456789"


@st.composite
def first17(draw: st.DrawFn) -> str:
    """Region, a real birth date, a sequence number: the 17 digits the check character covers."""
    province = draw(st.sampled_from(sorted(PROVINCE_CODES)))
    rest = draw(st.text(DIGITS, min_size=4, max_size=4))
    born = draw(st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2020, 12, 31)))
    seq = draw(st.text(DIGITS, min_size=3, max_size=3))
    return f"{province}{rest}{born:%Y%m%d}{seq}"


def test_the_standard_example() -> None:
    # The example number of GB 11643-1999 (Beijing, born 1949-12-31) ends in X.
    assert national_id.check_character("11010519491231002") == "X"
    assert national_id.problems("11010519491231002X") == []
    assert national_id.parse("11010519491231002x") == "11010519491231002X"


def test_weights_are_powers_of_two_mod_11() -> None:
    assert national_id.WEIGHTS == tuple(pow(2, 17 - i, 11) for i in range(17))


@given(first17())
def test_check_character_makes_a_valid_number(digits: str) -> None:
    nid = digits + national_id.check_character(digits)
    assert national_id.problems(nid) == []
    # sum of all 18 weighted values is 1 mod 11 (X counts 10): the defining property of MOD 11-2
    values = [int(c) for c in digits] + [10 if nid[17] == "X" else int(nid[17])]
    assert sum(v * pow(2, 17 - i, 11) for i, v in enumerate(values)) % 11 == 1


@given(first17(), st.integers(0, 16), st.integers(1, 9))
def test_any_single_digit_change_is_caught(digits: str, pos: int, delta: int) -> None:
    nid = digits + national_id.check_character(digits)
    changed = nid[:pos] + str((int(nid[pos]) + delta) % 10) + nid[pos + 1:]
    assert national_id.problems(changed) != []


@given(first17(), st.integers(0, 15))
def test_swapping_neighbours_is_caught(digits: str, pos: int) -> None:
    nid = digits + national_id.check_character(digits)
    assume(nid[pos] != nid[pos + 1])
    swapped = nid[:pos] + nid[pos + 1] + nid[pos] + nid[pos + 2:]
    assert national_id.problems(swapped) != []


@given(first17())
def test_full_width_digits_and_spaces_normalise(digits: str) -> None:
    nid = digits + national_id.check_character(digits)
    wide = " ".join(chr(ord(c) + 0xFEE0) for c in nid.lower())
    assert national_id.parse(wide) == nid


@pytest.mark.parametrize(("text", "en", "zh"), [
    ("110105491231002", "15-digit", "15 位"),
    ("1101051949123100", "18 characters", "18 位"),
    ("11010519491231002Y", "18 characters", "18 位"),
    ("00010519491231002X", "province", "省级"),
    ("110105194902300021", "date of birth", "出生日期"),
    ("110105189912310021", "before 1900", "早于 1900"),
    ("110105194912310021", "check character", "校验码"),
])
def test_each_problem_has_its_message_in_both_languages(text: str, en: str, zh: str) -> None:
    [problem] = national_id.problems(text)
    assert problem.field == "national_id" and en in problem.message_en and zh in problem.message_zh
    with pytest.raises(Invalid) as e:
        national_id.parse(text, field="people.0.national_id")
    assert e.value.fields[0].field == "people.0.national_id"


def test_future_birth_dates_are_refused() -> None:
    digits = "11010520990101002"
    nid = digits + national_id.check_character(digits)
    assert national_id.problems(nid, today=dt.date(2030, 1, 1))
    assert national_id.problems(nid, today=dt.date(2100, 1, 1)) == []


def test_foreign_permanent_residence_numbers_are_accepted() -> None:
    digits = "93115619850315001"  # 9, issuing province 31, nationality 156, born 1985-03-15
    assert national_id.problems(digits + national_id.check_character(digits)) == []


def test_masking_keeps_first_three_and_last_four() -> None:
    assert national_id.masked("11010519491231002X") == "110***********002X"


# --------------------------------------------------------------------------- card numbers


def test_luhn_reference_vector() -> None:
    assert card_number.luhn_digit("7992739871") == "3"


@given(st.integers(0, 200))
def test_new_numbers_are_valid_and_printable(_: int) -> None:
    number = card_number.new_number()
    assert len(number) == 16 and number.isdigit() and number.startswith(card_number.PREFIX)
    assert card_number.is_valid(number) and card_number.is_valid(card_number.printed(number))
    assert re.fullmatch(card_number.CARD_NUMBER, number)


@given(st.text(DIGITS, min_size=13, max_size=13), st.integers(0, 15), st.integers(1, 9))
def test_any_single_digit_change_breaks_the_card_number(body: str, pos: int, delta: int) -> None:
    payload = card_number.PREFIX + body
    number = payload + card_number.luhn_digit(payload)
    changed = number[:pos] + str((int(number[pos]) + delta) % 10) + number[pos + 1:]
    assert not card_number.is_valid(changed)


@given(st.text(DIGITS, min_size=13, max_size=13), st.integers(2, 14))
def test_neighbour_swaps_are_caught_except_09(body: str, pos: int) -> None:
    payload = card_number.PREFIX + body
    number = payload + card_number.luhn_digit(payload)
    a, b = number[pos], number[pos + 1]
    assume(a != b and {a, b} != {"0", "9"})
    assert not card_number.is_valid(number[:pos] + b + a + number[pos + 2:])


# --------------------------------------------------------------------------- region codes


@given(st.text(DIGITS, min_size=6, max_size=6))
def test_region_pattern_and_check_agree(code: str) -> None:
    assert bool(re.fullmatch(REGION_CODE, code)) == is_region_code(code) == (code[:2] in PROVINCE_CODES)
