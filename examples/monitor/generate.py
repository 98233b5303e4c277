"""Writes the example production logs: a quiet baseline day and a day whose second half drifts.

Run `python examples/monitor/generate.py` to regenerate baseline.jsonl and traffic.jsonl
(deterministic). The planted drift: from 12:00 on the second day, answers in locale `de` get
longer (an extra troubleshooting paragraph) and refusals there rise from ~3% to ~25%.
"""
from __future__ import annotations

import json
import random
from datetime import datetime, timedelta, timezone
from pathlib import Path

HERE = Path(__file__).parent
QUESTIONS = {
    "password-reset": ["How do I reset my password?", "The reset link expired, what now?",
                       "I never got the reset email."],
    "billing": ["Why was I charged twice?", "How do I download my invoice?", "Can I change my billing date?"],
    "login": ["My login keeps failing.", "Why am I locked out?", "The one-time code is not accepted."],
}
OPENERS = ["Sure.", "Happy to help.", "Thanks for reaching out.", "Good question."]
STEPS = {
    "password-reset": ["Open the sign-in page and choose Forgot password.", "Enter the email on your account.",
                       "Use the link within 30 minutes; it expires after that.", "Check your spam folder."],
    "billing": ["Open Settings, then Billing.", "Your invoices are listed by month.",
                "A duplicate charge is usually a pending authorisation that drops off in 3 days.",
                "You can pick a new billing date once per cycle."],
    "login": ["Make sure caps lock is off.", "After five failed attempts the account locks for 15 minutes.",
              "One-time codes expire after 60 seconds; request a new one.", "Check that your device clock is correct."],
}
EXTRA = ["If that does not work, clear your browser cache and cookies, restart the browser, try a private window,",
         "then try another device or network, and note any error message you see so our team can look it up",
         "in the logs; include the time, your browser version and the last four digits of your account number."]
REFUSALS = ["I can't help with that request.", "I'm sorry, but I can't assist with account changes here."]
LOCALES = ["en", "de", "fr"]


def _answer(rng: random.Random, intent: str, longer: bool) -> str:
    parts = [rng.choice(OPENERS)] + rng.sample(STEPS[intent], rng.randint(1, 3))
    if longer:
        parts += EXTRA[: rng.randint(2, 3)]
    return " ".join(parts)


def _line(rng: random.Random, ts: datetime, drifted: bool, epoch: bool) -> dict:
    intent = rng.choice(list(QUESTIONS))
    locale = rng.choices(LOCALES, weights=[0.5, 0.3, 0.2])[0]
    shifted = drifted and locale == "de"
    stamp = int(ts.timestamp()) if epoch else ts.replace(microsecond=0).isoformat().replace("+00:00", "Z")
    row: dict = {"timestamp": stamp, "input": rng.choice(QUESTIONS[intent]),
                 "tags": {"locale": locale, "intent": intent}}
    if rng.random() < 0.01:
        row.update(output=None, error="upstream timeout", latency_s=30.0)
        return row
    if rng.random() < (0.25 if shifted else 0.03):
        row["output"] = rng.choice(REFUSALS)
    else:
        row["output"] = _answer(rng, intent, shifted)
    row["latency_s"] = round(rng.lognormvariate(0.0, 0.35) * (1.3 if shifted else 1.0), 3)
    row["confidence"] = round(min(1.0, max(0.0, rng.gauss(0.8, 0.08))), 3)
    return row


def write(path: Path, start: datetime, n: int, drift_from: datetime | None, seed: int, epoch: bool) -> None:
    """n requests spread over one day from `start`; timestamps as epoch seconds or ISO 8601."""
    rng = random.Random(seed)
    step = timedelta(days=1) / n
    with path.open("w", encoding="utf-8") as fh:
        for i in range(n):
            ts = start + i * step + timedelta(seconds=rng.uniform(0, 5))
            drifted = drift_from is not None and ts >= drift_from
            fh.write(json.dumps(_line(rng, ts, drifted, epoch), separators=(",", ":")) + "\n")


if __name__ == "__main__":
    day1 = datetime(2025, 3, 3, tzinfo=timezone.utc)
    day2 = day1 + timedelta(days=1)
    write(HERE / "baseline.jsonl", day1, 1000, None, seed=1, epoch=True)
    write(HERE / "traffic.jsonl", day2, 2000, day2 + timedelta(hours=12), seed=2, epoch=False)
