"""The `hf:` target on a micro build of the tiny model: batching, seeds, logprobs, stops, adapters."""
from __future__ import annotations

import asyncio
import math
import shutil
from pathlib import Path

import pytest

from gradeloop.demo.model import MICRO_CONFIG, build_tiny_model
from gradeloop.errors import InputError
from gradeloop.targets.base import Request, SamplingParams, Target
from gradeloop.targets.hf import HFSpec, HFTarget, _logits_processor, parse_hf_spec, sample_seed

pytestmark = pytest.mark.slow
PROMPTS = ["How does account lockout work?", "Why was I locked out of the portal?",
           "Return the ticket as JSON: typo on the settings page",
           "Requests time out since the last deployment of the search service. What should we check?"]
GREEDY = SamplingParams(temperature=0.0, max_tokens=12)
HOT = SamplingParams(temperature=1.0, max_tokens=12)


@pytest.fixture(scope="module")
def micro(tmp_path_factory: pytest.TempPathFactory) -> Path:
    # same folder as tests/demo's fixture: the build is idempotent, so a session builds it once
    return build_tiny_model(tmp_path_factory.getbasetemp() / "micro-model", train_seconds=2.0, config=MICRO_CONFIG)


@pytest.fixture(scope="module")
def target(micro: Path) -> HFTarget:
    return HFTarget(f"hf:{micro}", batch_size=8)


def _outputs(target: HFTarget, requests: list[Request]) -> list[str | None]:
    return [g.output for g in target.generate_sync(requests)]


def test_spec_parsing() -> None:
    assert parse_hf_spec("hf:org/model") == HFSpec("org/model")
    assert parse_hf_spec("hf:./m+adapter=./a") == HFSpec("./m", "./a")
    assert parse_hf_spec("/abs/m") == HFSpec("/abs/m")
    assert parse_hf_spec("hf:m+adapter=a+device=cuda:1+dtype=bf16") == HFSpec("m", "a", "cuda:1", "bfloat16")
    assert parse_hf_spec("hf:m+device_map=auto").device_map == "auto"
    for bad in ("hf:", "hf:m+adapter=", "hf:m+speed=fast", "hf:m+dtype=int3", "hf:m+device=tpu",
                "hf:m+device_map=balanced", "hf:+device=cpu"):
        with pytest.raises(InputError):
            parse_hf_spec(bad)


def test_a_missing_model_is_bad_input_and_failed_generations(tmp_path: Path) -> None:
    target = HFTarget(f"hf:{tmp_path / 'nowhere'}")
    with pytest.raises(InputError, match="neither a folder nor a hub model"):
        target.fingerprint()
    gens = target.generate_sync([Request("a", "hi")])
    assert gens[0].output is None and "cannot load model" in gens[0].error


def test_left_padded_batches_give_the_same_greedy_output_as_one_at_a_time(target: HFTarget) -> None:
    requests = [Request(f"c{i}", p, params=GREEDY) for i, p in enumerate(PROMPTS)]
    batched = target.generate_sync(requests)
    alone = [target.generate_sync([r])[0] for r in requests]
    assert [g.output for g in batched] == [g.output for g in alone]
    assert all(g.error is None and g.output for g in batched)
    assert isinstance(target, Target)


def test_temperature_zero_is_the_models_own_greedy_decoding(target: HFTarget, micro: Path) -> None:
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tok, model = AutoTokenizer.from_pretrained(micro), AutoModelForCausalLM.from_pretrained(micro)
    ids = tok.apply_chat_template([{"role": "user", "content": PROMPTS[0]}], add_generation_prompt=True,
                                  return_tensors="pt")["input_ids"]
    ref = model.generate(ids, max_new_tokens=12, do_sample=False)[0, ids.shape[1]:]
    ref_text = tok.decode(ref[ref != tok.eos_token_id], skip_special_tokens=True)
    assert _outputs(target, [Request("c", PROMPTS[0], params=GREEDY)]) == [ref_text]


def test_samples_are_reproducible_and_independent_of_batch_composition(target: HFTarget) -> None:
    mine = [Request("case-a", PROMPTS[0], sample_index=k, seed=7, params=HOT) for k in range(4)]
    others = [Request(f"x{i}", p, seed=7, params=HOT) for i, p in enumerate(PROMPTS)]
    alone = _outputs(target, mine)
    mixed = _outputs(target, others[:2] + mine[::-1] + others[2:])[2:6][::-1]
    one_by_one = [_outputs(target, [r])[0] for r in mine]
    assert alone == mixed == one_by_one
    assert len(set(alone)) > 1  # sample indices draw different samples
    reseeded = _outputs(target, [Request("case-a", PROMPTS[0], sample_index=k, seed=8, params=HOT) for k in range(4)])
    assert reseeded != alone


