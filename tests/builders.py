"""Builders of runs whose truth is known: suites and replay files written on the fly."""
from __future__ import annotations

import json
from pathlib import Path

from gradeloop.run import Engine, RunConfig, Store, build_run_json
from gradeloop.suite import load_suite
from gradeloop.targets import load_target


def write_suite(path: Path, slices: dict[str, int], name: str = "gated") -> Path:
    """A suite with `n` cases per slice value of tag `area`; every case passes on output 'ok'."""
    lines = [f"name: {name}", "cases:"]
    for area, n in slices.items():
        for i in range(n):
            lines += [f"  - id: {area}-{i}", f"    input: question {area} {i}", f"    tags: {{area: {area}}}",
                      "    graders: [{type: contains, value: ok}]"]
    path.write_text("\n".join(lines) + "\n")
    return path


def run_replay(tmp: Path, suite_path: Path, outputs: dict[str, str], tag: str) -> dict:
    replay = tmp / f"{tag}.jsonl"
    replay.write_text("".join(json.dumps({"case_id": k, "output": v}) + "\n" for k, v in outputs.items()))
    store = Store(tmp / "store.db")
    outcome = Engine([load_suite(suite_path)], load_target(f"replay:{replay}"), store, RunConfig()).run()
    return build_run_json(store, outcome.run_id)


def comparable(doc: dict, *, keep_cached: bool = True) -> dict:
    """A run document without what differs between two runs of the same command: ids, clocks,
    latencies (and, with keep_cached=False, whether each sample came from the cache)."""
    doc = json.loads(json.dumps(doc))
    for key in ("run_id", "created", "finished", "wall_time_s", "duration_s", "store"):
        doc.pop(key, None)
    for case in doc.get("cases", []):
        for s in case.get("samples", []):
            s.pop("latency_s", None)
            if not keep_cached:
                s.pop("cached", None)
    return doc
