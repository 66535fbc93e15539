"""Masking for the public notice (公示): never a full name or national ID.

Names: 2 characters → 张*; 3 characters → 张*三; 4 or more → first and last kept, every other character
masked (欧阳*锋 → 欧**锋 for four). A single character is masked whole. IDs: first four and last four kept,
the ten between masked (3701**********1234); anything shorter than 9 characters is masked whole.
"""

from __future__ import annotations


def mask_name(name: str) -> str:
    chars = list(name.strip())
    n = len(chars)
    if n <= 1:
        return "*"
    if n == 2:
        return chars[0] + "*"
    return chars[0] + "*" * (n - 2) + chars[-1]


def mask_id(nid: str) -> str:
    s = nid.strip()
    if len(s) < 9:
        return "*" * len(s)
    return s[:4] + "*" * (len(s) - 8) + s[-4:]
