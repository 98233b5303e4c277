from __future__ import annotations

import json
import random

from gradeloop.probes import mutate
from gradeloop.report import render_html
from gradeloop.run import Engine, RunConfig, Store, build_run_json
from gradeloop.suite import dump_suite, load_suite
from gradeloop.targets import load_target
from tests.builders import run_replay, write_suite


def test_mutated_run_shows_per_operator_stability(tmp_path):
    parent = load_suite(write_suite(tmp_path / "s.yaml", {"x": 6}))
    suite = mutate(parent, ["typos", "casing"], variants=2, seed=1)
    dump_suite(suite, tmp_path / "mutated.yaml")
    suite = load_suite(tmp_path / "mutated.yaml")
    # a brittle app: any typo'd variant fails, everything else passes
    rows = [{"case_id": c.id, "output": "no" if "~typos~" in c.id and c.id.endswith("0") else "ok"}
            for c in suite.cases]
    replay = tmp_path / "r.jsonl"
    replay.write_text("".join(json.dumps(r) + "\n" for r in rows))
    store = Store(tmp_path / "st.db")
    run = build_run_json(store, Engine([suite], load_target(f"replay:{replay}"), store, RunConfig()).run().run_id)
    page = render_html(run)
    assert "Robustness to prompt mutations" in page
    assert "<td>typos</td>" in page and "<td>casing</td>" in page
    assert "pass_to_fail" in page or "pass→fail" in page


def test_run_with_confidence_has_reliability_and_risk_coverage(tmp_path):
    rng = random.Random(0)
    n = 60
    suite = write_suite(tmp_path / "s.yaml", {"c": n})
    replay = tmp_path / "r.jsonl"
    with replay.open("w") as fh:
        for i in range(n):
            conf = rng.random()
            ok = rng.random() < conf
            fh.write(json.dumps({"case_id": f"c-{i}", "output": "ok" if ok else "no", "confidence": conf}) + "\n")
    store = Store(tmp_path / "st.db")
    run = build_run_json(store, Engine([load_suite(suite)], load_target(f"replay:{replay}"), store,
                                       RunConfig()).run().run_id)
    page = render_html(run)
    assert "<h2>Calibration</h2>" in page and "<h3>confidence</h3>" in page
    assert page.count("<svg") >= 3  # slice bars + reliability + risk-coverage


def test_plain_run_has_neither_section(tmp_path):
    suite = write_suite(tmp_path / "s.yaml", {"a": 3})
    run = run_replay(tmp_path, suite, {"a-0": "ok", "a-1": "ok", "a-2": "no"}, "p")
    page = render_html(run)
    assert "Robustness" not in page and "Calibration" not in page
