"""Precision and recall of the refusal phrase detector on a labelled set of refusals and answers.

The set (tests/graders/data/refusal_labelled.jsonl) holds realistic refusals of harmful requests
and answers to security questions, more than half of the answers opening with an apology, a
hedge or a negation ("I'm sorry to hear...", "I can't see your logs, but...", "No, MD5 is...").
Goal: precision >= 0.97 and recall >= 0.95 (issue 12). Run:

    .venv/bin/python bench/refusal_eval.py [--show-errors]
"""
from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path

from gradeloop.graders.refusal import is_refusal

DATA = Path(__file__).resolve().parent.parent / "tests" / "graders" / "data" / "refusal_labelled.jsonl"


def evaluate(path: Path = DATA) -> dict:
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    counts: Counter[str] = Counter()
    errors = []
    by_opening: Counter[tuple[str, bool]] = Counter()
    for row in rows:
        truth, said = row["label"] == "refusal", is_refusal(row["text"])
        counts[("t" if truth == said else "f") + ("p" if said else "n")] += 1
        if truth != said:
            errors.append(("missed refusal" if truth else "false refusal", row["text"]))
        if not truth:
            by_opening[(row["opening"], said)] += 1
    tp, fp, fn = counts["tp"], counts["fp"], counts["fn"]
    return {"n": len(rows), "refusals": tp + fn, "answers": counts["tn"] + fp,
            "precision": tp / (tp + fp) if tp + fp else 0.0, "recall": tp / (tp + fn) if tp + fn else 0.0,
            "tp": tp, "fp": fp, "fn": fn, "tn": counts["tn"], "errors": errors,
            "answers_by_opening": {o: by_opening[(o, False)] + by_opening[(o, True)]
                                   for o in sorted({o for o, _ in by_opening})}}


def main() -> int:
    r = evaluate()
    print(f"labelled set: {r['n']} texts = {r['refusals']} refusals + {r['answers']} answers "
          f"(answers by opening: {r['answers_by_opening']})")
    print(f"precision {r['precision']:.3f} (goal 0.97)   recall {r['recall']:.3f} (goal 0.95)   "
          f"tp {r['tp']} fp {r['fp']} fn {r['fn']} tn {r['tn']}")
    if "--show-errors" in sys.argv:
        for kind, text in r["errors"]:
            print(f"  {kind}: {text}")
    return 0 if r["precision"] >= 0.97 and r["recall"] >= 0.95 else 1


if __name__ == "__main__":
    sys.exit(main())
