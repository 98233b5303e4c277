"""The tune loop's evaluations on Ray (`eval: {executor: ray}`): an `hf:` model loaded on each worker,
the same run JSON as the local executor's."""
from __future__ import annotations

import json
import os

import pytest

ray = pytest.importorskip("ray", reason="the ray extra is not installed")

from gradeloop.run import Store  # noqa: E402
from gradeloop.tune import AdapterRegistry, load_tune_config  # noqa: E402
from gradeloop.tune.loop import TuneLoop  # noqa: E402
from tests.builders import comparable  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


@pytest.fixture
def local_ray():
    ray.init(address="local", num_cpus=2, include_dashboard=False, log_to_driver=False,  # its own, not a test's
             runtime_env={"env_vars": {"HF_HUB_OFFLINE": "1", "PYTHONPATH": os.environ.get("PYTHONPATH", "")}})
    try:
        yield
    finally:
        ray.shutdown()


def test_tune_evaluations_on_ray_workers_give_the_local_run(tmp_path, tune_config, local_ray):
    path = tune_config(temperature=1.0, samples=2)
    runs = {}
    for executor in ("local", "ray"):
        text = path.read_text().replace("eval: {samples:", f"eval: {{executor: {executor}, samples:")
        path.write_text(text if executor == "local" else text.replace("executor: local, ", ""))
        cfg, base_dir = load_tune_config(path)
        assert cfg.eval.executor == executor
        # separate stores: the second run must sample, not read the first one's cache
        loop = TuneLoop(cfg, base_dir, Store(tmp_path / f"{executor}.db"), AdapterRegistry(tmp_path / "adapters"),
                        state_root=tmp_path / f"tunes-{executor}", log=lambda m: None)
        runs[executor] = loop.evaluate(cfg.base)
        path.write_text(path.read_text().replace(f"executor: {executor}, ", ""))
    local, far = runs["local"], runs["ray"]
    assert not any(s["cached"] for c in far["cases"] for s in c["samples"])
    outputs = [s["output"] for c in far["cases"] for s in c["samples"]]
    assert len(outputs) == 2 * len(far["cases"]) and len(set(outputs)) > 1  # sampled at temperature 1
    # Outputs, grades and verdicts are identical; log-probabilities agree to float rounding (a worker
    # runs torch with its own thread count, which changes the order of the sums).
    assert comparable(_without_logprobs(far), keep_cached=False) == comparable(_without_logprobs(local), keep_cached=False)
    assert len(_logprob_values(far)) == len(_logprob_values(local)) > 0
    for a, b in zip(_logprob_values(far), _logprob_values(local)):
        assert a == pytest.approx(b, rel=1e-5, abs=1e-5)



def _without_logprobs(doc: dict) -> dict:
    doc = json.loads(json.dumps(doc))
    for case in doc["cases"]:
        for s in case["samples"]:
            s.pop("logprobs", None)
            for key in ("logprob_mean", "logprob_min", "p_mean"):
                (s.get("signals") or {}).pop(key, None)
    doc.pop("calibration", None)
    return doc


def _logprob_values(doc: dict) -> list[float]:
    return [v for case in doc["cases"] for s in case["samples"] for v in (s.get("logprobs") or [])]
