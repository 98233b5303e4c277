from __future__ import annotations

import json

import pytest
from safetensors.numpy import load_file

from gradeloop.run import Store
from gradeloop.run import build_run_json
from gradeloop.tune import AdapterRegistry, load_tune_config
from gradeloop.tune import loop as loop_mod
from gradeloop.tune.loop import TuneLoop
from gradeloop.tune.strategies import train

pytestmark = pytest.mark.slow
# A reward that most sampled micro-model completions pass and some fail ("password" is too rare in
# 12 tokens of the micro model: with every reward 0 GRPO has no advantage and nothing moves, bug or not).
MIXED_REWARD = "{type: contains, value: a}"


def _loop(workdir, cfg_path) -> TuneLoop:
    cfg, base_dir = load_tune_config(cfg_path)
    return TuneLoop(cfg, base_dir, Store(workdir / "store.db"), AdapterRegistry(workdir / "adapters"),
                    state_root=workdir / "tunes", log=lambda m: None)


def _weights(path):
    return load_file(str(path / "adapter_model.safetensors"))


def test_continuing_from_a_kept_adapter_changes_its_weights(workdir, tune_config):
    loop = _loop(workdir, tune_config(learning_rate=1e-2, steps=2, train_grader=MIXED_REWARD))
    cfg = loop.cfg
    first = train("grpo", cfg.base, None, loop.cases, cfg.hyperparameters, 2, 0, workdir / "a", loop.sampler(cfg.base))
    second = train("grpo", cfg.base, first.adapter_dir, loop.cases, cfg.hyperparameters, 2, 1, workdir / "b",
                   loop.sampler(cfg.base))
    a, b = _weights(first.adapter_dir), _weights(second.adapter_dir)
    assert a.keys() == b.keys()
    moved = sum(float(abs(a[k] - b[k]).sum()) for k in a)
    assert moved > 0, "the second iteration trained nothing (TRL #3031)"
    assert len(first.train_reward) == 2
    logged = [json.loads(line) for line in (workdir / "a" / "train-log.jsonl").read_text().splitlines()]
    assert [r["step"] for r in logged if "reward" in r] == [1, 2]  # TRL's step logs go to the file


def test_guard_regression_is_rolled_back_and_registry_keeps_previous_adapter(workdir, tune_config,
                                                                              fingerprint_guard):
    # greedy evaluation against a fingerprint of the base model's own answers; a destructive
    # learning rate changes them, which must read as a guard regression
    loop = _loop(workdir, tune_config(learning_rate=30.0, steps=3, temperature=0.0, samples=1,
                                      guard_file=fingerprint_guard, train_grader=MIXED_REWARD))
    cfg = loop.cfg
    previous = train("grpo", cfg.base, None, loop.cases, cfg.hyperparameters.model_copy(update={"learning_rate": 1e-4}),
                     1, 0, workdir / "prev", loop.sampler(cfg.base))
    prev_id = loop.registry.save(previous.adapter_dir, cfg.name, {"parent": None, "strategy": "grpo"})
    kept_run = loop.evaluate(loop.spec_for(str(loop.registry.path(prev_id))))
    state = {"kept_adapter": prev_id, "kept_path": str(loop.registry.path(prev_id)), "kept_run_id": kept_run["run_id"],
             "baseline": {"run_id": kept_run["run_id"]}}
    entry = loop.iteration(1, state, kept_run)
    assert entry["kept"] is False
    assert any(r.startswith("guard regression") for r in entry["reasons"]), entry["reasons"]
    assert loop.registry.head(cfg.name) == prev_id
    assert state["kept_adapter"] == prev_id
    assert [r["id"] for r in loop.registry.list()] == [prev_id]


def test_interrupted_tune_resumes_from_last_kept_adapter(workdir, tune_config, monkeypatch):
    cfg_path = tune_config(iterations=2, steps=1)
    calls = []
    real_train = loop_mod.train

    def fake_train(strategy, base, parent, *rest):
        calls.append(parent)
        if len(calls) == 2:
            raise KeyboardInterrupt  # the session dies during iteration 2
        return real_train(strategy, base, parent, *rest)

    monkeypatch.setattr(loop_mod, "train", fake_train)
    monkeypatch.setattr(TuneLoop, "gate", lambda self, kept, cand, base: (True, [], {}))  # keep whatever trains
    with pytest.raises(KeyboardInterrupt):
        _loop(workdir, cfg_path).run()
    loop = _loop(workdir, cfg_path)
    state = loop.load_state()
    assert state["status"] == "running" and len(state["iterations"]) == 1
    kept_path = state["kept_path"]
    doc = loop.run()
    assert str(calls[2]) == kept_path  # iteration 2 started again from iteration 1's adapter
    assert [it["iteration"] for it in doc["iterations"]] == [1, 2]
    assert doc["schema"] == "gradeloop.tune/v1" and doc["final"]["holdout_improvement"]["n_cases"] == 3
    assert doc["final"]["adapter"] == loop.registry.head("micro")
    # the dataset registry knows what the adapter was trained on, walking up from it
    from gradeloop.data import Registry

    with Registry() as reg:
        up = {step.record.name for step in reg.lineage(doc["final"]["adapter"], "up")}
    assert "pw-train" in up and "pw-hold" not in up
    # the final run is a real run in the store
    assert build_run_json(loop.store, doc["final"]["run_id"])["target"]["spec"].endswith(doc["final"]["adapter_path"])


@pytest.mark.parametrize("strategy", ["rs-sft", "dpo"])
def test_sampling_strategies_train_an_adapter_from_graded_samples(workdir, tune_config, strategy):
    from gradeloop.tune.signals import Scored
    from gradeloop.tune.strategies import NoSignal

    loop = _loop(workdir, tune_config(learning_rate=1e-2, steps=2))
    cfg = loop.cfg
    hp = cfg.hyperparameters.model_copy(update={"batch_size": 4})
    sampled = loop.sampler(cfg.base)(4)  # real samples of the micro model, graded by the suite's graders
    assert sampled and all(isinstance(s, Scored) for s in sampled)
    # the micro model rarely says "password": make sure every case has a pass and a fail to learn from
    forced = sampled + [Scored(cid, "reset your password here", True, 1.0) for cid in loop.cases] + \
        [Scored(cid, "no idea", False, 0.0) for cid in loop.cases]
    try:
        result = train(strategy, cfg.base, None, loop.cases, hp, 2, 0, workdir / strategy, lambda k: forced)
    except NoSignal as exc:  # pragma: no cover - the forced samples always give signal
        pytest.fail(str(exc))
    weights = _weights(result.adapter_dir)
    assert weights and any(float(abs(v).sum()) > 0 for k, v in weights.items() if "lora_B" in k)
    assert result.examples >= len(loop.cases) and len(result.loss) == 2
    with pytest.raises(NoSignal):
        train(strategy, cfg.base, None, loop.cases, hp, 1, 0, workdir / "none",
              lambda k: [Scored(cid, "x", None, None) for cid in loop.cases])
