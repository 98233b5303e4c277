"""`gradeloop tune`: train → evaluate → gate → keep or roll back, iteration by iteration.

Every checkpoint is evaluated by the run engine on the focus dev, holdout and guard suites
with the same settings, and gated against the last kept state by the compare machinery.
Keep decisions use only the focus *dev* split and the guards: the holdout is reported,
never used to choose, so the final holdout improvement is an honest estimate.
"""
from __future__ import annotations

import hashlib
import json
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from gradeloop.files import atomic_write_text
from gradeloop.gate import GatePolicy, compare_runs
from gradeloop.graders.base import JudgeFactory
from gradeloop.api import execute
from gradeloop.run import RunConfig, Store, build_run_json
from gradeloop.run.results import metrics_for
from gradeloop.suite import Suite, load_suites
from gradeloop.targets import SamplingParams, load_target
from gradeloop.tune.config import TuneConfig
from gradeloop.tune.guard import check_training_data
from gradeloop.tune.registry import AdapterRegistry
from gradeloop.tune.signals import Scored, graded_cases
from gradeloop.tune.launch import run_launched, write_request
from gradeloop.tune.strategies import NoSignal, TrainResult, check_signal, train

TUNE_SCHEMA = "gradeloop.tune/v1"


@dataclass
class Roles:
    """The suites of a tune config, by the job each does."""

    train: list[Suite]
    focus_dev: list[Suite]
    holdout: list[Suite]
    guard: list[Suite]
    eval_suites: list[Suite] = field(init=False)

    def __post_init__(self) -> None:
        self.eval_suites = self.focus_dev + self.holdout + self.guard

    def names(self, role: str) -> set[str]:
        return {s.name for s in getattr(self, role)}


def resolve_roles(cfg: TuneConfig, base_dir: Path) -> Roles:
    from gradeloop.errors import InputError

    def load(paths: list[str]) -> list[Suite]:
        return load_suites([str((base_dir / p) if not Path(p).is_absolute() else p) for p in paths])

    focus = load(cfg.focus)
    holdout, guard = load(cfg.holdout), load(cfg.guard)
    train_s = [s for s in focus if s.split == "train"]
    dev = [s for s in focus if s.split == "dev"]
    for s in focus:
        if s.split not in ("train", "dev"):
            raise InputError(f"focus suite {s.name!r} has split {s.split!r}; focus takes train and dev splits "
                             "(holdouts go under `holdout:`)", file=s.source, field="split")
    for s in holdout:
        if s.split != "holdout":
            raise InputError(f"suite {s.name!r} under `holdout:` has split {s.split!r}, not holdout",
                             file=s.source, field="split")
    for s in guard:
        if s.split == "train":
            raise InputError(f"guard suite {s.name!r} is a train split", file=s.source, field="split")
    if not train_s:
        raise InputError("no focus suite with split `train`: nothing to train on", field="focus")
    if not dev:
        raise InputError("no focus suite with split `dev`: nothing measures progress", field="focus")
    return Roles(train_s, dev, holdout, guard)


def _subset(run: dict[str, Any], names: set[str]) -> dict[str, Any]:
    return {**run, "cases": [c for c in run["cases"] if c["suite"] in names]}


def _role_estimate(run: dict[str, Any], names: set[str]) -> dict[str, Any]:
    cases = [c for c in run["cases"] if c["suite"] in names]
    return metrics_for(cases, int(run.get("samples_per_case", 1)))["pass_rate"]


def _per_suite(run: dict[str, Any], names: set[str]) -> dict[str, Any]:
    return {s["name"]: s["metrics"]["pass_rate"] for s in run["suites"] if s["name"] in names}


