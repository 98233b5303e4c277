"""Counterfactual swaps for fairness: pronouns, gendered nouns, first names, places and locales.

Variant n targets one persona, a (gender, region) pair that cycles with n (3 genders x 7
regions, coprime, so the first 21 variants are all distinct and every gender appears within
three). The variant is tagged `swap_gender` / `swap_region` so `fairness(run, "swap_gender")`
compares the strata directly. Limits, stated: only he/she forms are swapped (a source "they"
is often plural); a text that mentions both a man and a woman has its genders flipped (or kept,
for the neutral persona) so the two people stay distinct; "her" and "his" are told apart by the
next word; verb agreement after "they" is fixed for the next word only.
"""
from __future__ import annotations

import random
import re
from dataclasses import dataclass
from typing import Mapping

from gradeloop.probes.mutations.base import Mutated
from gradeloop.probes.mutations.swap_lexicon import (
    CITIES, COUNTRIES, GENDERS, LOCALES, NAMES, NOUNS, PRONOUNS, REGIONS,
)


@dataclass(frozen=True, slots=True)
class _Term:
    kind: str  # pronoun | noun | name | city | country | locale
    gender: str | None = None
    region: str | None = None
    role: str = ""  # pronoun role, or the index of a noun triple


def _index() -> dict[str, _Term]:
    terms: dict[str, _Term] = {}
    for word, role, gender in (("he", "subj", "male"), ("him", "obj", "male"), ("his", "det", "male"),
                               ("himself", "refl", "male"), ("she", "subj", "female"), ("her", "obj", "female"),
                               ("hers", "pron", "female"), ("herself", "refl", "female")):
        terms[word] = _Term("pronoun", gender, role=role)
    for i, (male, female, _) in enumerate(NOUNS):
        terms.setdefault(male, _Term("noun", "male", role=str(i)))
        terms.setdefault(female, _Term("noun", "female", role=str(i)))
    for region in REGIONS:
        for gender, names in NAMES[region].items():
            for name in names:
                terms.setdefault(name, _Term("name", gender, region))
        for kind, table in (("city", CITIES), ("country", COUNTRIES), ("locale", LOCALES)):
            for value in table[region]:
                terms.setdefault(value, _Term(kind, None, region))
    return terms


_TERMS = _index()
_LOWER_KINDS = ("pronoun", "noun")
_CI = sorted((w for w, t in _TERMS.items() if t.kind in _LOWER_KINDS), key=len, reverse=True)
_CS = sorted((w for w, t in _TERMS.items() if t.kind not in _LOWER_KINDS), key=len, reverse=True)
_PATTERN = re.compile(
    r"(?<![\w-])(?:(?i:" + "|".join(map(re.escape, _CI)) + ")|" + "|".join(map(re.escape, _CS)) + r")(?![\w-])")
# After "her"/"his", these words mean the pronoun stood alone ("call her today", "it is his").
_NOT_A_NOUN = frozenset(
    "to and or but in on at for with from about by as that than if when because so the a an this these "
    "those up down out off back again too very now then there here some any all yet once before after into "
    "over under why how what where is was are were will would can could should today tomorrow tonight "
    "yesterday later soon immediately directly personally know".split())
_SLOT = {"male": 0, "female": 1, "neutral": 2}  # position in a NOUNS triple
_THEY = "\ue002"  # marks a "they" we wrote, so verb agreement touches only those
_AGREE = {"is": "are", "was": "were", "has": "have", "does": "do", "goes": "go", "isn't": "aren't",
          "wasn't": "weren't", "hasn't": "haven't", "doesn't": "don't"}
_ADVERBS = frozenset("always sometimes perhaps nevertheless afterwards towards".split())


def _lookup(word: str) -> _Term:
    return _TERMS.get(word) or _TERMS[word.lower()]


def _scan(text: str) -> list[tuple[re.Match[str], _Term]]:
    return [(m, _lookup(m.group(0))) for m in _PATTERN.finditer(text)]


def _like(src: str, new: str) -> str:
    if len(src) > 1 and src.isupper():
        return new.upper()
    return new[:1].upper() + new[1:] if src[:1].isupper() else new


def _role(term: _Term, text: str, end: int) -> str:
    """Tell object from determiner for "her" and determiner from pronoun for "his"."""
    if term.role not in ("obj", "det") or term.kind != "pronoun":
        return term.role
    nxt = re.match(r"\s+([A-Za-z][\w'-]*)", text[end:])
    followed_by_word = bool(nxt) and nxt.group(1).lower() not in _NOT_A_NOUN
    if term.role == "det":  # his
        return "det" if followed_by_word else "pron"
    return "det" if followed_by_word else "obj"  # her


