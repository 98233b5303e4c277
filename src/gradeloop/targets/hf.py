"""`hf:PATH_OR_ID[+adapter=PATH]` — a local transformers causal LM, optionally with a PEFT adapter.

Generation is batched with left padding. Sampling is reproducible per sample and independent of
how requests are batched: Gumbel noise drawn from a counter-based hash of (sample seed, step,
token id) is added to logits/T before an argmax, which is an exact sample from softmax(logits/T)
(after top-p), vectorised over the batch on the model's device. Decoding is always ours (greedy or that sampler); of a model's own generation defaults
only its end-of-sequence tokens are kept, so sampling settings mean the same for every model.

Tools: a request's tool schemas go through the chat template (`apply_chat_template(tools=...)`);
a template that does not mention tools gets them as a Hermes-style system message instead. The
calls the model writes (`<tool_call>{...}</tool_call>` blocks, or a bare JSON call) become
`tool_calls`, and the text outside them the output.
"""
from __future__ import annotations

import asyncio
import hashlib
import json
import os
import re
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Sequence

from gradeloop.errors import InputError
from gradeloop.targets.base import Generation, Request, SamplingParams
from gradeloop.targets.sampler import _logits_processor, gumbel_noise, token_hashes  # noqa: F401 (re-exported)
from gradeloop.tools.calls import ToolCall
from gradeloop.tools.text import parse_text_calls

if TYPE_CHECKING:
    from gradeloop.devices import Placement

DECODER_VERSION = "gumbel-v2"  # part of the fingerprint: changing the sampler changes outputs
_HUB_FILES = ["*.json", "*.safetensors", "*.jinja", "*.txt", "*.model", "*.tiktoken", "tokenizer*"]
_CONTENT_HASH_LIMIT = 64 * 2**20  # bigger weight files are identified by blob name or size+mtime
# CPU batch sizes: a small model's KV cache is tiny, so a wide batch amortises the per-token Python
# overhead of generate() (demo eval, 324 samples of a 2M-parameter model on CPU: 4.6 s at 16, 2.9 s at 64).
SMALL_MODEL_BYTES = 256 * 2**20
SMALL_MODEL_BATCH, DEFAULT_BATCH = 64, 16


_OPTIONS = ("adapter", "device", "dtype", "device_map")


@dataclass(frozen=True, slots=True)
class HFSpec:
    """The parts of an `hf:` spec: a model folder or hub id, an optional adapter, where and how it runs.

    `device` (auto|cpu|cuda|cuda:N|mps) and `dtype` (auto|float32|bfloat16|float16) resolve through
    `gradeloop.devices`; `device_map=auto` spreads a model too big for one device over all of them.
    """

    model: str
    adapter: str | None = None
    device: str = "auto"
    dtype: str = "auto"
    device_map: str | None = None


def parse_hf_spec(spec: str) -> HFSpec:
    """Split `hf:MODEL[+adapter=PATH][+device=D][+dtype=T][+device_map=auto]` (the `hf:` prefix is optional)."""
    from gradeloop.devices import check_device, check_dtype

    rest = spec[3:] if spec.startswith("hf:") else spec
    usage = "expected hf:PATH_OR_ID[+adapter=PATH][+device=auto|cpu|cuda:N|mps][+dtype=auto|float32|bfloat16|float16]"
    parts = re.split(r"\+(\w+)=", rest)
    model, options = parts[0], dict(zip(parts[1::2], parts[2::2]))
    if not model or len(options) != len(parts[1::2]):
        raise InputError(f"{usage}, got {spec!r}", field="target")
    for key, value in options.items():
        if key not in _OPTIONS:
            raise InputError(f"unknown hf: option {key!r} in {spec!r}; options: "
                             + ", ".join(f"+{o}=" for o in _OPTIONS), field="target")
        if not value.strip():
            raise InputError(f"{usage}, got {spec!r} (empty {key})", field="target")
    if options.get("device_map", "auto") != "auto":
        raise InputError(f"device_map must be 'auto', got {options['device_map']!r}", field="target")
    return HFSpec(model, options.get("adapter"), check_device(options.get("device", "auto")),
                  check_dtype(options.get("dtype", "auto")), options.get("device_map"))