class TuneLoop:
    """One tuning line: its config, suites, store, adapter registry and saved state."""

    def __init__(self, cfg: TuneConfig, base_dir: Path, store: Store, registry: AdapterRegistry,
                 state_root: Path = Path(".gradeloop") / "tunes", log: Callable[[str], None] = print,
                 judge_factory: JudgeFactory | None = None) -> None:
        self.cfg, self.store, self.registry, self.log = cfg, store, registry, log
        if judge_factory is None:  # judge graders use the project's judges, as `eval` and the API do
            from gradeloop.targets.judge import judge_factory
        self.judge_factory: JudgeFactory = judge_factory
        self.base_dir = base_dir
        self.roles = resolve_roles(cfg, base_dir)
        self.contamination = check_training_data(self.roles.train, self.roles.eval_suites,
                                                 allow=cfg.allow_contaminated)
        self.cases = graded_cases(self.roles.train, self.judge_factory)
        digest = hashlib.sha256(json.dumps(
            [cfg.model_dump(), [(s.name, s.version) for s in self.roles.train + self.roles.eval_suites]],
            sort_keys=True).encode()).hexdigest()[:12]
        self.tune_id = f"{cfg.name}-{digest}"
        self.dir = state_root / self.tune_id
        self.dir.mkdir(parents=True, exist_ok=True)
        self.state_path = self.dir / "state.json"
        self.eval_params = SamplingParams(temperature=cfg.eval.temperature, max_tokens=cfg.eval.max_tokens)

    # evaluation -------------------------------------------------------------------------
    def evaluate(self, spec: str) -> dict[str, Any]:
        """Run the eval suites on a model spec (cached: an unchanged model is never re-sampled)."""
        e = self.cfg.eval
        config = RunConfig(samples=e.samples, seed=e.seed, concurrency=e.concurrency, params=self.eval_params)
        from gradeloop.run.executor import make_executor

        outcome = execute(self.roles.eval_suites, load_target(spec, params=self.eval_params), self.store, config,
                          judge_factory=self.judge_factory, on_warning=self.log,
                          executor=make_executor(e.executor, ray_address=e.ray_address))
        return build_run_json(self.store, outcome.run_id)

    def sampler(self, spec: str) -> Callable[[int], list[Scored]]:
        """Samples of the training cases from the current model, graded, for rs-sft and dpo."""
        hp = self.cfg.hyperparameters

        def sample(k: int) -> list[Scored]:
            params = SamplingParams(temperature=hp.temperature, max_tokens=hp.max_completion_length)
            config = RunConfig(samples=k, seed=self.cfg.seed, params=params)
            outcome = execute(self.roles.train, load_target(spec, params=params), self.store, config,
                              judge_factory=self.judge_factory, on_warning=self.log)
            run = build_run_json(self.store, outcome.run_id)
            return [Scored(c["id"], s["output"], s["passed"], s["score"], s.get("tool_calls"))
                    for c in run["cases"] for s in c["samples"] if s["output"] is not None]

        return sample

    def train(self, parent: Path | None, seed: int, work: Path, sample: Callable[[int], list[Scored]]) -> TrainResult:
        """One iteration's training: in this process, or over `launch.num_processes` through accelerate."""
        cfg = self.cfg
        if cfg.launch.num_processes == 1:
            return train(cfg.strategy, cfg.base, parent, self.cases, cfg.hyperparameters,
                         cfg.budget.steps_per_iteration, seed, work, sample, cfg.trainer)
        from gradeloop.targets.hf import parse_hf_spec, placement_of

        samples = None if cfg.strategy == "grpo" else sample(cfg.hyperparameters.num_generations)
        if samples is not None:  # the same refusal as in one process, before starting the processes
            check_signal(cfg.strategy, samples)
        # the base spec already carries device/dtype; the worker must not add them a second time
        config = cfg.model_copy(update={"device": "auto", "dtype": "auto"}).model_dump(mode="json")
        write_request(work, config=config, base_dir=self.base_dir, parent=parent,
                      steps=cfg.budget.steps_per_iteration, seed=seed, samples=samples)
        cpu = placement_of(parse_hf_spec(cfg.base)).kind == "cpu"
        doc = run_launched(cfg.launch, work, cpu=cpu)
        return TrainResult(**{**doc, "adapter_dir": Path(doc["adapter_dir"])})

    def spec_for(self, adapter_path: str | None) -> str:
        return self.cfg.base if adapter_path is None else f"{self.cfg.base}+adapter={adapter_path}"

    # state --------------------------------------------------------------------------------
    def load_state(self) -> dict[str, Any] | None:
        if self.state_path.is_file():
            return json.loads(self.state_path.read_text())
        return None

    def save_state(self, state: dict[str, Any]) -> None:
        atomic_write_text(self.state_path, json.dumps(state, indent=2, default=str))

    # the loop -------------------------------------------------------------------------------
    def gate(self, kept_run: dict[str, Any], cand_run: dict[str, Any],
             base_run: dict[str, Any]) -> tuple[bool, list[str], dict[str, Any]]:
        """Keep when no guard is significantly worse than the *base model* and the focus dev pass rate rises.

        Guards compare against the base, not the last kept state: small steps that each pass
        could otherwise add up to a regression no single gate saw.
        """
        g = self.cfg.gate
        reasons: list[str] = []
        detail: dict[str, Any] = {}
        # Each guard suite is its own must-not-regress check, tested on its own at level α (no
        # multiple-comparison correction: a missed regression ships, a false alarm only retrains).
        policy = GatePolicy(alpha=g.alpha, margin=g.margin, slices="none", min_slice_cases=2)
        detail["guard"] = {}
        for suite in self.roles.guard:
            cmp = compare_runs(_subset(base_run, {suite.name}), _subset(cand_run, {suite.name}), policy)
            overall = cmp["overall"]
            detail["guard"][suite.name] = {"diff": overall["diff"], "verdict": overall["verdict"],
                                           "finding": overall["finding"]}
            # pass / fail / inconclusive like every gate: an inconclusive guard (errors, or a drop beyond
            # max_drop the test cannot confirm) is not kept either, unless the policy says so.
            if not cmp["passed"]:
                diff = f"{overall['diff']['mean']:+.3f} " if overall["diff"] else ""
                what = "regression" if cmp["verdict"] == "fail" else cmp["verdict"]
                reasons.append(f"guard {what}: {suite.name} {diff}vs the base model "
                               f"({'; '.join(overall['reasons']) or overall['finding']})")
        focus_cmp = compare_runs(_subset(kept_run, self.roles.names("focus_dev")),
                                 _subset(cand_run, self.roles.names("focus_dev")),
                                 GatePolicy(alpha=g.alpha, margin=0.0, slices="none", min_slice_cases=2))
        gain = focus_cmp["overall"]["diff"]["mean"] if focus_cmp["overall"]["diff"] else 0.0
        detail["focus_gain"] = focus_cmp["overall"]["diff"]
        if gain <= g.min_focus_gain:
            reasons.append(f"no focus progress: dev pass rate {gain:+.3f}")
        return not reasons, reasons, detail

    def target_met(self, run: dict[str, Any]) -> bool:
        est = _role_estimate(run, self.roles.names("focus_dev"))
        value = est["ci_low"] if self.cfg.targets.on == "ci_low" else est["mean"]
        return value >= self.cfg.targets.focus_pass_rate

    def snapshot(self, run: dict[str, Any]) -> dict[str, Any]:
        return {"run_id": run["run_id"], "focus": _role_estimate(run, self.roles.names("focus_dev")),
                "holdout": _role_estimate(run, self.roles.names("holdout")) if self.roles.holdout else None,
                "guard": _per_suite(run, self.roles.names("guard"))}

    def run(self) -> dict[str, Any]:
        cfg = self.cfg
        state = self.load_state()
        if state is None or state.get("status") == "done":
            self.log(f"baseline: evaluating {cfg.base}")
            base_run = self.evaluate(self.spec_for(None))
            state = {"tune_id": self.tune_id, "status": "running", "started": time.time(),
                     "baseline": self.snapshot(base_run), "iterations": [], "kept_adapter": None,
                     "kept_path": None, "kept_run_id": base_run["run_id"], "stopped_because": None}
            self.save_state(state)
        else:
            self.log(f"resuming {self.tune_id} after {len(state['iterations'])} iteration(s)")
        started = time.time() - sum(it["wall_time_s"]["total"] for it in state["iterations"])
        while state["stopped_because"] is None:
            kept_run = build_run_json(self.store, state["kept_run_id"])
            if self.target_met(kept_run):
                state["stopped_because"] = "target met"
            elif len(state["iterations"]) >= cfg.budget.iterations:
                state["stopped_because"] = "iteration budget spent"
            elif time.time() - started > cfg.budget.wall_time_s:
                state["stopped_because"] = "wall-time budget spent"
            if state["stopped_because"]:
                break
            state["iterations"].append(self.iteration(len(state["iterations"]) + 1, state, kept_run))
            self.save_state(state)
        state["status"] = "done"
        self.save_state(state)
        return self.document(state)

    def iteration(self, number: int, state: dict[str, Any], kept_run: dict[str, Any]) -> dict[str, Any]:
        cfg = self.cfg
        parent = Path(state["kept_path"]) if state["kept_path"] else None
        work = self.dir / f"iter-{number}"
        shutil.rmtree(work, ignore_errors=True)
        t0 = time.perf_counter()
        self.log(f"iteration {number}: {cfg.strategy}, {cfg.budget.steps_per_iteration} steps")
        entry: dict[str, Any] = {"iteration": number, "strategy": cfg.strategy,
                                 "steps": cfg.budget.steps_per_iteration, "parent": state["kept_adapter"]}
        try:
            result = self.train(parent, cfg.seed + number, work, self.sampler(self.spec_for(state["kept_path"])))
        except NoSignal as exc:
            wall = time.perf_counter() - t0
            entry.update(kept=False, reasons=[str(exc)], wall_time_s={"train": wall, "eval": 0.0, "total": wall})
            self.log(f"  rolled back: {exc}")
            return entry
        t1 = time.perf_counter()
        cand_id, cand_path = self.registry.stage(result.adapter_dir, cfg.name)
        cand_run = self.evaluate(self.spec_for(str(cand_path)))
        t2 = time.perf_counter()
        base_run = build_run_json(self.store, state["baseline"]["run_id"])
        keep, reasons, detail = self.gate(kept_run, cand_run, base_run)
        guard_verdicts = [g["verdict"] for g in detail.get("guard", {}).values()]
        detail["verdict"] = ("pass" if keep else "fail" if "fail" in guard_verdicts or not guard_verdicts
                             or "inconclusive" not in guard_verdicts else "inconclusive")
        entry.update(self.snapshot(cand_run), gate=detail, reasons=reasons, kept=keep, examples=result.examples,
                     train_reward=result.train_reward, loss=result.loss, note=result.note,
                     wall_time_s={"train": t1 - t0, "eval": t2 - t1, "total": t2 - t0})
        if keep:
            lineage = {"base": cfg.base, "base_fingerprint": load_target(cfg.base).fingerprint(),
                       "parent": state["kept_adapter"], "strategy": cfg.strategy,
                       "hyperparameters": cfg.hyperparameters.model_dump(), "seed": cfg.seed + number,
                       "tune_id": self.tune_id, "iteration": number,
                       "trained_on": [{"suite": s.name, "version": s.version} for s in self.roles.train],
                       "evaluated_on": [{"suite": s.name, "version": s.version, "split": s.split}
                                        for s in self.roles.eval_suites],
                       "contamination_override": self.contamination, "metrics": self.snapshot(cand_run)}
            adapter_id = self.registry.commit(cand_id, cfg.name, lineage)
            self.record_lineage(adapter_id, cand_path, lineage)
            state.update(kept_adapter=adapter_id, kept_path=str(self.registry.path(adapter_id)),
                         kept_run_id=cand_run["run_id"])
            entry["adapter"] = adapter_id
            self.log(f"  kept {adapter_id}: focus {entry['focus']['mean']:.3f}")
        else:
            entry["adapter"] = None
            if cand_id != state["kept_adapter"]:
                self.registry.discard(cand_id)
            self.log("  rolled back: " + "; ".join(reasons))
        shutil.rmtree(work, ignore_errors=True)
        return entry

    def record_lineage(self, adapter_id: str, path: Path, lineage: dict[str, Any]) -> None:
        """Register the exact data versions in the dataset registry and the adapter trained on them."""
        from gradeloop.data import Registry

        with Registry() as reg:
            trained = [reg.add(s, kind="suite").id for s in self.roles.train]
            for s in self.roles.eval_suites:
                reg.add(s, kind="suite")
            reg.record_adapter(adapter_id, trained, {"tune_id": self.tune_id, "strategy": self.cfg.strategy,
                                                     "iteration": lineage["iteration"],
                                                     "contamination_override": lineage["contamination_override"]},
                               path=path / "adapter_model.safetensors"
                               if (path / "adapter_model.safetensors").exists() else None)

    def document(self, state: dict[str, Any]) -> dict[str, Any]:
        """The tune JSON (schema gradeloop.tune/v1)."""
        base_run = build_run_json(self.store, state["baseline"]["run_id"])
        final_run = build_run_json(self.store, state["kept_run_id"])
        policy = GatePolicy(alpha=self.cfg.gate.alpha, margin=self.cfg.gate.margin, slices="none", min_slice_cases=2)
        holdout = None
        if self.roles.holdout:
            cmp = compare_runs(_subset(base_run, self.roles.names("holdout")),
                               _subset(final_run, self.roles.names("holdout")), policy)
            holdout = cmp["overall"]["diff"]
        guard_changes = {}
        for s in self.roles.guard:
            cmp = compare_runs(_subset(base_run, {s.name}), _subset(final_run, {s.name}), policy)
            guard_changes[s.name] = {"diff": cmp["overall"]["diff"], "verdict": cmp["overall"]["verdict"]}
        focus_cmp = compare_runs(_subset(base_run, self.roles.names("focus_dev")),
                                 _subset(final_run, self.roles.names("focus_dev")), policy)
        return {
            "schema": TUNE_SCHEMA,
            "tune_id": self.tune_id,
            "name": self.cfg.name,
            "base": {"spec": self.cfg.base, "fingerprint": base_run["target"]["fingerprint"]},
            "strategy": self.cfg.strategy,
            "hyperparameters": self.cfg.hyperparameters.model_dump(),
            "data": [{"suite": s.name, "version": s.version, "split": s.split,
                      "role": "train" if s in self.roles.train else "focus" if s in self.roles.focus_dev
                      else "holdout" if s in self.roles.holdout else "guard"}
                     for s in self.roles.train + self.roles.eval_suites],
            "contamination_override": self.contamination,
            "baseline": state["baseline"],
            "iterations": state["iterations"],
            "stopped_because": state["stopped_because"],
            "final": {"adapter": state["kept_adapter"], "adapter_path": state["kept_path"],
                      "run_id": final_run["run_id"], "holdout_improvement": holdout,
                      "focus_improvement": focus_cmp["overall"]["diff"], "guard_changes": guard_changes},
        }
