"""The demo's eval speed: its small model generates in wide batches, with the same outputs."""
from __future__ import annotations

from pathlib import Path

import pytest

from gradeloop.targets.hf import DEFAULT_BATCH, SMALL_MODEL_BATCH, HFTarget

pytestmark = pytest.mark.slow


def test_a_small_model_is_evaluated_in_wide_batches_unless_told_otherwise(micro_model: Path,
                                                                           tmp_path: Path) -> None:
    assert HFTarget(f"hf:{micro_model}").batch_size == SMALL_MODEL_BATCH > DEFAULT_BATCH
    assert HFTarget(f"hf:{micro_model}", batch_size=8).batch_size == 8
    big = tmp_path / "big"
    big.mkdir()
    with open(big / "model.safetensors", "wb") as handle:  # sparse: 300 MB of weights on paper
        handle.truncate(300 * 2**20)
    assert HFTarget(f"hf:{big}").batch_size == DEFAULT_BATCH
    assert HFTarget(f"hf:{tmp_path / 'nowhere'}").batch_size == DEFAULT_BATCH  # the load reports it


def test_batch_width_does_not_change_sampled_outputs(micro_model: Path) -> None:
    from gradeloop.targets import Request, SamplingParams

    params = SamplingParams(temperature=1.0, max_tokens=12)
    requests = [Request(f"c{i}", text, sample_index=k, seed=3, params=params)
                for i, text in enumerate(["How does account lockout work?", "What makes a strong password?",
                                          "JSON only. Ticket: typo on the settings page"]) for k in range(3)]
    wide = HFTarget(f"hf:{micro_model}").generate_sync(requests)
    narrow = HFTarget(f"hf:{micro_model}", batch_size=2).generate_sync(requests)
    assert [g.output for g in wide] == [g.output for g in narrow]
    assert all(g.error is None for g in wide)
