"""The tune config: base model, focus/holdout/guard suites, strategy, budget, targets.

Paths in the file are relative to the file's folder, so a config travels with its suites.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from gradeloop.configfile import load_yaml_config
from gradeloop.tune.launch import LaunchSettings
from gradeloop.names import NAME_RULE, is_path_name


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Hyperparameters(_Strict):
    """Training settings; defaults measured to move a few-million-parameter model on 2 CPU cores."""

    learning_rate: float = Field(1e-3, gt=0, description="LoRA learning rate (TRL's 1e-6 barely moves a tiny model)")
    beta: float = Field(0.04, ge=0, description="KL / reference constraint (GRPO, DPO)")
    lora_r: int = Field(8, ge=1)
    lora_alpha: int = Field(16, ge=1)
    lora_dropout: float = Field(0.0, ge=0, lt=1)
    target_modules: list[str] = Field(default_factory=lambda: ["q_proj", "v_proj"])
    batch_size: int = Field(16, ge=1, description="Prompts × generations per step for GRPO; rows per step otherwise")
    num_generations: int = Field(8, ge=2, description="GRPO group size; samples per case for rs-sft and dpo")
    max_completion_length: int = Field(48, ge=4)
    temperature: float = Field(1.0, gt=0, description="Sampling temperature while training")


class Budget(_Strict):
    iterations: int = Field(3, ge=1)
    steps_per_iteration: int = Field(30, ge=1)
    wall_time_s: float = Field(1800, gt=0, description="Stop starting new iterations after this long")


class EvalSettings(_Strict):
    """How every checkpoint is evaluated (the same for the base and every iteration)."""

    samples: int = Field(4, ge=1)
    temperature: float = Field(1.0, ge=0)
    max_tokens: int = Field(48, ge=1)
    seed: int = 0
    concurrency: int = Field(1, ge=1)
    executor: Literal["local", "ray"] = Field("local", description="Where evaluation samples run (ray: Ray actors)")
    ray_address: str | None = Field(None, description="Ray cluster to join; default a local one")


class Targets(_Strict):
    focus_pass_rate: float = Field(0.9, ge=0, le=1)
    on: Literal["mean", "ci_low"] = "ci_low"


class GateSettings(_Strict):
    alpha: float = Field(0.05, gt=0, lt=0.5)
    margin: float = Field(0.02, ge=0, le=1, description="Guard drops up to this size are tolerated")
    min_focus_gain: float = Field(0.0, ge=0, description="Focus dev pass rate must rise by more than this")


class TuneConfig(_Strict):
    name: str = Field(min_length=1, description="Names the tune's state folder and adapter line: one path component")
    base: str = Field(description="hf: spec of the base model")
    focus: list[str] = Field(min_length=1, description="Suites: train split feeds training, dev split measures")
    holdout: list[str] = Field(default_factory=list, description="Sealed suites: evaluated, never trained on")
    guard: list[str] = Field(default_factory=list, description="Suites that must not regress")
    strategy: Literal["rs-sft", "dpo", "grpo"] = "grpo"
    hyperparameters: Hyperparameters = Hyperparameters()
    budget: Budget = Budget()
    eval: EvalSettings = EvalSettings()
    targets: Targets = Targets()
    gate: GateSettings = GateSettings()
    seed: int = 0
    allow_contaminated: bool = Field(False, description="Train despite near-duplicates of eval cases (recorded)")

    @field_validator("name")
    @classmethod
    def _one_path_component(cls, value: str) -> str:
        # The name becomes .gradeloop/tunes/NAME-… and the adapters' HEAD-NAME: `../../x` must not escape.
        if not is_path_name(value):
            raise ValueError(f"{value!r} cannot name a folder: use {NAME_RULE}")
        return value
    device: str = Field("auto", description="auto | cpu | cuda | cuda:N | mps, for training and evaluation")
    dtype: str = Field("auto", description="auto | float32 | bfloat16 | float16 (auto: bf16 where supported)")
    launch: LaunchSettings = LaunchSettings()
    trainer: dict[str, Any] = Field(default_factory=dict, description="Passed to TRL's config for the strategy "
                                    "(GRPOConfig, SFTConfig, DPOConfig), e.g. use_vllm, gradient_accumulation_steps")

    @model_validator(mode="before")
    @classmethod
    def _placement_into_base(cls, data: Any) -> Any:
        """`device`/`dtype` become options of the base spec, so training and every evaluation agree."""
        if not isinstance(data, dict) or not isinstance(data.get("base"), str):
            return data
        from gradeloop.devices import check_device, check_dtype
        from gradeloop.errors import InputError

        base = data["base"]
        for key, check in (("device", check_device), ("dtype", check_dtype)):
            value = data.get(key, "auto")
            if not isinstance(value, str):
                continue  # the field's own validation reports it
            try:
                value = check(value)
            except InputError as exc:
                raise ValueError(exc.message) from None
            if value == "auto":
                continue
            if f"+{key}=" in base:
                raise ValueError(f"{key} is set both in the tune config and in base {base!r}: keep one")
            base += f"+{key}={value}"
        return {**data, "base": base}

    @field_validator("trainer")
    @classmethod
    def _known_trainer_options(cls, value: dict[str, Any], info: ValidationInfo) -> dict[str, Any]:
        if value:
            from gradeloop.tune.trainer_options import check_trainer_options

            check_trainer_options(info.data.get("strategy", "grpo"), value)
        return value


def load_tune_config(path: str | Path) -> tuple[TuneConfig, Path]:
    """The config and the folder its relative paths start from."""
    cfg = load_yaml_config(path, TuneConfig)
    return cfg, Path(path).resolve().parent