def resolve_model_dir(name: str) -> Path:
    """A local folder as is; a hub id through the HF cache (HF_HUB_OFFLINE=1 means cache only)."""
    path = Path(name).expanduser()
    if path.exists():
        if not path.is_dir():
            raise InputError(f"model path {name!r} is not a folder", field="target")
        return path
    from huggingface_hub import snapshot_download

    offline = os.environ.get("HF_HUB_OFFLINE", "").lower() in {"1", "true", "yes", "on"}
    try:
        return Path(snapshot_download(repo_id=name, allow_patterns=_HUB_FILES, local_files_only=offline))
    except Exception as exc:  # missing folder, unknown repo, offline cache miss: all bad input
        hint = " (HF_HUB_OFFLINE=1: only cached models)" if offline else ""
        raise InputError(f"model {name!r} is neither a folder nor a hub model{hint}: {type(exc).__name__}",
                         field="target") from None


def _file_identity(path: Path) -> str:
    """Content hash for small files; for big ones the HF blob name (a sha256) or size+mtime."""
    stat = path.stat()
    if stat.st_size <= _CONTENT_HASH_LIMIT:
        h = hashlib.sha256()
        with open(path, "rb") as handle:
            for chunk in iter(lambda: handle.read(1 << 20), b""):
                h.update(chunk)
        return h.hexdigest()
    blob = path.resolve().name
    return blob if re.fullmatch(r"[0-9a-f]{64}", blob) else f"{stat.st_size}:{stat.st_mtime_ns}"


def folder_fingerprint(folder: Path) -> str:
    """Hash of the files that decide a model's outputs: configs, tokenizer, template, weights."""
    h = hashlib.sha256()
    for path in sorted(p for p in Path(folder).iterdir() if p.is_file()):
        if path.suffix in {".json", ".jinja", ".safetensors", ".bin", ".model", ".txt", ".tiktoken"} \
                and path.name != "gradeloop-model.json":
            h.update(f"{path.name}\0{_file_identity(path)}\n".encode())
    return h.hexdigest()


def sample_seed(seed: int | None, case_id: str, sample_index: int) -> int:
    """The seed of one sample, from (run seed, case, sample index) only, never its batch."""
    key = f"{0 if seed is None else seed}\x1f{case_id}\x1f{sample_index}".encode()
    return int.from_bytes(hashlib.sha256(key).digest()[:8], "big") & (2**63 - 1)


def placement_of(spec: HFSpec) -> "Placement":
    """Where the spec's model runs and in what precision (`auto` resolved on this machine)."""
    from gradeloop.devices import resolve

    return resolve(spec.device, spec.dtype)


