"""Wall time of one tuning iteration of the demo, split into training and evaluation.

Runs the demo's tune config (examples/tune/lockout-policy.yaml) for one iteration on the
embedded tiny model, in a scratch store and registry, and prints the split; the goal is
evaluation at most 25% of an iteration (the loop should spend its time learning).

    .venv/bin/python bench/tune_iteration.py [--iterations 1]
"""
from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    from gradeloop.demo import ensure_tiny_model
    from gradeloop.run import Store
    from gradeloop.tune import AdapterRegistry, load_tune_config
    from gradeloop.tune.loop import TuneLoop

    ap = argparse.ArgumentParser()
    ap.add_argument("--iterations", type=int, default=1)
    args = ap.parse_args()
    model = ensure_tiny_model()
    cfg, base_dir = load_tune_config(ROOT / "examples" / "tune" / "lockout-policy.yaml")
    cfg = cfg.model_copy(update={"base": f"hf:{model.resolve()}",
                                 "budget": cfg.budget.model_copy(update={"iterations": args.iterations}),
                                 "targets": cfg.targets.model_copy(update={"focus_pass_rate": 1.0})})
    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        cwd = Path.cwd()
        os.chdir(tmp_path)  # the data registry and stores go to the scratch folder
        try:
            start = time.perf_counter()
            loop = TuneLoop(cfg, base_dir, Store(tmp_path / "store.db"), AdapterRegistry(tmp_path / "adapters"),
                            state_root=tmp_path / "tunes", log=lambda m: None)
            doc = loop.run()
            total = time.perf_counter() - start
        finally:
            os.chdir(cwd)
    print(f"config: {cfg.strategy}, {cfg.budget.steps_per_iteration} steps/iteration, eval {cfg.eval.samples} "
          f"samples × {sum(len(s.cases) for s in loop.roles.eval_suites)} cases")
    for it in doc["iterations"]:
        w = it["wall_time_s"]
        print(f"iteration {it['iteration']}: train {w['train']:6.1f} s  eval {w['eval']:6.1f} s  "
              f"→ evaluation {w['eval'] / w['total']:.0%} of the iteration (goal ≤ 25%)")
    print(f"whole run incl. baseline evaluation: {total:.0f} s; load average {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
