"""Training strategies, all LoRA adapters through PEFT, all trained by TRL.

- `grpo`: GRPOTrainer with the graders as the reward function;
- `rs-sft`: sample k outputs per training case, keep the passing ones, SFTTrainer on them;
- `dpo`: sample k outputs, pair passing with close failing outputs, DPOTrainer.

Continuing from a kept adapter loads it *trainable* (TRL #3031: a PEFT model passed without
that silently trains nothing); the loop's tests check that an iteration changes the weights.
"""
from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping

from gradeloop.errors import InputError
from gradeloop.tune.config import Hyperparameters
from gradeloop.tune.signals import GradedCase, Scored, preference_pairs, rejection_filter, reward_function

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


def _common_args(out: Path, steps: int, hp: Hyperparameters, seed: int) -> dict[str, Any]:
    # No GPU here: bf16 and gradient checkpointing (TRL defaults) must be off, logging local only.
    return dict(output_dir=str(out), max_steps=steps, learning_rate=hp.learning_rate, logging_steps=1,
                save_strategy="no", report_to="none", use_cpu=True, bf16=False, gradient_checkpointing=False,
                seed=seed, disable_tqdm=True, lr_scheduler_type="constant")


def _fit(trainer: Any, model: Any, out: Path) -> float:
    """Train, save the adapter under `out/adapter`, return the training wall time."""
    start = time.perf_counter()
    trainer.train()
    wall = time.perf_counter() - start
    model.save_pretrained(out / "adapter")
    return wall


def _history(trainer: Any, key: str) -> list[float]:
    return [float(h[key]) for h in trainer.state.log_history if key in h]


def train_grpo(base: str, parent: Path | None, cases: Mapping[str, GradedCase], hp: Hyperparameters,
               steps: int, seed: int, out: Path) -> TrainResult:
    from datasets import Dataset
    from trl import GRPOConfig, GRPOTrainer

    model, tok = load_trainable(base, parent, hp)
    rows = [{"prompt": _messages(gc.case.input), "case_id": cid} for cid, gc in cases.items()]
    batch = max(hp.num_generations, hp.batch_size - hp.batch_size % hp.num_generations)
    args = GRPOConfig(**_common_args(out / "trainer", steps, hp, seed), per_device_train_batch_size=batch,
                      num_generations=hp.num_generations, max_completion_length=hp.max_completion_length,
                      temperature=hp.temperature, beta=hp.beta)
    trainer = GRPOTrainer(model=model, reward_funcs=[reward_function(cases)], args=args,
                          train_dataset=Dataset.from_list(rows), processing_class=tok)
    wall = _fit(trainer, model, out)
    return TrainResult(out / "adapter", steps, wall, len(rows), _history(trainer, "reward"), _history(trainer, "loss"))


def train_rs_sft(base: str, parent: Path | None, cases: Mapping[str, GradedCase], hp: Hyperparameters,
                 steps: int, seed: int, out: Path, sample: Sampler) -> TrainResult:
    from datasets import Dataset
    from trl import SFTConfig, SFTTrainer

    kept = rejection_filter(sample(hp.num_generations))
    if not kept:
        raise _NoSignal("no sampled output passed its graders: nothing to fine-tune on")
    rows = [{"prompt": _messages(cases[s.case_id].case.input),
             "completion": [{"role": "assistant", "content": s.output}]} for s in kept]
    model, tok = load_trainable(base, parent, hp)
    args = SFTConfig(**_common_args(out / "trainer", steps, hp, seed), per_device_train_batch_size=hp.batch_size)
    trainer = SFTTrainer(model=model, args=args, train_dataset=Dataset.from_list(rows), processing_class=tok)
    wall = _fit(trainer, model, out)
    return TrainResult(out / "adapter", steps, wall, len(rows), [], _history(trainer, "loss"),
                       note=f"kept {len(kept)} passing samples")


def train_dpo(base: str, parent: Path | None, cases: Mapping[str, GradedCase], hp: Hyperparameters,
              steps: int, seed: int, out: Path, sample: Sampler) -> TrainResult:
    from datasets import Dataset
    from trl import DPOConfig, DPOTrainer

    pairs = preference_pairs(sample(hp.num_generations))
    if not pairs:
        raise _NoSignal("no case had both a passing and a failing sample: no preference pairs")
    rows = [{"prompt": _messages(cases[c.case_id].case.input),
             "chosen": [{"role": "assistant", "content": c.output}],
             "rejected": [{"role": "assistant", "content": r.output}]} for c, r in pairs]
    model, tok = load_trainable(base, parent, hp)
    args = DPOConfig(**_common_args(out / "trainer", steps, hp, seed), per_device_train_batch_size=hp.batch_size,
                     beta=hp.beta)
    trainer = DPOTrainer(model=model, ref_model=None, args=args, train_dataset=Dataset.from_list(rows),
                         processing_class=tok)
    wall = _fit(trainer, model, out)
    return TrainResult(out / "adapter", steps, wall, len(rows), [], _history(trainer, "loss"),
                       note=f"{len(pairs)} preference pairs")


class _NoSignal(Exception):
    """The sampled data gives this strategy nothing to learn from (not a crash: the iteration is skipped)."""


NoSignal = _NoSignal


def train(strategy: str, base: str, parent: Path | None, cases: Mapping[str, GradedCase], hp: Hyperparameters,
          steps: int, seed: int, out: Path, sample: Sampler) -> TrainResult:
    """Train one iteration with `strategy`; the adapter is saved under `out/adapter`."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import torch

    torch.manual_seed(seed)
    if strategy == "grpo":
        return train_grpo(base, parent, cases, hp, steps, seed, out)
    if strategy == "rs-sft":
        return train_rs_sft(base, parent, cases, hp, steps, seed, out, sample)
    if strategy == "dpo":
        return train_dpo(base, parent, cases, hp, steps, seed, out, sample)
    raise InputError(f"unknown strategy {strategy!r}", field="strategy")
