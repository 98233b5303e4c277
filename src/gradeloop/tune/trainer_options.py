"""The `trainer:` block of a tune config: TRL's own options, passed through and checked first.

Users with a GPU need TRL's knobs (vLLM generation, gradient accumulation, DeepSpeed/FSDP through
accelerate) without gradeloop re-declaring them. Keys are checked against the strategy's TRL config
class, so a typo is an error with its line, not a silently ignored setting; the few options
gradeloop sets from its own fields are refused here and named where they belong.
"""
from __future__ import annotations

import dataclasses
from typing import Any

from gradeloop.devices import Placement

CONFIG_CLASS = {"grpo": "GRPOConfig", "rs-sft": "SFTConfig", "dpo": "DPOConfig"}
# options gradeloop sets from its own fields: set them there, so the loop and its records agree
OWNED = {
    "output_dir": "the tune run's own folder",
    "max_steps": "budget.steps_per_iteration",
    "num_train_epochs": "budget.steps_per_iteration",
    "learning_rate": "hyperparameters.learning_rate",
    "seed": "seed",
    "per_device_train_batch_size": "hyperparameters.batch_size",
    "num_generations": "hyperparameters.num_generations",
    "max_completion_length": "hyperparameters.max_completion_length",
    "temperature": "hyperparameters.temperature",
    "beta": "hyperparameters.beta",
    "use_cpu": "device",
    "bf16": "dtype",
    "fp16": "dtype",
}


def config_class(strategy: str) -> Any:
    """TRL's config class for a strategy (imports TRL)."""
    try:
        import trl
    except ImportError:
        raise ValueError("the trainer block needs TRL: pip install 'gradeloop[ml]'") from None
    return getattr(trl, CONFIG_CLASS[strategy])


def check_trainer_options(strategy: str, options: dict[str, Any]) -> None:
    """Raise ValueError naming the first key TRL's config for `strategy` does not have."""
    cls = config_class(strategy)
    known = {f.name for f in dataclasses.fields(cls)}
    for key in options:
        if key in OWNED:
            raise ValueError(f"{key!r} is set by gradeloop from {OWNED[key]}; set it there")
        if key not in known:
            raise ValueError(f"unknown {cls.__name__} option {key!r} (TRL {_trl_version()})")


def _trl_version() -> str:
    import trl

    return str(getattr(trl, "__version__", "?"))


def precision_args(place: Placement) -> dict[str, Any]:
    """TRL/transformers training arguments for where the model runs.

    On the CPU bf16 and gradient checkpointing (TRL's defaults) must be off; on an accelerator
    mixed precision follows the dtype and TRL's own gradient-checkpointing default stays.
    """
    if place.kind == "cpu":
        return {"use_cpu": True, "bf16": place.dtype == "bfloat16", "fp16": False, **_checkpointing_off()}
    return {"use_cpu": False, "bf16": place.dtype == "bfloat16", "fp16": place.dtype == "float16"}


def _checkpointing_off() -> dict[str, bool]:
    """transformers 5 renames gradient_checkpointing to activation_checkpointing (old name warns)."""
    from transformers import TrainingArguments

    names = {f.name for f in dataclasses.fields(TrainingArguments)}
    if "activation_checkpointing" in names:
        return {"activation_checkpointing": False, "gradient_checkpointing": False}
    return {"gradient_checkpointing": False}
