"""`make demo`: build the tiny model, evaluate it, tune it, and show the result on held-out cases.

1. build the embedded tiny support model (once; ~1 minute on 2 cores, offline);
2. evaluate it on the demo suites, plus a mutated copy of the dev suite, 4 samples per case:
   pass rates with intervals, robustness per mutation operator, calibration of its own
   token log-probabilities and self-consistency;
3. tune it (GRPO on the lockout train split plus refusal-boundary training prompts, every
   iteration gated on the dev split and on each guard against the base model);
4. print the before/after on the *holdout* split (phrasings never trained on) with its
   interval, the guard changes, and write the HTML reports;
5. tune the base model again to call its tools (tool_call grader as the reward, no_tool_call on
   questions that need no tool), gated the same way, and print its holdout result.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rich.console import Console

    from gradeloop.run import Store

os.environ.setdefault("HF_HUB_OFFLINE", "1")

ROOT = Path(__file__).resolve().parents[3]
DEMO = ROOT / "examples" / "demo"
OUT = Path(".gradeloop") / "demo"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m gradeloop.demo", description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=0, help="seed of the evaluations and of tuning (default 0)")
    parser.add_argument("--model-dir", type=Path, default=None,
                        help="where the tiny model is built (default .gradeloop/models/tiny-support)")
    parser.add_argument("--out", type=Path, default=OUT, help=f"where reports and JSON go (default {OUT})")
    args = parser.parse_args(argv)
    seed, out = args.seed, args.out
    import torch
    from rich.console import Console

    from gradeloop.cli.common import write_json
    from gradeloop.cli.eval import run_suites
    from gradeloop.cli.tune import render_tune
    from gradeloop.demo.model import ensure_tiny_model
    from gradeloop.errors import InputError
    from gradeloop.probes import mutate
    from gradeloop.report import render_html
    from gradeloop.report.terminal import render_run
    from gradeloop.run import Store
    from gradeloop.suite import dump_suite, load_suite

    _quiet_libraries()
    if "OMP_NUM_THREADS" not in os.environ:
        # The tiny model's matrices are too small to split: one thread ran a GRPO iteration in 16 s
        # against 29-44 s with two, and two threads collapse when other processes share the cores.
        torch.set_num_threads(1)
    console = Console()
    if not DEMO.is_dir():
        console.print(f"[red]the demo suites are not at {DEMO}: run `make demo` from a checkout[/red]")
        return 2
    out.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()

    console.rule("1/5 the embedded tiny model")
    model = ensure_tiny_model(args.model_dir)
    console.print(f"model: {model}")
    spec = f"hf:{model}"

    console.print("[dim]A 2M-parameter support model built offline with flaws on purpose: it rarely names the "
                  "account lockout or how to unlock it, and its JSON and refusals are shaky. Offered its two tools "
                  "(lookup_order, create_ticket) it often answers in words instead of calling, or calls with a "
                  "wrong argument.[/dim]")

    console.rule("2/5 evaluation (4 samples per case, temperature 1)")
    console.print("[dim]The base model before tuning, with 95% intervals per suite. Most thresholds are "
                  "[bold]expected to fail here[/bold]: lockout-policy is what tuning will fix; refusal-boundary, "
                  "ticket-json and support-regression are guards that must not get worse; tool-calls-holdout is what "
                  "the second tune fixes, tool-irrelevance its own guard. The mutated copy of "
                  "the dev suite measures robustness to typos, casing, paraphrases and distractors.[/dim]")
    dev = load_suite(DEMO / "lockout-policy-dev.yaml")
    mutated = out / "lockout-policy-dev-mutated.yaml"
    dump_suite(mutate(dev, ["typos", "casing", "paraphrase", "distractor"], variants=1, seed=0,
                      name="lockout-policy-dev-mutated"), mutated)
    suites = [mutated, DEMO / "lockout-policy-holdout.yaml", DEMO / "refusal-boundary.yaml",
              DEMO / "ticket-json.yaml", DEMO / "support-regression.yaml", DEMO / "tool-calls-holdout.yaml",
              DEMO / "tool-irrelevance.yaml"]
    store = Store()
    try:
        run = run_suites(suites, spec, samples=4, seed=seed, concurrency=1, temperature=1.0, max_tokens=48,
                         store=store, console=console)
        write_json(out / "eval.json", run)
        render_run(run, console, show_slices=False)
        (out / "eval.html").write_text(render_html(run), encoding="utf-8")

        console.rule("3/5 tuning (every iteration evaluated and gated)")
        console.print("[dim]GRPO with LoRA: the lockout graders are the reward. After each iteration the "
                      "candidate is evaluated on the dev split, the sealed holdout and every guard; it is kept only "
                      "if dev improves and no guard is worse than the base model (pass/fail/inconclusive), else "
                      f"rolled back. TRL's per-step logs: {Path('.gradeloop') / 'tunes'}/<tune>/iter-N/"
                      "train-log.jsonl.[/dim]")
        doc = _tune("lockout-policy.yaml", spec, seed, store, console)
        write_json(out / "tune.json", doc)
        (out / "tune.html").write_text(render_html(doc), encoding="utf-8")

        console.rule("4/5 result")
        render_tune(doc, console)
        _answer(doc, console)

        console.rule("5/5 the model learns a tool")
        console.print("[dim]A second tune of the base model: GRPO where the reward is the tool_call grader (the "
                      "right function with every argument right) on order and bug questions, and no_tool_call on "
                      "questions that need no tool. Gated the same way, with the irrelevance suite (no call on "
                      "support questions while the tools are offered) among the guards.[/dim]")
        tool_doc = _tune("tool-calls.yaml", spec, seed, store, console)
        write_json(out / "tune-tools.json", tool_doc)
        (out / "tune-tools.html").write_text(render_html(tool_doc), encoding="utf-8")
        render_tune(tool_doc, console)
        _answer(tool_doc, console, what="tool-call pass rate")
    except InputError as exc:
        console.print(f"[red]error:[/red] {exc}")
        return 2
    finally:
        store.close()
    console.print(f"\nreports: {out / 'eval.html'} (evaluation, robustness, calibration), "
                  f"{out / 'tune.html'} and {out / 'tune-tools.html'} (tuning curves); JSON beside them")
    console.print(f"demo wall time: {time.perf_counter() - started:.0f} s")
    return 0


def _tune(config: str, spec: str, seed: int, store: "Store", console: "Console") -> dict:
    """One tune config of examples/tune/ run on the demo model with the demo's seed; the tune JSON."""
    from gradeloop.tune import AdapterRegistry, load_tune_config
    from gradeloop.tune.loop import TuneLoop

    cfg, base_dir = load_tune_config(ROOT / "examples" / "tune" / config)
    cfg = cfg.model_copy(update={"base": spec, "seed": seed, "eval": cfg.eval.model_copy(update={"seed": seed})})
    loop = TuneLoop(cfg, base_dir, store, AdapterRegistry(), log=lambda m: console.print(f"[dim]{m}[/dim]"))
    return loop.run()


