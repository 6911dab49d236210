"""How a phone or an ID number is shown where it is not asked for in full: lists, the case page,
the screen pop (DESIGN.md, "Petitioners' data": phones masked in lists).

A mobile keeps the shape people recognise a caller by, 138****5678: its first three digits
say only the carrier, and the four hidden ones leave 10,000 numbers.  Every other number
(a 7- or 8-digit landline, a landline with its area code, a foreign number) keeps at most
its last two digits: the first four and last four of a 7- or 8-digit landline would leave
at most a hundred numbers to ring, and an area code says where she lives.
"""

from __future__ import annotations

import re

# A mainland mobile, with or without the country code: 1[3-9] and nine more digits.
MOBILE = re.compile(r"(?P<country>\+?86)?(?P<mobile>1[3-9][0-9]{9})")
KEPT_DIGITS = 2
SHORTEST_WITH_KEPT_DIGITS = 7


def mask_phone(phone: str) -> str:
    """138****5678 for a mobile; *****34 for anything else (normalized digits, maybe a +)."""
    mobile = MOBILE.fullmatch(phone)
    if mobile:
        number = mobile["mobile"]
        return (mobile["country"] or "") + number[:3] + "****" + number[-4:]
    plus = "+" if phone.startswith("+") else ""
    digits = phone[len(plus):]
    if len(digits) < SHORTEST_WITH_KEPT_DIGITS:
        return plus + "*" * len(digits)
    return plus + "*" * (len(digits) - KEPT_DIGITS) + digits[-KEPT_DIGITS:]


def mask_id_number(id_number: str) -> str:
    """450330********1234: the county of registration and the last four, no birth date."""
    if len(id_number) < 10:
        return "*" * len(id_number)
    return id_number[:6] + "*" * (len(id_number) - 10) + id_number[-4:]
