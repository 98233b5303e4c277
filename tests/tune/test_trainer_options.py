"""The tune config's device, dtype and `trainer:` block (TRL options passed through, checked first)."""
from __future__ import annotations

from pathlib import Path

import pytest

from gradeloop.devices import Placement
from gradeloop.errors import InputError
from gradeloop.tune import load_tune_config
from gradeloop.tune.trainer_options import precision_args

pytest.importorskip("trl")

HEAD = "name: t\nbase: hf:models/m\nfocus: [f.yaml]\n"


def _write(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "tune.yaml"
    path.write_text(HEAD + body)
    return path


def test_trl_options_pass_through_and_unknown_ones_name_their_line(tmp_path: Path) -> None:
    cfg, _ = load_tune_config(_write(tmp_path, "strategy: grpo\ntrainer:\n  gradient_accumulation_steps: 4\n"
                                               "  use_vllm: true\n  vllm_mode: colocate\n"))
    assert cfg.trainer == {"gradient_accumulation_steps": 4, "use_vllm": True, "vllm_mode": "colocate"}
    with pytest.raises(InputError) as err:
        load_tune_config(_write(tmp_path, "strategy: dpo\ntrainer:\n  gradient_accumulation_steps: 2\n"
                                          "  use_vlm: true\n"))
    assert "tune.yaml:5" in str(err.value) and "trainer" in str(err.value)
    assert "unknown DPOConfig option 'use_vlm'" in str(err.value)


def test_options_gradeloop_owns_are_refused_with_where_they_belong(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="learning_rate.*hyperparameters.learning_rate"):
        load_tune_config(_write(tmp_path, "trainer: {learning_rate: 0.1}\n"))
    with pytest.raises(InputError, match="bf16.*dtype"):
        load_tune_config(_write(tmp_path, "trainer: {bf16: true}\n"))


def test_device_and_dtype_become_base_spec_options(tmp_path: Path) -> None:
    cfg, _ = load_tune_config(_write(tmp_path, "device: cuda:1\ndtype: bf16\n"))
    assert cfg.base == "hf:models/m+device=cuda:1+dtype=bfloat16"
    cfg, _ = load_tune_config(_write(tmp_path, ""))
    assert cfg.base == "hf:models/m"  # auto: resolved on the machine that runs it
    with pytest.raises(InputError, match="unknown device 'tpu'"):
        load_tune_config(_write(tmp_path, "device: tpu\n"))
    path = tmp_path / "both.yaml"
    path.write_text("name: t\nbase: hf:m+dtype=float16\nfocus: [f.yaml]\ndtype: bfloat16\n")
    with pytest.raises(InputError, match="dtype is set both"):
        load_tune_config(path)


def test_precision_follows_the_placement() -> None:
    cpu = precision_args(Placement("cpu", "float32"))
    assert cpu["use_cpu"] is True and cpu["bf16"] is cpu["fp16"] is cpu["gradient_checkpointing"] is False
    gpu = precision_args(Placement("cuda:0", "bfloat16"))
    assert gpu == {"use_cpu": False, "bf16": True, "fp16": False}  # TRL's checkpointing default stays
    assert precision_args(Placement("cuda:0", "float16"))["fp16"] is True


def test_tune_evaluations_may_run_on_ray(tmp_path: Path) -> None:
    cfg, _ = load_tune_config(_write(tmp_path, "eval: {executor: ray, ray_address: 'ray://10.0.0.1:10001'}\n"))
    assert cfg.eval.executor == "ray" and cfg.eval.ray_address == "ray://10.0.0.1:10001"
    with pytest.raises(InputError, match="tune.yaml:4"):
        load_tune_config(_write(tmp_path, "eval: {executor: spark}\n"))