def test_logprobs_one_per_generated_token_and_usage(target: HFTarget) -> None:
    gens = target.generate_sync([Request("c", p, params=HOT, seed=1) for p in PROMPTS])
    for gen in gens:  # a sampled answer may end at once (eos first): then no tokens and no log-probs
        assert gen.logprobs is not None and len(gen.logprobs) == gen.usage["completion_tokens"]
        assert all(lp <= 0 and math.isfinite(lp) for lp in gen.logprobs)
        assert gen.usage["prompt_tokens"] > 5 and gen.latency_s > 0
    assert sum(gen.usage["completion_tokens"] for gen in gens) > 0


def test_logprobs_are_the_models_log_probabilities_of_the_chosen_tokens(target: HFTarget) -> None:
    import torch

    model, tok = target.load()
    gen = target.generate_sync([Request("c", PROMPTS[1], params=GREEDY)])[0]
    prompt = tok.apply_chat_template([{"role": "user", "content": PROMPTS[1]}], add_generation_prompt=True,
                                     return_tensors="pt")["input_ids"]
    tokens = model.generate(prompt, max_new_tokens=12, do_sample=False)[0, prompt.shape[1]:]
    tokens = tokens[: len(gen.logprobs)]  # the reference's tokens up to the end-of-sequence token
    with torch.no_grad():
        logits = model(torch.cat([prompt[0], tokens])[None]).logits[0, prompt.shape[1] - 1 : -1]
    forced = logits.log_softmax(-1).gather(-1, tokens[:, None]).squeeze(-1)
    assert torch.allclose(forced, torch.tensor(gen.logprobs), atol=1e-4)


