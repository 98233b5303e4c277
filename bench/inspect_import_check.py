"""Do imported Inspect datasets grade as Inspect's own scorers do? Same samples, same outputs, both tools.

Writes a dataset of Samples (targets as strings, lists and numbers; multiple-choice samples with
one or several correct letters) and a grid of outputs per sample; scores every (sample, output)
with Inspect's real scorers (`match()`, `includes()`, `exact()`, and `choice()` after the
`multiple_choice` solver's answer parsing) in Inspect's own venv (bench/setup_peers.sh installs
inspect-ai 0.3.285 under bench/.work); imports the dataset with `gradeloop import inspect` per
scorer and evaluates it with `gradeloop eval -t replay:` on the same outputs; compares verdicts.

    .venv/bin/python bench/inspect_import_check.py

Exit 0 when every verdict agrees, 1 when one differs, 3 when Inspect is not installed.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
INSPECT_PY = ROOT / "bench" / ".work" / "inspect-venv" / "bin" / "python"

SAMPLES = [
    {"id": "paris", "input": "Capital of France?", "target": "Paris"},
    {"id": "multi", "input": "2+2?", "target": ["4", "four"]},
    {"id": "num", "input": "How many legs has a spider?", "target": "8"},
    {"id": "article", "input": "Largest planet?", "target": "the planet Jupiter"},
    {"id": "hyphen", "input": "Greeting?", "target": "well-known fact"},
    {"id": "street", "input": "Where?", "target": "Hauptstraße"},
    {"id": "mc1", "input": "Which is prime?", "choices": ["4", "6", "7"], "target": "C"},
    {"id": "mc2", "input": "Which are even?", "choices": ["2", "3", "4", "5"], "target": ["A", "C"]},
]
OUTPUTS = [
    "Paris", "paris.", "The answer is Paris!", "Paris is the capital", "  PARIS  \n", "Parisian", "4", "Four",
    "It is four.", "four-ish", "8", "8.0", "eight", "8 legs", "Jupiter", "the planet Jupiter.", "planet jupiter",
    "Well known fact", "well-known fact", "well known", "ANSWER: C", "answer: c", "ANSWER: (C)", "**ANSWER: C**",
    "I think\nANSWER: C.", "ANSWER: B", "ANSWER: A, C", "ANSWER: AC", "ANSWER: A and C", "ANSWER: C, A", "ANSWER: A",
    "ANSWER: $C$", "The answer is C", "", "ANSWER: D", "HAUPTSTRASSE.", "at the Hauptstraße", "hauptstrasse 5",
]
SCORERS = ("match", "includes", "exact", "choice")

INSPECT_SIDE = r'''
import asyncio, json, sys
from inspect_ai.model import ModelName, ModelOutput
from inspect_ai.scorer import Target, choice, exact, includes, match
from inspect_ai.solver import TaskState
from inspect_ai.solver._multiple_choice import parse_answers, set_choices_based_on_generated_response

samples, outputs, scorers = json.load(sys.stdin)
made = {"match": match(), "includes": includes(), "exact": exact(), "choice": choice()}

async def run():
    out = {}
    for s in samples:
        target = Target(s["target"])
        for name in scorers:
            if (name == "choice") != bool(s.get("choices")):
                continue
            for i, o in enumerate(outputs):
                state = TaskState(ModelName("mockllm/model"), s["id"], 1, s["input"], [], target=target,
                                  choices=s.get("choices"), output=ModelOutput.from_content("mockllm/model", o))
                if name == "choice":
                    letters = [t for v in target.target for t in v.replace(",", " ").split()]
                    set_choices_based_on_generated_response(state, parse_answers(state, len("".join(letters)) > 1))
                score = await made[name](state, target)
                out[f"{name}|{s['id']}|{i}"] = score.value == "C"
    return out

print(json.dumps(asyncio.run(run())))
'''


def inspect_verdicts() -> dict[str, bool]:
    proc = subprocess.run([str(INSPECT_PY), "-c", INSPECT_SIDE], input=json.dumps([SAMPLES, OUTPUTS, SCORERS]),
                          capture_output=True, text=True, timeout=600, env=dict(os.environ, INSPECT_LOG_LEVEL="error"))
    if proc.returncode != 0:
        raise SystemExit(f"Inspect side failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def gradeloop_verdicts(work: Path) -> dict[str, bool | None]:
    dataset = work / "samples.jsonl"
    dataset.write_text("".join(json.dumps(s) + "\n" for s in SAMPLES))
    verdicts: dict[str, bool | None] = {}
    for scorer in SCORERS:
        subset = [s for s in SAMPLES if (scorer == "choice") == bool(s.get("choices"))]
        data = work / f"{scorer}.jsonl"
        data.write_text("".join(json.dumps(s) + "\n" for s in subset))
        suite, replay, run = work / f"{scorer}.yaml", work / f"{scorer}-replay.jsonl", work / f"{scorer}-run.json"
        cli = [sys.executable, "-m", "gradeloop.cli"]
        subprocess.run(cli + ["import", "inspect", str(data), "--scorer", scorer, "--out", str(suite)], check=True,
                       capture_output=True, text=True)
        replay.write_text("".join(json.dumps({"case_id": s["id"], "sample": i, "output": o}) + "\n"
                                  for s in subset for i, o in enumerate(OUTPUTS)))
        proc = subprocess.run(cli + ["eval", str(suite), "-t", f"replay:{replay}", "--json", str(run), "-q",
                                     "--store", str(work / "store.db")], capture_output=True, text=True)
        if not run.exists():
            raise SystemExit(f"gradeloop eval failed ({proc.returncode}): {proc.stderr[-2000:]}")
        for case in json.loads(run.read_text())["cases"]:
            for i, sample in enumerate(case["samples"]):
                verdicts[f"{scorer}|{case['id']}|{i}"] = None if sample.get("error") else sample.get("passed")
    return verdicts


def main() -> int:
    if not INSPECT_PY.exists():
        print(f"Inspect is not installed ({INSPECT_PY}); run bench/setup_peers.sh")
        return 3
    theirs = inspect_verdicts()
    with tempfile.TemporaryDirectory(prefix="inspect-import-") as tmp:
        ours = gradeloop_verdicts(Path(tmp))
    failed = False
    for scorer in SCORERS:
        keys = sorted(k for k in set(theirs) | set(ours) if k.startswith(scorer + "|"))
        diffs = [k for k in keys if theirs.get(k) is None or ours.get(k) is None or theirs[k] != ours[k]]
        passed = sum(1 for k in keys if theirs.get(k))
        print(f"{scorer:8} verdicts agreeing: {len(keys) - len(diffs)}/{len(keys)} (Inspect: {passed} correct)")
        for k in diffs:
            _, sid, i = k.split("|")
            print(f"    {sid} output {OUTPUTS[int(i)]!r}: inspect={theirs.get(k)} gradeloop={ours.get(k)}")
        failed |= bool(diffs)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
