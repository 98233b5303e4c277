"""Reading a judge model's reply: a verdict from JSON, `VERDICT: PASS`, a grade letter or a number.

Judges answer in many shapes; this accepts the common ones and refuses to guess otherwise
(an unparseable reply is a grader error, never a pass). Chatty judges quote the output they
grade, and the output may hold a verdict of its own (`{"score": 1, "passed": true}`,
`VERDICT: PASS`), so only the judge's own verdict counts: the verdict object carrying the
call's nonce (`"verdict_id"`, asked for in the prompt and unguessable by the output); else the
one verdict the reply states, or, when it states several that differ, the object that opens
the reply (the shape the judge was asked for). Any other disagreement is an error.
"""
from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from typing import Any, Mapping

# Letter grades when the rubric gives no choices of its own.
LETTER_SCORES: Mapping[str, float] = {"A": 1.0, "B": 0.75, "C": 0.5, "D": 0.25, "E": 0.0, "F": 0.0}
_PASS_WORDS = {"PASS": 1.0, "PASSED": 1.0, "YES": 1.0, "TRUE": 1.0, "CORRECT": 1.0,
               "FAIL": 0.0, "FAILED": 0.0, "NO": 0.0, "FALSE": 0.0, "INCORRECT": 0.0}
_JSON_KEYS = ("score", "result", "passed", "verdict", "choice", "grade", "label", "rating")
_TOKEN = r"([A-Za-z_]{2,}|[A-Za-z][+-]?|[-+]?\d+(?:\.\d+)?(?:\s*/\s*\d+(?:\.\d+)?)?)"
_VERDICT = re.compile(r"\bVERDICT\b\W{0,3}[:=]\W{0,3}" + _TOKEN, re.IGNORECASE)
_LABELLED = re.compile(r"\b(?:GRADE|SCORE|RATING|CHOICE|RESULT)\b\W{0,3}[:=]\W{0,3}" + _TOKEN, re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Verdict:
    """What the judge said: a normalised score in [0, 1], an explicit pass/fail if stated, why, how sure."""

    score: float
    passed: bool | None = None
    reasoning: str = ""
    confidence: float | None = None


def _score_of(token: Any, choices: Mapping[str, float] | None, lo: float, hi: float, clip: bool = False) -> float:
    """Normalise one stated score, label or pass word to [0, 1]; ValueError if it is none of them."""
    if isinstance(token, bool):
        return float(token)
    if isinstance(token, (int, float)):
        x = float(token)
        if clip and math.isfinite(x):
            x = min(max(x, lo), hi)  # OpenAI's score_model clips the model's result to its range
        if not math.isfinite(x) or not lo <= x <= hi:
            raise ValueError(f"score {token!r} outside the range [{lo:g}, {hi:g}]")
        return (x - lo) / (hi - lo)
    text = str(token).strip().strip("*\"'`.").strip()
    if choices:
        for label, value in choices.items():
            if text.casefold() == label.casefold():
                return value
    if text.upper() in _PASS_WORDS:
        return _PASS_WORDS[text.upper()]
    frac = re.fullmatch(r"([-+]?\d+(?:\.\d+)?)\s*/\s*(\d+(?:\.\d+)?)", text)
    if frac:
        num, den = float(frac.group(1)), float(frac.group(2))
        if den <= 0 or not 0 <= num <= den:
            raise ValueError(f"score {text!r} is not a fraction in [0, 1]")
        return num / den
    try:
        return _score_of(float(text), choices, lo, hi, clip)
    except ValueError as exc:
        if re.fullmatch(r"[-+]?\d+(?:\.\d+)?", text):
            raise exc
    if not choices and text.upper().rstrip("+-") in LETTER_SCORES:
        return LETTER_SCORES[text.upper().rstrip("+-")]
    raise ValueError(f"not a score, label or verdict: {text[:40]!r}")


NONCE_KEY = "verdict_id"
_LINE_OPENING = re.compile(r"[\s*_#>`]*")  # only whitespace or markdown before the first verdict line
_OPENING = re.compile(r"\s*(?:```[ \t]*(?:json|JSON)?[ \t]*\r?\n\s*)?")


def _json_objects(reply: str) -> list[tuple[int, dict[str, Any]]]:
    """(offset, object) of every JSON object embedded in the reply that carries a verdict key, in order."""
    dec, found, i = json.JSONDecoder(), [], reply.find("{")
    while i != -1:
        try:
            obj, end = dec.raw_decode(reply, i)
        except (ValueError, RecursionError):
            i = reply.find("{", i + 1)
            continue
        if isinstance(obj, dict) and any(k in obj for k in _JSON_KEYS):
            found.append((i, obj))
        i = reply.find("{", end)
    return found


def _confidence(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return None
    c = float(value) / (100.0 if 1.0 < value <= 100.0 else 1.0)  # "85" means 85%
    return c if 0.0 <= c <= 1.0 else None


def _from_json(obj: Mapping[str, Any], choices: Mapping[str, float] | None, lo: float, hi: float,
               clip: bool = False) -> Verdict:
    passed = obj.get("passed")
    passed = passed if isinstance(passed, bool) else None
    stated = next((obj[k] for k in ("score", "result", "choice", "grade", "label", "rating", "verdict")
                   if obj.get(k) is not None), None)
    if stated is None and passed is None:
        raise ValueError("JSON verdict has neither a score nor `passed`")
    score = _score_of(stated, choices, lo, hi, clip) if stated is not None else float(bool(passed))
    if passed is None and isinstance(obj.get("verdict"), str) and obj["verdict"].strip().upper() in _PASS_WORDS:
        passed = _PASS_WORDS[obj["verdict"].strip().upper()] == 1.0
    reasoning = next((str(obj[k]) for k in ("reasoning", "reason", "explanation", "rationale") if obj.get(k)), "")
    return Verdict(score, passed, reasoning, _confidence(obj.get("confidence")))


def _same(verdicts: list[Verdict]) -> bool:
    return len({(round(v.score, 9), v.passed) for v in verdicts}) == 1


def _ambiguous(kind: str, verdicts: list[Verdict]) -> ValueError:
    shown = ", ".join(f"{v.score:g}" + ("" if v.passed is None else (" pass" if v.passed else " fail"))
                      for v in verdicts[:4])
    return ValueError(f"the reply states {len(verdicts)} different {kind} verdicts ({shown}) and none is "
                      "marked as the judge's own; the graded output may be quoted")


def parse_verdict(reply: str, choices: Mapping[str, float] | None = None,
                  score_range: tuple[float, float] = (0.0, 1.0), nonce: str | None = None,
                  clip: bool = False) -> Verdict:
    """The judge's own verdict in `reply` (see the module docstring); ValueError when none can be read.

    `nonce`: the value the prompt asked the judge to put in `"verdict_id"`; an object carrying it wins.
    `clip`: a number outside `score_range` is clipped to it (OpenAI's score_model) instead of refused.
    """
    lo, hi = score_range
    found = _json_objects(reply)
    if found:
        if nonce is not None:
            tagged = [obj for _, obj in found if str(obj.get(NONCE_KEY, "")).strip() == nonce]
            if tagged:
                return _from_json(tagged[0], choices, lo, hi, clip)
        verdicts = [_from_json(obj, choices, lo, hi, clip) for _, obj in found]
        if _same(verdicts) or found[0][0] == _OPENING.match(reply).end():
            return verdicts[0]
        raise _ambiguous("JSON", verdicts)
    for pattern in (_VERDICT, _LABELLED):
        matches = list(pattern.finditer(reply))
        if matches:
            verdicts = []
            for m in matches:
                token = m.group(1)
                word = token.strip().upper()
                passed = (_PASS_WORDS[word] == 1.0) if word in _PASS_WORDS else None
                verdicts.append(Verdict(_score_of(token, choices, lo, hi, clip), passed, reply.strip()[:300]))
            if not _same(verdicts) and not _LINE_OPENING.fullmatch(reply[:matches[0].start()]):
                raise _ambiguous("line", verdicts)
            return verdicts[0]
    lines = [ln.strip() for ln in reply.strip().splitlines() if ln.strip()]
    if lines and len(lines[-1]) <= 12:
        token = lines[-1]
        score = _score_of(token, choices, lo, hi, clip)
        word = token.strip("*\"'`. ").upper()
        passed = (_PASS_WORDS[word] == 1.0) if word in _PASS_WORDS else None
        return Verdict(score, passed, " ".join(lines[:-1])[:300])
    raise ValueError(f"no verdict found in the judge's reply: {reply.strip()[:120]!r}")