def test_stop_sequences_truncate_text_and_logprobs(target: HFTarget) -> None:
    full = target.generate_sync([Request("c", PROMPTS[0], params=GREEDY)])[0]
    stop = full.output[len(full.output) // 2:][:3]
    cut = target.generate_sync([Request("c", PROMPTS[0], params=SamplingParams(max_tokens=12, stop=(stop,)))])[0]
    assert cut.output == full.output[: full.output.find(stop)]
    assert len(cut.logprobs) == cut.usage["completion_tokens"] < full.usage["completion_tokens"]
    assert cut.logprobs == full.logprobs[: len(cut.logprobs)]


def test_bad_inputs_fail_only_their_own_sample(target: HFTarget) -> None:
    gens = target.generate_sync([Request("ok", PROMPTS[0], params=GREEDY), Request("bad", 42, params=GREEDY),
                                 Request("long", "word " * 400, params=GREEDY)])
    assert gens[0].output and gens[0].error is None
    assert gens[1].output is None and "bad input" in gens[1].error
    assert gens[2].output is None and "context" in gens[2].error


def test_chat_messages_and_async_generate(target: HFTarget) -> None:
    chat = ({"role": "system", "content": "You are a support assistant."}, {"role": "user", "content": PROMPTS[0]})
    gens = asyncio.run(target.generate([Request("chat", chat, params=GREEDY), Request("s", PROMPTS[0], params=GREEDY)]))
    assert all(g.error is None and g.output for g in gens)
    assert gens[0].usage["prompt_tokens"] > gens[1].usage["prompt_tokens"]


def test_fingerprint_tracks_weights_and_settings(target: HFTarget, micro: Path, tmp_path: Path) -> None:
    assert target.fingerprint() == HFTarget(f"hf:{micro}").fingerprint()
    assert target.fingerprint() != HFTarget(f"hf:{micro}", SamplingParams(temperature=1.0)).fingerprint()
    copy = Path(shutil.copytree(micro, tmp_path / "copy"))
    assert HFTarget(f"hf:{copy}").fingerprint() == target.fingerprint()  # identity is content, not place
    data = bytearray((copy / "model.safetensors").read_bytes())
    data[-1] ^= 1
    (copy / "model.safetensors").write_bytes(bytes(data))
    assert HFTarget(f"hf:{copy}").fingerprint() != target.fingerprint()


def test_lora_adapter_loads_and_changes_fingerprint(target: HFTarget, micro: Path, tmp_path: Path) -> None:
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    torch.manual_seed(0)
    base = AutoModelForCausalLM.from_pretrained(micro)
    lora = get_peft_model(base, LoraConfig(r=4, lora_alpha=64, target_modules=["q_proj", "v_proj"],
                                           init_lora_weights=False))  # random B: the adapter changes outputs
    lora.save_pretrained(tmp_path / "adapter")
    adapted = HFTarget(f"hf:{micro}+adapter={tmp_path / 'adapter'}", batch_size=8)
    requests = [Request(f"c{i}", p, params=GREEDY) for i, p in enumerate(PROMPTS)]
    outputs = _outputs(adapted, requests)
    assert all(outputs) and outputs != _outputs(target, requests)
    from peft import PeftModel

    assert isinstance(adapted.load()[0], PeftModel)
    assert adapted.fingerprint() != target.fingerprint()


def test_gumbel_sampler_draws_from_softmax_with_top_p() -> None:
    import torch

    logits = torch.tensor([[2.0, 1.0, 0.0, -1.0]]).repeat(4000, 1)
    picks = _logits_processor(list(range(4000)), [0.7] * 4000, [1.0] * 4000)(None, logits).argmax(-1)
    freq = torch.bincount(picks, minlength=4).float() / 4000
    expected = torch.softmax(logits[0] / 0.7, -1)
    assert torch.allclose(freq, expected, atol=0.03)
    nucleus = _logits_processor(list(range(500)), [1.0] * 500, [0.5] * 500)(torch.zeros(500, 1, dtype=torch.long),
                                                                          logits[:500]).argmax(-1)
    assert set(nucleus.tolist()) == {0}  # softmax(2,1,0,-1)[0] = 0.64 > top_p alone
    greedy = _logits_processor([None], [0.0], [1.0])(None, logits[:1]).argmax(-1)
    assert greedy.tolist() == [0]


def test_sampled_outputs_do_not_depend_on_batch_size(micro: Path) -> None:
    requests = [Request(f"c{i % 4}", PROMPTS[i % 4], sample_index=i // 4, seed=3, params=HOT) for i in range(64)]
    by_size = {size: _outputs(HFTarget(f"hf:{micro}", batch_size=size), requests) for size in (7, 64)}
    one_by_one = _outputs(HFTarget(f"hf:{micro}", batch_size=1), requests[::5])  # 13 rows, alone each
    assert by_size[7] == by_size[64] and one_by_one == by_size[64][::5]
    assert len(set(by_size[64])) > 8


def test_gumbel_noise_is_uniform_through_the_hash_and_row_independent() -> None:
    import torch
    from scipy import stats

    from gradeloop.targets.hf import gumbel_noise

    seeds = torch.tensor([5, 2**62 + 11, 5], dtype=torch.int64)
    noise = gumbel_noise(seeds, step=3, vocab=20000)
    assert torch.equal(noise[0], noise[2]) and not torch.equal(noise[0], noise[1])
    assert not torch.equal(noise[0], gumbel_noise(seeds[:1], step=4, vocab=20000)[0])
    uniform = torch.exp(-torch.exp(-noise[:2].flatten())).double().numpy()  # Gumbel CDF back to U(0, 1)
    assert stats.kstest(uniform, "uniform").pvalue > 0.001


def test_placement_resolves_auto_to_this_machine_and_enters_the_fingerprint(micro: Path) -> None:
    from gradeloop.devices import resolve

    target = HFTarget(f"hf:{micro}")
    model, _ = target.load()
    assert str(model.device) == resolve().device and str(model.dtype) == f"torch.{resolve().dtype}"
    assert target.fingerprint() != HFTarget(f"hf:{micro}+dtype=bfloat16").fingerprint()
    half = HFTarget(f"hf:{micro}+device=cpu+dtype=bfloat16", batch_size=4)
    gen = half.generate_sync([Request("c", PROMPTS[0], params=GREEDY)])[0]
    assert gen.error is None and gen.output and str(half.load()[0].dtype) == "torch.bfloat16"


def test_memory_aware_batch_size() -> None:
    from gradeloop.targets.hf import memory_batch_size, row_bytes

    llama8b = {"num_hidden_layers": 32, "num_attention_heads": 32, "num_key_value_heads": 8, "hidden_size": 4096,
               "max_position_embeddings": 131072, "vocab_size": 128256}
    per_row = row_bytes(llama8b, dtype_bytes=2)
    assert per_row == 2 * 32 * 8 * 128 * 4096 * 2 + 8 * 128256 * 4  # KV cache capped at 4,096 tokens
    assert memory_batch_size(80 * 2**30, per_row, cap=256) == 40 * 2**30 // per_row
    assert memory_batch_size(10**6, per_row, cap=256) == 1 and memory_batch_size(2**50, per_row, cap=256) == 256


def test_sample_seed_depends_on_seed_case_and_index_only() -> None:
    assert sample_seed(1, "a", 0) == sample_seed(1, "a", 0)
    assert len({sample_seed(1, "a", 0), sample_seed(2, "a", 0), sample_seed(1, "b", 0), sample_seed(1, "a", 1)}) == 4
    assert sample_seed(None, "a", 0) == sample_seed(0, "a", 0)