def _quiet_libraries() -> None:
    """The demo's own terminal: no weight-loading bars or library deprecation notices between its steps."""
    import warnings

    warnings.filterwarnings("ignore", category=FutureWarning)
    warnings.filterwarnings("ignore", category=DeprecationWarning)
    try:
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()
        hf_logging.set_verbosity_error()
    except ImportError:  # the ml extra is missing; the model build reports it
        pass


def _answer(doc: dict, console: "Console", what: str = "pass rate") -> None:
    """The two questions the demo exists to answer, in plain words, from the tune JSON."""
    from gradeloop.report.terminal import fmt_estimate

    final = doc["final"]
    gain = final.get("holdout_improvement")
    console.rule("did tuning help on cases it never saw?")
    if not final.get("adapter"):
        console.print("No: no iteration was kept, so the model is the base model.")
    elif gain and gain["ci_low"] > 0:
        console.print(f"Yes: on the sealed holdout (phrasings never trained on) the {what} rose by "
                      f"{fmt_estimate(gain)} (final − base, paired, 95% CI; the whole interval is above zero).")
    elif gain:
        console.print(f"Not shown: holdout change {fmt_estimate(gain)} — the interval includes zero.")
    console.rule("did anything else break?")
    changes = final.get("guard_changes") or {}
    bad = {n: g for n, g in changes.items() if g.get("verdict") != "pass"}
    if not changes:
        console.print("No guard suites were configured.")
    elif not bad:
        console.print(f"No: each of the {len(changes)} guard suites passed its gate against the base model "
                      "(no drop beyond the margin, none inconclusive).")
    else:
        for name, g in bad.items():
            console.print(f"{name}: {g.get('verdict')} {fmt_estimate(g['diff']) if g.get('diff') else ''}")


if __name__ == "__main__":
    sys.exit(main())
