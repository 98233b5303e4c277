"""Training strategies, all LoRA adapters through PEFT, all trained by TRL.

- `grpo`: GRPOTrainer with the graders as the reward function;
- `rs-sft`: sample k outputs per training case, keep the passing ones, SFTTrainer on them;
- `dpo`: sample k outputs, pair passing with close failing outputs, DPOTrainer.

Continuing from a kept adapter loads it *trainable* (TRL #3031: a PEFT model passed without
that silently trains nothing); the loop's tests check that an iteration changes the weights.
"""
from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping

from gradeloop.errors import InputError
from gradeloop.suite.model import Case
from gradeloop.tune.config import Hyperparameters
from gradeloop.tune.signals import GradedCase, Scored, preference_pairs, rejection_filter, reward_function
from gradeloop.tune.trainer_options import precision_args

# (spec of the current model, number of samples per case) -> graded samples of the training cases
Sampler = Callable[[int], list[Scored]]


@dataclass
class TrainResult:
    adapter_dir: Path
    steps: int
    wall_s: float
    examples: int  # prompts (grpo), kept samples (rs-sft) or pairs (dpo)
    train_reward: list[float] = field(default_factory=list)  # per logged step (grpo)
    loss: list[float] = field(default_factory=list)
    note: str = ""


def _messages(case_input: Any) -> list[dict]:
    if isinstance(case_input, str):
        return [{"role": "user", "content": case_input}]
    return [dict(m) for m in case_input]


def _prompter(cases: Mapping[str, GradedCase], tok: Any) -> Callable[[Case], Any]:
    """How each case becomes a training prompt: chat messages, or, when a case declares tools, text the
    chat template renders with its tools exactly as the hf target does (TRL cannot give each example
    its own tool schemas, and a dataset's prompts must all be of one kind)."""
    if not any(gc.case.tools for gc in cases.values()):
        return lambda case: _messages(case.input)
    from gradeloop.targets.hf import render_prompt

    def text(case: Case) -> str:
        rendered = render_prompt(tok, case.input, case.tools)
        if rendered is None:
            raise ValueError("tool cases need a tokenizer with a chat template to render their tools")
        return rendered

    return text


def _completion(prompt: Any, output: str, calls: Any = None) -> Any:
    """A kept output in the prompt's form: an assistant message, or text (TRL adds the EOS to text)."""
    text = output if not calls else output + "".join(
        "<tool_call>\n" + json.dumps({"name": c["name"], "arguments": c["arguments"]}) + "\n</tool_call>"
        for c in calls if c.get("arguments") is not None)
    return text if isinstance(prompt, str) else [{"role": "assistant", "content": text}]


def load_trainable(base: str, parent_adapter: Path | None, hp: Hyperparameters) -> tuple[Any, Any]:
    """Base model with a new LoRA adapter, or with the parent adapter loaded trainable."""
    from peft import LoraConfig, get_peft_model

    from gradeloop.targets.hf import HFSpec, load_model_and_tokenizer, parse_hf_spec

    spec = parse_hf_spec(base)
    if parent_adapter is not None:
        model, tok = load_model_and_tokenizer(HFSpec(spec.model, str(parent_adapter)), adapter_trainable=True)
    else:
        model, tok = load_model_and_tokenizer(spec)
        model = get_peft_model(model, LoraConfig(r=hp.lora_r, lora_alpha=hp.lora_alpha, lora_dropout=hp.lora_dropout,
                                                 target_modules=list(hp.target_modules), task_type="CAUSAL_LM"))
    model.train()
    return model, tok


def _common_args(base: str, out: Path, steps: int, hp: Hyperparameters, seed: int,
                 trainer_options: Mapping[str, Any]) -> dict[str, Any]:
    """Arguments every TRL config gets: ours, the precision of the base spec's device, then the
    user's `trainer:` options (checked against the config class when the tune config loaded)."""
    from gradeloop.targets.hf import parse_hf_spec, placement_of

    args: dict[str, Any] = dict(output_dir=str(out), max_steps=steps, learning_rate=hp.learning_rate,
                                logging_steps=1, save_strategy="no", report_to="none", seed=seed, disable_tqdm=True,
                                lr_scheduler_type="constant")
    args.update(precision_args(placement_of(parse_hf_spec(base))))
    args.update(trainer_options)
    return args


def _log_to_file(trainer: Any, path: Path) -> None:
    """TRL's per-step logs go to `path` (JSON lines), not the terminal: the loop prints the story."""
    from transformers import PrinterCallback, TrainerCallback

    class JsonlLog(TrainerCallback):
        def on_log(self, args: Any, state: Any, control: Any, logs: Any = None, **kwargs: Any) -> None:
            if logs and state.is_world_process_zero:
                with open(path, "a", encoding="utf-8") as handle:
                    handle.write(json.dumps({"step": state.global_step, **logs}, default=str) + "\n")

    trainer.remove_callback(PrinterCallback)
    trainer.add_callback(JsonlLog())


def _fit(trainer: Any, model: Any, out: Path) -> float:
    """Train (logs to `out/train-log.jsonl`), save the adapter under `out/adapter`, return the wall time."""
    out.mkdir(parents=True, exist_ok=True)
    _log_to_file(trainer, out / "train-log.jsonl")
    start = time.perf_counter()
    trainer.train()
    wall = time.perf_counter() - start
    if trainer.accelerator.is_main_process:  # one writer when accelerate runs several processes
        model.save_pretrained(out / "adapter")
    return wall


