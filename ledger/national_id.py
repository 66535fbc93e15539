"""National ID numbers (公民身份号码, GB 11643-1999): normalised, checked, with field problems in two languages.

Only the 18-character form is accepted. The 15-digit first-generation numbers carry no check digit and
stopped being valid on 1 January 2013 (every holder has had an 18-digit number since), so they are
refused with a message that says so rather than converted: a converted number could never be checked.
The 2023 foreign permanent residence ID (first character 9) has the same layout and check digit and is
accepted.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata

from ledger.errors import FieldProblem, Invalid
from ledger.regions import PROVINCE_CODES

NATIONAL_ID = r"^[0-9]{17}[0-9Xx]$"
_SHAPE = re.compile(r"^[0-9]{17}[0-9X]$")
_LEGACY = re.compile(r"^[0-9]{15}$")
# ISO 7064 MOD 11-2 weights 2^(17-i) mod 11 for the first 17 digits, and the check character per remainder.
WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"
_EARLIEST_BIRTH = dt.date(1900, 1, 1)


def check_character(first17: str) -> str:
    """The GB 11643 check character (0-9 or X) of the first 17 digits."""
    return _CHECK[sum(int(c) * w for c, w in zip(first17, WEIGHTS, strict=True)) % 11]


def normalise(text: str) -> str:
    """Full-width digits to ASCII (NFKC), spaces removed, a lower-case x made upper-case."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text)).upper()


def problems(text: str, field: str = "national_id", *, today: dt.date | None = None) -> list[FieldProblem]:
    """What is wrong with a national ID number, if anything (empty list: it is valid)."""
    nid = normalise(text)

    def bad(en: str, zh: str) -> list[FieldProblem]:
        return [FieldProblem(field, en, zh)]

    if _LEGACY.match(nid):
        return bad("15-digit first-generation ID numbers are no longer valid (since 2013); "
                   "give the 18-digit number on the current ID card",
                   "15 位第一代身份证号码已于 2013 年停止使用，请填写现行身份证上的 18 位号码")
    if not _SHAPE.match(nid):
        return bad("must be 18 characters: 17 digits and a check character (0-9 or X)",
                   "应为 18 位：17 位数字加 1 位校验码（0-9 或 X）")
    province = nid[1:3] if nid[0] == "9" else nid[:2]
    if province not in PROVINCE_CODES:
        return bad("does not start with a province code (GB/T 2260)", "开头不是有效的省级行政区划代码（GB/T 2260）")
    try:
        born = dt.date(int(nid[6:10]), int(nid[10:12]), int(nid[12:14]))
    except ValueError:
        return bad("characters 7-14 are not a valid date of birth (YYYYMMDD)",
                   "第 7-14 位不是有效的出生日期（YYYYMMDD）")
    if born < _EARLIEST_BIRTH or born > (today or dt.date.today()):
        return bad("the date of birth (characters 7-14) is before 1900 or in the future",
                   "出生日期（第 7-14 位）早于 1900 年或晚于今天")
    if check_character(nid[:17]) != nid[17]:
        return bad("the check character does not match (GB 11643, ISO 7064 MOD 11-2); look for a mistyped digit",
                   "校验码不符（GB 11643，ISO 7064 MOD 11-2），请检查是否有数字输错")
    return []


def parse(text: str, field: str = "national_id") -> str:
    """The normalised number, or raise Invalid naming the field."""
    found = problems(text, field)
    if found:
        raise Invalid("invalid national ID number", "身份证号码无效", found)
    return normalise(text)


def masked(nid: str) -> str:
    """For display to people who need to recognise, not read, a number: first 3 and last 4 kept."""
    return nid[:3] + "*" * (len(nid) - 7) + nid[-4:]