def load_model_and_tokenizer(spec: str | HFSpec, *, adapter_trainable: bool = False) -> tuple[Any, Any]:
    """Load model (+ adapter) and tokenizer for a spec, on its device and dtype, ready for
    batched left-padded generation (or, with `adapter_trainable`, for LoRA training)."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    parsed = parse_hf_spec(spec) if isinstance(spec, str) else spec
    place = placement_of(parsed)
    folder = resolve_model_dir(parsed.model)
    extra: dict[str, Any] = {"device_map": "auto"} if parsed.device_map else {}
    try:
        tokenizer = AutoTokenizer.from_pretrained(folder)
        model = AutoModelForCausalLM.from_pretrained(folder, dtype=place.torch_dtype(), **extra)
    except (OSError, ValueError) as exc:
        raise InputError(f"cannot load model from {str(folder)!r}: {exc}", field="target") from None
    tokenizer.padding_side = "left"
    if tokenizer.pad_token_id is None:
        tokenizer.pad_token = tokenizer.eos_token
    if parsed.adapter:
        from peft import PeftModel

        adapter_dir = resolve_model_dir(parsed.adapter)
        try:
            model = PeftModel.from_pretrained(model, adapter_dir, is_trainable=adapter_trainable)
        except (OSError, ValueError) as exc:
            raise InputError(f"cannot load adapter from {str(adapter_dir)!r}: {exc}", field="target") from None
    if not parsed.device_map:  # with a device map, accelerate has placed the layers already
        model.to(place.device)
    if not adapter_trainable:
        model.eval()
    return model, tokenizer


def _truncate_at_stop(tokenizer: Any, tokens: list[int], text: str, stops: Sequence[str]) -> tuple[str, int]:
    """Cut the text before the first stop string; returns it and how many tokens produced it."""
    cuts = [i for i in (text.find(s) for s in stops if s) if i >= 0]
    if not cuts:
        return text, len(tokens)
    cut = min(cuts)
    for k in range(len(tokens) + 1):
        if len(tokenizer.decode(tokens[:k], skip_special_tokens=True)) >= cut:
            return text[:cut], k
    return text[:cut], len(tokens)


def row_bytes(config: dict[str, Any], dtype_bytes: int, context_cap: int = 4096) -> int:
    """Memory one batch row needs while generating: its KV cache over the model's context (capped)
    plus the sampler's float32 working copies of one row of logits."""
    layers = int(config.get("num_hidden_layers") or config.get("n_layer") or 32)
    heads = int(config.get("num_attention_heads") or config.get("n_head") or 32)
    kv_heads = int(config.get("num_key_value_heads") or heads)
    hidden = int(config.get("hidden_size") or config.get("n_embd") or 4096)
    head_dim = int(config.get("head_dim") or hidden // heads)
    context = min(int(config.get("max_position_embeddings") or context_cap), context_cap)
    vocab = int(config.get("vocab_size") or 32000)
    return 2 * layers * kv_heads * head_dim * context * dtype_bytes + 8 * vocab * 4


def memory_batch_size(free_bytes: int, per_row: int, cap: int) -> int:
    """Rows that fit in half the free memory, between 1 and `cap`."""
    return max(1, min(cap, free_bytes // 2 // max(per_row, 1)))


def _free_bytes(device: str, weights: int) -> int:
    """Free memory on the device the model will run on, less the weights not loaded yet."""
    import torch

    if device.startswith("cuda"):
        free = torch.cuda.mem_get_info(torch.device(device))[0]
    else:
        free = os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    return max(0, free - weights)


def default_batch_size(spec: HFSpec) -> int:
    """Rows per batch from the model's size and the free memory of its device.

    On the CPU compute, not memory, is the limit: 64 rows for models under 256 MB, 16 above
    (measured: demo eval 4.6 s at 16 vs 2.9 s at 64). On an accelerator: as many rows (up to 256)
    as half the free memory holds, at the model's KV-cache size per row.
    """
    try:
        folder = resolve_model_dir(spec.model)
        place = placement_of(spec)
    except InputError:  # reported when the model loads; batching cannot make it worse
        return DEFAULT_BATCH
    weights = sum(f.stat().st_size for f in folder.iterdir() if f.suffix in (".safetensors", ".bin"))
    cap = 256 if place.kind != "cpu" else SMALL_MODEL_BATCH if 0 < weights < SMALL_MODEL_BYTES else DEFAULT_BATCH
    try:
        config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return min(cap, DEFAULT_BATCH)
    dtype_bytes = 4 if place.dtype == "float32" else 2
    return memory_batch_size(_free_bytes(place.device, weights), row_bytes(config, dtype_bytes), cap)


def _template_message(m: Any) -> dict[str, Any]:
    """A chat message for a chat template: role and content, plus a transcript's tool calls and ids."""
    out: dict[str, Any] = {"role": str(m["role"]), "content": str(m.get("content") or "")}
    for key in ("tool_calls", "tool_call_id", "name"):
        if m.get(key) is not None:
            out[key] = m[key]
    return out


TOOL_PROMPT = ("You may call functions. The available tools, as JSON schemas:\n<tools>\n{tools}\n</tools>\n"
               "To call one, answer with <tool_call>{{\"name\": <function name>, \"arguments\": <JSON object>}}"
               "</tool_call>, one block per call.")


def tool_system_prompt(tools: Sequence[Any], messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The Hermes-style tool description as (the start of) the system message, for templates without tools."""
    text = TOOL_PROMPT.format(tools="\n".join(json.dumps(dict(t)) for t in tools))
    if messages and messages[0]["role"] == "system":
        return [{**messages[0], "content": f"{messages[0]['content']}\n\n{text}"}, *messages[1:]]
    return [{"role": "system", "content": text}, *messages]


def render_prompt(tokenizer: Any, value: Any, tools: Sequence[Any] = ()) -> str | None:
    """The text the tokenizer's chat template makes of an input and its tools (None: no template).

    The one rendering of prompts: generation uses it, and tuning renders tool cases' prompts with it
    so a trained model sees the tools exactly as evaluation shows them.
    """
    if isinstance(value, str):
        messages = [{"role": "user", "content": value}]
    elif isinstance(value, (list, tuple)) and value and all(isinstance(m, dict) or hasattr(m, "get") for m in value):
        messages = [_template_message(m) for m in value]
    else:
        raise ValueError(f"input must be a string or chat messages, got {type(value).__name__}")
    template = getattr(tokenizer, "chat_template", None)
    if not template:
        return None
    if tools and not (isinstance(template, str) and "tools" in template):
        messages = tool_system_prompt(tools, messages)  # a template that cannot show tools: say them
        tools = ()
    return tokenizer.apply_chat_template(messages, tools=[dict(t) for t in tools] or None, tokenize=False,
                                         add_generation_prompt=True)


class HFTarget:
    """A local transformers model as a target; loads lazily, generates in left-padded batches.

    Each Request carries its own sampling settings; `params` (the run's) only enter the fingerprint.
    A sample's `latency_s` is its share of its batch's wall time. Without `batch_size`, the batch
    follows the model's size (`default_batch_size`); outputs never depend on it.
    """

    cacheable = True

    def __init__(self, spec: str, params: SamplingParams | None = None, *, batch_size: int | None = None) -> None:
        self.spec = spec if spec.startswith("hf:") else f"hf:{spec}"
        self.hf = parse_hf_spec(self.spec)
        self.params = params or SamplingParams()
        self._batch_size = batch_size
        self._model: Any = None
        self._tokenizer: Any = None
        self._fingerprint: str | None = None
        self._lock = threading.Lock()

    @property
    def batch_size(self) -> int:
        """Rows per generate() call (the run engine schedules chunks of this size)."""
        if self._batch_size is None:
            self._batch_size = default_batch_size(self.hf)
        return self._batch_size

    @batch_size.setter
    def batch_size(self, value: int) -> None:
        self._batch_size = value

    @classmethod
    def from_spec(cls, spec: str, params: SamplingParams | None = None, **options: Any) -> "HFTarget":
        return cls(spec, params, **options)

    def fingerprint(self) -> str:
        """Model files + adapter files + decoder version + default sampling settings."""
        if self._fingerprint is None:
            place = placement_of(self.hf)  # numerics differ by device kind and precision
            parts = {"model": folder_fingerprint(resolve_model_dir(self.hf.model)), "decoder": DECODER_VERSION,
                     "params": self.params.as_dict(), "device": place.kind, "dtype": place.dtype}
            if self.hf.adapter:
                parts["adapter"] = folder_fingerprint(resolve_model_dir(self.hf.adapter))
            digest = hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()
            self._fingerprint = f"hf-{digest[:24]}"
        return self._fingerprint

    def load(self) -> tuple[Any, Any]:
        """Model and tokenizer, loaded on first use."""
        with self._lock:
            if self._model is None:
                self._model, self._tokenizer = load_model_and_tokenizer(self.hf)
            return self._model, self._tokenizer

    async def generate(self, requests: Sequence[Request]) -> list[Generation]:
        return await asyncio.to_thread(self.generate_sync, requests)

    def generate_sync(self, requests: Sequence[Request]) -> list[Generation]:
        """Blocking generation: one Generation per request, in order, never raising."""
        try:
            self.load()
        except InputError as exc:
            return [Generation(output=None, error=f"cannot load model: {exc}") for _ in requests]
        results: list[Generation | None] = [None] * len(requests)
        rows: list[tuple[int, list[int]]] = []
        for i, req in enumerate(requests):
            try:
                rows.append((i, self._prompt_ids(req.input, req.tools)))
            except Exception as exc:  # a malformed input fails only its own sample
                results[i] = Generation(output=None, error=f"bad input: {type(exc).__name__}: {exc}")
        rows.sort(key=lambda r: len(r[1]))
        for start in range(0, len(rows), self.batch_size):
            chunk = rows[start : start + self.batch_size]
            for (i, _), gen in zip(chunk, self._run_chunk([requests[i] for i, _ in chunk], [p for _, p in chunk])):
                results[i] = gen
        return [g if g is not None else Generation(output=None, error="not generated") for g in results]

    def _run_chunk(self, reqs: list[Request], prompts: list[list[int]]) -> list[Generation]:
        """One padded batch; if it fails, each request alone, so one bad row fails only itself."""
        try:
            with self._lock:
                return self._batch(reqs, prompts)
        except Exception as exc:  # OOM and friends are the sample's error, not the run's crash
            if len(reqs) == 1:
                return [Generation(output=None, error=f"{type(exc).__name__}: {exc}")]
            return [g for r, p in zip(reqs, prompts) for g in self._run_chunk([r], [p])]

    def _prompt_ids(self, value: Any, tools: Sequence[Any] = ()) -> list[int]:
        tokenizer = self._tokenizer
        text = render_prompt(tokenizer, value, tools)
        if text is not None:
            ids = tokenizer(text, add_special_tokens=False)["input_ids"]
        elif isinstance(value, str):
            ids = tokenizer(value)["input_ids"]
        else:
            messages = [_template_message(m) for m in value]
            text = "\n".join(f"{m['role']}: {m['content']}" for m in messages) + "\nassistant:"
            ids = tokenizer(text)["input_ids"]
        limit = getattr(self._model.config, "max_position_embeddings", None)
        if not ids or (limit and len(ids) >= limit):
            raise ValueError(f"prompt has {len(ids)} tokens; the model's context is {limit}")
        return list(ids)

    def _eos_ids(self) -> set[int]:
        eos = getattr(self._model.generation_config, "eos_token_id", None)
        if eos is None:
            eos = self._tokenizer.eos_token_id
        return set(eos if isinstance(eos, list) else [eos]) - {None}

    def _batch(self, reqs: list[Request], prompts: list[list[int]]) -> list[Generation]:
        import torch
        from transformers import GenerationConfig

        model, tokenizer = self._model, self._tokenizer
        start = time.perf_counter()
        width = max(len(p) for p in prompts)
        pad = tokenizer.pad_token_id
        input_ids = torch.tensor([[pad] * (width - len(p)) + p for p in prompts], device=model.device)
        mask = torch.tensor([[0] * (width - len(p)) + [1] * len(p) for p in prompts], device=model.device)
        limit = getattr(model.config, "max_position_embeddings", None) or 10**9
        budgets = [max(1, min(r.params.max_tokens, limit - len(p))) for r, p in zip(reqs, prompts)]
        eos = self._eos_ids()
        config = GenerationConfig(max_new_tokens=max(budgets), do_sample=False, num_beams=1,
                                  eos_token_id=sorted(eos), pad_token_id=pad)
        sampler = _logits_processor(
            [sample_seed(r.seed, r.case_id, r.sample_index) if r.params.temperature > 0 else None for r in reqs],
            [r.params.temperature for r in reqs], [r.params.top_p for r in reqs])
        with torch.inference_mode():
            out = model.generate(input_ids=input_ids, attention_mask=mask, generation_config=config,
                                 logits_processor=[sampler])
        new = out[:, width:].tolist()
        logprobs = torch.stack(sampler.logprobs, dim=1).tolist()
        share = (time.perf_counter() - start) / len(reqs)
        results = []
        for row, (req, prompt) in enumerate(zip(reqs, prompts)):
            tokens = new[row][: budgets[row]]
            end = next((k for k, t in enumerate(tokens) if t in eos), len(tokens))
            tokens = tokens[:end]
            text = tokenizer.decode(tokens, skip_special_tokens=True)
            text, kept = _truncate_at_stop(tokenizer, tokens, text, req.params.stop)
            calls: tuple[ToolCall, ...] = ()
            if req.tools:  # the calls the template's format asked for: <tool_call> blocks or plain JSON
                text, calls = parse_text_calls(text)
            results.append(Generation(output=text, latency_s=share, logprobs=logprobs[row][:kept],
                                      usage={"prompt_tokens": len(prompt), "completion_tokens": kept},
                                      tool_calls=calls))
        return results

    async def aclose(self) -> None:
        with self._lock:
            self._model = None
            self._tokenizer = None
