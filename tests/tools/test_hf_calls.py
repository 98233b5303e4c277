"""The hf: target renders tools through the chat template and parses the calls the tiny model writes."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from gradeloop.demo.model import MICRO_CONFIG, build_tiny_model
from gradeloop.targets.base import Request, SamplingParams
from gradeloop.targets.hf import HFTarget

pytestmark = pytest.mark.slow
TOOLS = ({"type": "function", "function": {"name": "get_weather", "parameters": {
    "type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}},)
# A template that supports tools the way Qwen/Hermes ones do: tool names in a system turn, and an
# assistant turn's calls written as <tool_call>{"name", "arguments"}</tool_call>.
TEMPLATE = ("{{ bos_token }}{% if tools %}{{ '<|system|>Tools:' }}{% for t in tools %}"
            "{{ ' ' + t['function']['name'] }}{% endfor %}{{ '<|end|>' }}{% endif %}"
            "{% for message in messages %}{{ '<|' + message['role'] + '|>' + message['content'] }}"
            "{% if message.tool_calls %}{% for c in message.tool_calls %}"
            "{{ '<tool_call>' + (c.function | tojson) + '</tool_call>' }}{% endfor %}{% endif %}"
            "{{ '<|end|>' }}{% endfor %}{% if add_generation_prompt %}{{ '<|assistant|>' }}{% endif %}")
CALL = {"name": "get_weather", "arguments": {"city": "Paris"}}


@pytest.fixture(scope="module")
def tool_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The micro model with a tools template, taught (on one dialogue, until memorised) to call get_weather."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    src = build_tiny_model(tmp_path_factory.getbasetemp() / "micro-model", train_seconds=2.0, config=MICRO_CONFIG)
    dst = tmp_path_factory.mktemp("tool-model")
    shutil.copytree(src, dst, dirs_exist_ok=True)
    tok = AutoTokenizer.from_pretrained(dst)
    tok.chat_template = TEMPLATE
    model = AutoModelForCausalLM.from_pretrained(dst)
    user = [{"role": "user", "content": "Weather in Paris?"}]
    answer = [{"role": "assistant", "content": "", "tool_calls": [{"type": "function", "function": CALL}]}]
    prompt = tok.apply_chat_template(user, tools=list(TOOLS), tokenize=False, add_generation_prompt=True)
    full = tok.apply_chat_template(user + answer, tools=list(TOOLS), tokenize=False)
    ids = torch.tensor([tok(full, add_special_tokens=False)["input_ids"]])
    labels = ids.clone()
    labels[0, :len(tok(prompt, add_special_tokens=False)["input_ids"])] = -100
    torch.manual_seed(0)
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    model.train()
    for _ in range(150):
        loss = model(input_ids=ids, labels=labels).loss
        if loss.item() < 0.01:  # memorised (a deterministic step count for the fixed seed)
            break
        opt.zero_grad()
        loss.backward()
        opt.step()
    model.save_pretrained(dst)
    tok.save_pretrained(dst)
    return dst


def test_tools_rendered_through_the_chat_template(tool_model: Path) -> None:
    target = HFTarget(f"hf:{tool_model}")
    target.load()
    prompt = target._tokenizer.decode(target._prompt_ids("Weather in Paris?", TOOLS))
    assert "Tools: get_weather" in prompt
    assert "get_weather" not in target._tokenizer.decode(target._prompt_ids("Weather in Paris?"))


def test_template_without_tools_gets_them_in_a_system_message(tool_model: Path, tmp_path: Path) -> None:
    plain = tmp_path / "plain"
    shutil.copytree(tool_model, plain)
    config = json.loads((plain / "tokenizer_config.json").read_text())
    config["chat_template"] = "{% for m in messages %}{{ m['role'] + ': ' + m['content'] + '\\n' }}{% endfor %}"
    (plain / "tokenizer_config.json").write_text(json.dumps(config))
    for extra in plain.glob("chat_template.*"):
        extra.unlink()
    target = HFTarget(f"hf:{plain}")
    target.load()
    target._model.config.max_position_embeddings = 4096  # the micro model's 192 tokens cannot hold the schemas
    prompt = target._tokenizer.decode(target._prompt_ids("Weather in Paris?", TOOLS))
    assert prompt.startswith("system: You may call functions") and '"get_weather"' in prompt


def test_calls_the_tiny_model_writes_are_parsed(tool_model: Path) -> None:
    target = HFTarget(f"hf:{tool_model}")
    with_tools, without = target.generate_sync([
        Request("a", "Weather in Paris?", params=SamplingParams(max_tokens=120), tools=TOOLS),
        Request("b", "Weather in Paris?", params=SamplingParams(max_tokens=120))])
    assert with_tools.error is None and with_tools.output == ""
    assert [(c.name, dict(c.arguments or {}), c.error) for c in with_tools.tool_calls] == \
        [("get_weather", {"city": "Paris"}, None)]
    assert without.tool_calls == ()  # no tools declared: the text is the answer, never parsed
