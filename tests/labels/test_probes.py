"""Judge probes on a stored run: noise, generation noise apart from it, verbosity bias."""
from __future__ import annotations

import json
import random

import pytest

from gradeloop.errors import InputError
from gradeloop.labels.probes import pad, probe_judge
from gradeloop.run import Engine, RunConfig, Store
from gradeloop.suite import load_suite
from gradeloop.targets import load_target


def fair(prompt: str) -> str:
    return "VERDICT: PASS" if "ok answer" in prompt else "VERDICT: FAIL"


def wordy(prompt: str) -> str:
    """Passes anything long: the padding makes it pass."""
    return "VERDICT: PASS" if "ok answer" in prompt or "written with care" in prompt else "VERDICT: FAIL"


@pytest.fixture
def run(tmp_path):
    suite = tmp_path / "s.yaml"
    lines = ["name: s", "defaults:", "  graders: [{type: llm_judge, name: judge, rubric: 'Is it right?', model: m}]",
             "cases:"]
    lines += [f"  - id: c{i}\n    input: question {i}" for i in range(20)]
    suite.write_text("\n".join(lines) + "\n")
    replay = tmp_path / "r.jsonl"
    # cases 0-9 always right, 10-14 right on sample 0 only, 15-19 never: generation noise in 10-14
    rows = [{"case_id": f"c{i}", "sample": s, "output": "ok answer" if i < 10 or (i < 15 and s == 0) else "nope"}
            for i in range(20) for s in range(2)]
    replay.write_text("".join(json.dumps(r) + "\n" for r in rows))
    store = Store(tmp_path / "store.db")
    outcome = Engine([load_suite(suite)], load_target(f"replay:{replay}"), store, RunConfig(samples=2),
                     judge_factory=lambda m: fair).run()
    yield store, outcome.run_id
    store.close()


def test_a_fair_deterministic_judge_has_no_noise_and_no_verbosity_bias(run):
    store, run_id = run
    before = store.db.execute("SELECT grades FROM samples ORDER BY case_id, sample_index").fetchall()
    r = probe_judge(store, run_id, "judge", judge_factory=lambda m: fair, repeats=3)
    assert r.n_outputs == 40 and r.noise_flip.hits == 0 and r.judge_variance == 0.0
    assert r.recorded_agreement.value == 1.0
    assert r.padded_fail_to_pass.hits == 0 and r.padded_pass_to_fail.hits == 0
    # cases 10-14 differ between their two samples: generation variance 0.5 on 5 of 20 cases
    assert r.generation_variance == pytest.approx(0.5 * 5 / 20)
    assert "not applicable" in r.position_swap
    assert store.db.execute("SELECT grades FROM samples ORDER BY case_id, sample_index").fetchall() == before


def test_verbosity_bias_is_caught(run):
    store, run_id = run
    r = probe_judge(store, run_id, "judge", judge_factory=lambda m: wordy)
    assert r.padded_fail_to_pass.value == 1.0 and r.padded_fail_to_pass.n == 15  # every failed output
    assert r.padded_fail_to_pass.ci_low > 0.7


def test_judge_noise_is_separated_from_generation_noise(run):
    store, run_id = run
    rng = random.Random(3)
    coin = lambda prompt: "VERDICT: PASS" if rng.random() < 0.5 else "VERDICT: FAIL"  # noqa: E731
    r = probe_judge(store, run_id, "judge", judge_factory=lambda m: coin, repeats=5)
    assert r.noise_flip.value > 0.8 and r.judge_variance > 0.15
    assert r.recorded_agreement.value < 0.8


def test_limits_and_bad_arguments(run):
    store, run_id = run
    assert probe_judge(store, run_id, "judge", judge_factory=lambda m: fair, limit=6).n_outputs == 6
    with pytest.raises(InputError):
        probe_judge(store, run_id, "nobody", judge_factory=lambda m: fair)
    with pytest.raises(InputError):
        probe_judge(store, run_id, "judge", judge_factory=lambda m: fair, repeats=1)
    with pytest.raises(InputError):
        probe_judge(store, "nope", "judge", judge_factory=lambda m: fair)


def test_pad_adds_words_only_after_the_output():
    assert pad("x", 0) == "x"
    padded = pad("answer", 30)
    assert padded.startswith("answer\n\n") and len(padded.split()) == 31
