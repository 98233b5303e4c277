"""Byte-level BPE tokenizer with a chat template for the embedded tiny model.

Trained with the `tokenizers` library and wrapped as a transformers fast tokenizer, so it saves
and loads through `AutoTokenizer` and `apply_chat_template` like any hub model's.
"""
from __future__ import annotations

from typing import Any, Iterable, Mapping

from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
from transformers import PreTrainedTokenizerFast

PAD, BOS, END = "<|pad|>", "<|bos|>", "<|end|>"
ROLE_TOKENS = ("<|system|>", "<|user|>", "<|assistant|>", "<|tool|>")
TOOLS_TOKEN = "<|tools|>"
SPECIAL_TOKENS = (PAD, BOS, END, *ROLE_TOKENS, TOOLS_TOKEN)

# Every turn is `<|role|>content<|end|>`; the generation prompt opens an assistant turn, and the
# model ends its answer with <|end|> (the eos token), which stops generation. Declared tools come
# first, as one compact turn of signatures (`<|tools|>lookup_order(order_id) ...<|end|>`: a 256-token
# context has no room for JSON schemas); the model calls one by writing a Hermes
# `<tool_call>{"name": ..., "arguments": {...}}</tool_call>` block, and a transcript's assistant
# `tool_calls` (plain or OpenAI wire form) are rendered back in that form.
CHAT_TEMPLATE = (
    "{{ bos_token }}"
    "{% if tools %}{{ '<|tools|>' }}{% for tool in tools %}"
    "{% set f = tool['function'] if tool['function'] is defined else tool %}"
    "{% set props = f['parameters']['properties'] if f['parameters'] is defined "
    "and f['parameters']['properties'] is defined else {} %}"
    "{{ f['name'] + '(' + (props | list | join(', ')) + ')' }}{% if not loop.last %}{{ ' ' }}{% endif %}"
    "{% endfor %}{{ '<|end|>' }}{% endif %}"
    "{% for message in messages %}"
    "{{ '<|' + message['role'] + '|>' + (message['content'] or '') }}"
    "{% if message['tool_calls'] is defined and message['tool_calls'] %}{% for call in message['tool_calls'] %}"
    "{% set c = call['function'] if call['function'] is defined else call %}"
    "{% if c['arguments'] is string %}"
    "{{ '<tool_call>{\"name\": ' + (c['name'] | tojson) + ', \"arguments\": ' + c['arguments'] + '}</tool_call>' }}"
    "{% else %}{{ '<tool_call>' + ({'name': c['name'], 'arguments': c['arguments']} | tojson) + '</tool_call>' }}"
    "{% endif %}{% endfor %}{% endif %}"
    "{{ '<|end|>' }}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|assistant|>' }}{% endif %}"
)


def tools_text(tools: Iterable[Mapping[str, Any]]) -> str:
    """The signatures line the chat template writes for `tools` (tokenizer training sees it too)."""
    out = []
    for tool in tools:
        f = tool.get("function", tool)
        out.append(f"{f['name']}({', '.join(f.get('parameters', {}).get('properties', {}))})")
    return " ".join(out)


def train_tokenizer(texts: Iterable[str], vocab_size: int, max_length: int = 512) -> PreTrainedTokenizerFast:
    """Train a byte-level BPE on `texts` (deterministic for the same texts and size)."""
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, min_frequency=2, show_progress=False,
                                  special_tokens=list(SPECIAL_TOKENS),
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    tok.train_from_iterator(texts, trainer=trainer)
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, bos_token=BOS, eos_token=END, pad_token=PAD,
                                   padding_side="left", model_max_length=max_length)
    fast.chat_template = CHAT_TEMPLATE
    return fast
