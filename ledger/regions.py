"""Administrative division codes (GB/T 2260): the province prefixes the bank checks codes against."""

from __future__ import annotations

import re

# Province-level divisions (省级行政区) by their two-digit prefix, plus 81 Hong Kong, 82 Macao and
# 83 Taiwan, which residence permits for their residents use (港澳台居民居住证).
PROVINCE_CODES = frozenset({
    "11", "12", "13", "14", "15",
    "21", "22", "23",
    "31", "32", "33", "34", "35", "36", "37",
    "41", "42", "43", "44", "45", "46",
    "50", "51", "52", "53", "54",
    "61", "62", "63", "64", "65",
    "71", "81", "82", "83",
})

# Six digits whose first two are one of PROVINCE_CODES (kept equal by a unit test).
REGION_CODE = r"^(1[1-5]|2[1-3]|3[1-7]|4[1-6]|5[0-4]|6[1-5]|71|8[1-3])[0-9]{4}$"
_REGION_RE = re.compile(REGION_CODE)


def is_region_code(code: str) -> bool:
    """True for six ASCII digits whose first two name a province-level division.

    The full GB/T 2260 table changes every year (counties merge and split), so only the province prefix
    is checked; the rest is kept as given.
    """
    return bool(_REGION_RE.match(code)) and code[:2] in PROVINCE_CODES