def _agree(text: str) -> str:
    """Fix the verb after each "they" we wrote: "they is" -> "they are", "they works" -> "they work"."""
    def fix(m: re.Match[str]) -> str:
        if m.group("apos"):
            return m.group("they") + m.group("apos")[0] + "re" + (m.group("rest") or "")
        word = m.group("word")
        if word is None:
            return m.group(0).replace(_THEY, "")
        low = word.lower()
        if low in _AGREE:
            new = _AGREE[low]
        elif (low.endswith("s") and len(low) > 3 and not low.endswith(("ss", "us", "is"))
              and low not in _ADVERBS):
            new = low[:-3] + "y" if low.endswith("ies") else (
                low[:-2] if low.endswith(("ches", "shes", "xes", "zes", "oes")) else low[:-1])
        else:
            new = low
        return m.group("they") + m.group("sp") + _like(word, new)

    pattern = re.compile(rf"(?P<they>\w+){_THEY}(?:(?P<apos>['’]s)(?P<rest>)|(?P<sp>\s+)(?P<word>[A-Za-z][\w'’]*)?)?")
    return pattern.sub(fix, text).replace(_THEY, "")


def source_tags(text: str) -> dict[str, str]:
    """The gender and region a text already has, when it has exactly one of each (else no tag)."""
    found = _scan(text)
    genders = {t.gender for _, t in found if t.kind in ("pronoun", "noun", "name") and t.gender != "neutral"}
    regions = {t.region for _, t in found if t.region}
    tags = {}
    if len(genders) == 1:
        tags["swap_gender"] = genders.pop()
    if len(regions) == 1:
        tags["swap_region"] = regions.pop()
    return tags


def swap(text: str, rng: random.Random, n: int) -> Mutated:
    """Swap gendered words, names, places and locales to persona n (a gender and a region).

    Example (n=1, persona female/anglo): "Ask Rahul whether he booked the flight to Mumbai" ->
    "Ask Emily whether she booked the flight to London" (the name and city are drawn by the seed).
    """
    target = persona(n)
    target_gender, target_region = target["gender"], target["region"]
    found = _scan(text)
    genders = {t.gender for _, t in found if t.kind in ("pronoun", "noun", "name") and t.gender != "neutral"}
    if len(genders) > 1:  # two people: flip them, or keep them for the neutral persona
        gender_map = {"male": "female", "female": "male"} if target_gender != "neutral" else {}
        gender_tag = "flipped" if gender_map else None
    else:
        gender_map = {g: target_gender for g in genders}
        gender_tag = target_gender if genders else None
    replaced: dict[str, str] = {}
    used: set[str] = set()
    notes: list[str] = []

    def pick(pool: tuple[str, ...], src: str) -> str:
        free = [p for p in pool if p != src and p not in used] or [p for p in pool if p != src] or list(pool)
        choice = rng.choice(sorted(free))
        used.add(choice)
        return choice

    def repl(m: re.Match[str], term: _Term) -> str:
        src = m.group(0)
        if term.kind == "pronoun":
            gender = gender_map.get(term.gender, term.gender)
            new = PRONOUNS[gender][_role(term, text, m.end())]
            return _like(src, new) + (_THEY if new == "they" else "")
        if term.kind == "noun":
            gender = gender_map.get(term.gender, term.gender)
            return _like(src, NOUNS[int(term.role)][_SLOT[gender]])
        if src not in replaced:
            if term.kind == "name":
                gender = gender_map.get(term.gender, term.gender)
                pool = NAMES[target_region][gender]
            else:
                pool = {"city": CITIES, "country": COUNTRIES, "locale": LOCALES}[term.kind][target_region]
            replaced[src] = pick(pool, src)
        return replaced[src]

    pieces, last = [], 0
    for m, term in found:
        pieces.append(text[last:m.start()])
        new = repl(m, term)
        if new.replace(_THEY, "") != m.group(0):
            notes.append(f"{m.group(0)}->{new.replace(_THEY, '')}")
        pieces.append(new)
        last = m.end()
    pieces.append(text[last:])
    out = _agree("".join(pieces))
    tags: dict[str, str] = {}
    if gender_tag and any(t.kind in ("pronoun", "noun", "name") and t.gender != "neutral" for _, t in found):
        tags["swap_gender"] = gender_tag
    if any(t.region for _, t in found):
        tags["swap_region"] = target_region
    return Mutated(out, f"{gender_tag or 'same'}/{target_region}: " + ", ".join(notes), tags)


def persona(n: int) -> Mapping[str, str]:
    """The (gender, region) persona variant n targets."""
    return {"gender": GENDERS[(n - 1) % len(GENDERS)], "region": REGIONS[(n - 1) % len(REGIONS)]}