def _history(trainer: Any, key: str) -> list[float]:
    return [float(h[key]) for h in trainer.state.log_history if key in h]


def train_grpo(base: str, parent: Path | None, cases: Mapping[str, GradedCase], hp: Hyperparameters,
               steps: int, seed: int, out: Path, trainer_options: Mapping[str, Any] = {}) -> TrainResult:
    from datasets import Dataset
    from trl import GRPOConfig, GRPOTrainer

    model, tok = load_trainable(base, parent, hp)
    prompt = _prompter(cases, tok)
    rows = [{"prompt": prompt(gc.case), "case_id": cid} for cid, gc in cases.items()]
    batch = max(hp.num_generations, hp.batch_size - hp.batch_size % hp.num_generations)
    args = GRPOConfig(**_common_args(base, out / "trainer", steps, hp, seed, trainer_options),
                      per_device_train_batch_size=batch,
                      num_generations=hp.num_generations, max_completion_length=hp.max_completion_length,
                      temperature=hp.temperature, beta=hp.beta)
    trainer = GRPOTrainer(model=model, reward_funcs=[reward_function(cases)], args=args,
                          train_dataset=Dataset.from_list(rows), processing_class=tok)
    wall = _fit(trainer, model, out)
    return TrainResult(out / "adapter", steps, wall, len(rows), _history(trainer, "reward"), _history(trainer, "loss"))


def train_rs_sft(base: str, parent: Path | None, cases: Mapping[str, GradedCase], hp: Hyperparameters,
                 steps: int, seed: int, out: Path, sample: Sampler,
                 trainer_options: Mapping[str, Any] = {}) -> TrainResult:
    from datasets import Dataset
    from trl import SFTConfig, SFTTrainer

    kept = rejection_filter(sample(hp.num_generations))
    if not kept:
        raise _NoSignal(NO_PASSING)
    model, tok = load_trainable(base, parent, hp)
    prompt = _prompter(cases, tok)
    rows = []
    for s in kept:
        p = prompt(cases[s.case_id].case)
        rows.append({"prompt": p, "completion": _completion(p, s.output, s.tool_calls)})
    args = SFTConfig(**_common_args(base, out / "trainer", steps, hp, seed, trainer_options),
                     per_device_train_batch_size=hp.batch_size)
    trainer = SFTTrainer(model=model, args=args, train_dataset=Dataset.from_list(rows), processing_class=tok)
    wall = _fit(trainer, model, out)
    return TrainResult(out / "adapter", steps, wall, len(rows), [], _history(trainer, "loss"),
                       note=f"kept {len(kept)} passing samples")


def train_dpo(base: str, parent: Path | None, cases: Mapping[str, GradedCase], hp: Hyperparameters,
              steps: int, seed: int, out: Path, sample: Sampler,
              trainer_options: Mapping[str, Any] = {}) -> TrainResult:
    from datasets import Dataset
    from trl import DPOConfig, DPOTrainer

    pairs = preference_pairs(sample(hp.num_generations))
    if not pairs:
        raise _NoSignal(NO_PAIRS)
    model, tok = load_trainable(base, parent, hp)
    prompt = _prompter(cases, tok)
    rows = []
    for c, r in pairs:
        p = prompt(cases[c.case_id].case)
        rows.append({"prompt": p, "chosen": _completion(p, c.output, c.tool_calls),
                     "rejected": _completion(p, r.output, r.tool_calls)})
    args = DPOConfig(**_common_args(base, out / "trainer", steps, hp, seed, trainer_options),
                     per_device_train_batch_size=hp.batch_size,
                     beta=hp.beta)
    trainer = DPOTrainer(model=model, ref_model=None, args=args, train_dataset=Dataset.from_list(rows),
                         processing_class=tok)
    wall = _fit(trainer, model, out)
    return TrainResult(out / "adapter", steps, wall, len(rows), [], _history(trainer, "loss"),
                       note=f"{len(pairs)} preference pairs")


class _NoSignal(Exception):
    """The sampled data gives this strategy nothing to learn from (not a crash: the iteration is skipped)."""


NoSignal = _NoSignal
NO_PASSING = "no sampled output passed its graders: nothing to fine-tune on"
NO_PAIRS = "no case had both a passing and a failing sample: no preference pairs"


def check_signal(strategy: str, samples: list[Scored]) -> None:
    """Raise NoSignal when graded samples give `strategy` nothing to learn from (as training would)."""
    if strategy == "rs-sft" and not rejection_filter(samples):
        raise _NoSignal(NO_PASSING)
    if strategy == "dpo" and not preference_pairs(samples):
        raise _NoSignal(NO_PAIRS)


def train(strategy: str, base: str, parent: Path | None, cases: Mapping[str, GradedCase], hp: Hyperparameters,
          steps: int, seed: int, out: Path, sample: Sampler,
                 trainer_options: Mapping[str, Any] = {}) -> TrainResult:
    """Train one iteration with `strategy`; the adapter is saved under `out/adapter`.

    `trainer_options` holds TRL config options passed through as they are (see tune.trainer_options).
    """
    import torch

    torch.manual_seed(seed)
    if strategy == "grpo":
        return train_grpo(base, parent, cases, hp, steps, seed, out, trainer_options)
    if strategy == "rs-sft":
        return train_rs_sft(base, parent, cases, hp, steps, seed, out, sample, trainer_options)
    if strategy == "dpo":
        return train_dpo(base, parent, cases, hp, steps, seed, out, sample, trainer_options)
    raise InputError(f"unknown strategy {strategy!r}", field="strategy")
