"""终身学习卡 numbers: 16 digits, the last a Luhn check digit (ISO/IEC 7812-1 Annex B).

Luhn rather than MOD 11-2 because the card is digits only (MOD 11-2 may need an X) and Luhn catches
every single mistyped digit and almost every swap of neighbours, which is what happens at a counter.
The prefix 88 is the bank's own (no bank card range starts with it in China) and the 13 digits after
it are random, so a number says nothing about its holder.
"""

from __future__ import annotations

import re
import secrets

PREFIX = "88"
LENGTH = 16
CARD_NUMBER = r"^[0-9]{16}$"
_SEPARATORS = re.compile(r"[\s-]+")


def luhn_digit(payload: str) -> str:
    """The Luhn check digit to append to `payload` (ASCII digits)."""
    total = 0
    for i, c in enumerate(reversed(payload)):
        d = int(c)
        if i % 2 == 0:  # rightmost payload digit is doubled once the check digit is appended
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return str(-total % 10)


def is_valid(number: str) -> bool:
    """True for 16 ASCII digits with the bank's prefix and a correct Luhn digit (spaces and hyphens allowed)."""
    n = normalise(number)
    return (len(n) == LENGTH and n.isascii() and n.isdigit() and n.startswith(PREFIX)
            and luhn_digit(n[:-1]) == n[-1])


def normalise(number: str) -> str:
    """Spaces and hyphens removed (as printed: `8812 3456 7890 1234`)."""
    return _SEPARATORS.sub("", number)


def new_number() -> str:
    """A fresh random card number (the caller checks it is unused)."""
    body = PREFIX + "".join(secrets.choice("0123456789") for _ in range(LENGTH - len(PREFIX) - 1))
    return body + luhn_digit(body)


def printed(number: str) -> str:
    """Grouped by four for printing on the card."""
    return " ".join(number[i:i + 4] for i in range(0, len(number), 4))
