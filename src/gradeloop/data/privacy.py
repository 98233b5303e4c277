"""Finds personal identifiers in text, so synthetic rows carrying them are dropped.

Kinds: email, phone, card (13–19 digits passing the Luhn check), iban (mod-97 checksum),
account (a digit run introduced by "account"/"acct"/"a/c"), ip (IPv4 and IPv6, validated
by `ipaddress`). Checksums keep ordinary numbers (order ids, dates) from being flagged.
"""
from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass

KINDS = ("email", "phone", "card", "iban", "account", "ip")

_EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}\b")
_CARD = re.compile(r"(?<![\d-])(?:\d[ -]?){12,18}\d(?![\d-])")
_IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]){11,30}\b")
_ACCOUNT = re.compile(r"\b(?:account|acct|a/c)(?:\s*(?:number|no\.?|num|#))?\s*[:#]?\s*(\d[\d -]{4,}\d)\b",
                      re.IGNORECASE)
_PHONE = re.compile(r"(?<![\w+])(?:\+\d{1,3}[ .-]?)?(?:\(\d{1,4}\)[ .-]?)?\d{2,4}(?:[ .-]?\d{2,4}){1,4}(?![\w])")
_IPV4 = re.compile(r"(?<![\d.])(?:\d{1,3}\.){3}\d{1,3}(?![\d.])")
_IPV6 = re.compile(r"(?<![\w:])(?:[0-9A-Fa-f]{0,4}:){2,7}[0-9A-Fa-f]{0,4}(?![\w:])")


@dataclass(frozen=True, slots=True)
class Identifier:
    """Where an identifier of which kind sits in a text (its value is never copied out)."""

    kind: str
    start: int
    end: int


def luhn_ok(digits: str) -> bool:
    """The Luhn checksum that every payment card number satisfies."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def iban_ok(iban: str) -> bool:
    """ISO 13616 check: move the first four characters to the end, letters to numbers, mod 97 == 1."""
    s = iban.replace(" ", "").upper()
    if not 15 <= len(s) <= 34:
        return False
    rearranged = s[4:] + s[:4]
    return int("".join(str(int(c, 36)) for c in rearranged)) % 97 == 1


def _digits(text: str) -> str:
    return "".join(c for c in text if c.isdigit())


def find_identifiers(text: str) -> list[Identifier]:
    """Every identifier found, in order of position; overlapping weaker matches are dropped."""
    found: list[Identifier] = []
    taken: list[tuple[int, int]] = []

    def add(kind: str, start: int, end: int) -> None:
        if not any(start < e and s < end for s, e in taken):
            found.append(Identifier(kind, start, end))
            taken.append((start, end))

    for m in _EMAIL.finditer(text):
        add("email", m.start(), m.end())
    for m in _IBAN.finditer(text):
        if iban_ok(m.group()):
            add("iban", m.start(), m.end())
    for m in _CARD.finditer(text):
        digits = _digits(m.group())
        if 13 <= len(digits) <= 19 and luhn_ok(digits):
            add("card", m.start(), m.end())
    for m in _ACCOUNT.finditer(text):
        if len(_digits(m.group(1))) >= 6:
            add("account", m.start(1), m.end(1))
    for m in _IPV4.finditer(text):
        try:
            ipaddress.IPv4Address(m.group())
        except ValueError:
            continue
        add("ip", m.start(), m.end())
    for m in _IPV6.finditer(text):
        candidate = m.group()
        if candidate.count(":") >= 2 and any(c.isdigit() for c in candidate):
            try:
                ipaddress.IPv6Address(candidate)
            except ValueError:
                continue
            add("ip", m.start(), m.end())
    for m in _PHONE.finditer(text):
        digits = _digits(m.group())
        international = m.group().lstrip().startswith("+")
        if (international and 8 <= len(digits) <= 15) or (not international and 10 <= len(digits) <= 11
                                                           and any(c in m.group() for c in " .-(")):
            add("phone", m.start(), m.end())
    return sorted(found, key=lambda i: i.start)


def identifier_kinds(text: str) -> set[str]:
    """The kinds of identifier present in `text`."""
    return {i.kind for i in find_identifiers(text)}
