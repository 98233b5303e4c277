"""The embedded tiny model: saved and loaded through the Auto classes, idempotent, deterministic."""
from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from gradeloop.demo.model import (MANIFEST, MICRO_CONFIG, build_tiny_model, default_model_dir, read_manifest,
                                  steps_for)

pytestmark = pytest.mark.slow


def _weights_digest(folder: Path) -> str:
    return hashlib.sha256((folder / "model.safetensors").read_bytes()).hexdigest()


def test_micro_build_loads_through_auto_classes_with_chat_template(micro_model: Path) -> None:
    from transformers import AutoModelForCausalLM, AutoTokenizer

    for name in ("config.json", "model.safetensors", "tokenizer.json", "chat_template.jinja", MANIFEST):
        assert (micro_model / name).is_file(), name
    tokenizer = AutoTokenizer.from_pretrained(micro_model)
    model = AutoModelForCausalLM.from_pretrained(micro_model)
    text = tokenizer.apply_chat_template([{"role": "system", "content": "Be brief."},
                                          {"role": "user", "content": "How does account lockout work?"}],
                                         tokenize=False, add_generation_prompt=True)
    assert text == "<|bos|><|system|>Be brief.<|end|><|user|>How does account lockout work?<|end|><|assistant|>"
    assert tokenizer.eos_token == "<|end|>" and tokenizer.padding_side == "left"
    ids = tokenizer(text, add_special_tokens=False, return_tensors="pt")["input_ids"]
    assert tokenizer.decode(ids[0]) == text  # byte-level BPE round-trips
    out = model.generate(ids, max_new_tokens=4, do_sample=False)
    assert out.shape[1] > ids.shape[1]
    manifest = read_manifest(micro_model)
    assert manifest["seed"] == 0 and manifest["steps"] == steps_for(2.0, MICRO_CONFIG)
    assert manifest["params"] == sum(p.numel() for p in model.parameters())
    assert 0 < manifest["final_loss"] < manifest["loss_curve"][0]


def test_build_is_idempotent_unless_forced(tmp_path: Path) -> None:
    out = tmp_path / "m"
    build_tiny_model(out, train_seconds=0.2, config=MICRO_CONFIG)
    stamp = (out / "model.safetensors").stat().st_mtime_ns
    assert build_tiny_model(out, train_seconds=0.2, config=MICRO_CONFIG) == out
    assert (out / "model.safetensors").stat().st_mtime_ns == stamp
    build_tiny_model(out, train_seconds=0.2, config=MICRO_CONFIG, force=True)
    assert (out / "model.safetensors").stat().st_mtime_ns != stamp
    build_tiny_model(out, seed=1, train_seconds=0.2, config=MICRO_CONFIG)  # another seed is another model
    assert read_manifest(out)["seed"] == 1
    assert sorted(p.name for p in tmp_path.iterdir() if not p.name.endswith(".lock")) == ["m"]  # no temp left


def test_same_seed_same_weights_other_seed_other_weights(tmp_path: Path) -> None:
    a = build_tiny_model(tmp_path / "a", seed=5, train_seconds=0.3, config=MICRO_CONFIG)
    b = build_tiny_model(tmp_path / "b", seed=5, train_seconds=0.3, config=MICRO_CONFIG)
    c = build_tiny_model(tmp_path / "c", seed=6, train_seconds=0.3, config=MICRO_CONFIG)
    assert _weights_digest(a) == _weights_digest(b) != _weights_digest(c)
    assert (a / "tokenizer.json").read_bytes() == (b / "tokenizer.json").read_bytes()


def test_a_corrupt_manifest_means_rebuild(tmp_path: Path) -> None:
    out = build_tiny_model(tmp_path / "m", train_seconds=0.2, config=MICRO_CONFIG)
    (out / MANIFEST).write_text("{not json")
    build_tiny_model(out, train_seconds=0.2, config=MICRO_CONFIG)
    assert read_manifest(out)["schema"] == "gradeloop.tiny-model/v1"


def test_step_budget_and_default_location() -> None:
    assert steps_for(60) == 150 and steps_for(0.0, MICRO_CONFIG) == MICRO_CONFIG.min_steps
    assert default_model_dir() == Path(".gradeloop") / "models" / "tiny-support"
    assert not os.path.isabs(default_model_dir())


def test_thread_count_does_not_change_the_weights(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import gradeloop.demo.model as model_module

    digests = []
    for threads in (1, 2):
        monkeypatch.setattr(model_module, "train_threads", lambda config, n=threads: n)
        built = build_tiny_model(tmp_path / f"t{threads}", seed=3, train_seconds=0.3, config=MICRO_CONFIG)
        assert read_manifest(built)["threads"] == threads
        digests.append(_weights_digest(built))
    assert digests[0] == digests[1]


def test_chat_template_renders_tools_and_calls_as_the_hf_target_reads_them(micro_model: Path) -> None:
    """Tools go through the model's own template (not the fallback system prompt), compact enough for
    a 256-token context; a transcript's calls, plain or in OpenAI's wire form, come back as <tool_call>."""
    from transformers import AutoTokenizer

    from gradeloop.demo.corpus import tool_call_text
    from gradeloop.demo.topics import TOOLS
    from gradeloop.targets.hf import render_prompt
    from gradeloop.tools.text import parse_text_calls

    tokenizer = AutoTokenizer.from_pretrained(micro_model)
    prompt = render_prompt(tokenizer, "Where is my order A-1042?", TOOLS)
    assert prompt == ("<|bos|><|tools|>lookup_order(order_id) create_ticket(severity, component)<|end|>"
                      "<|user|>Where is my order A-1042?<|end|><|assistant|>")
    assert render_prompt(tokenizer, "Hi") == "<|bos|><|user|>Hi<|end|><|assistant|>"  # no tools: as before
    call = {"name": "lookup_order", "arguments": {"order_id": "A-1042"}}
    wire = {"id": "c1", "type": "function", "function": {"name": "lookup_order", "arguments": '{"order_id": "A-1042"}'}}
    for form in (call, wire):
        text = tokenizer.apply_chat_template([{"role": "user", "content": "x"},
                                              {"role": "assistant", "content": None, "tool_calls": [form]},
                                              {"role": "tool", "content": "shipped", "tool_call_id": "c1"}],
                                             tokenize=False)
        turn = text.split("<|assistant|>")[1].split("<|end|>")[0]
        assert turn == tool_call_text("lookup_order", {"order_id": "A-1042"})
        assert parse_text_calls(turn)[1][0].arguments == {"order_id": "A-1042"}
        assert text.endswith("<|tool|>shipped<|end|>")
