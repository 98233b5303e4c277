"""`hf:PATH_OR_ID[+adapter=PATH]` — a local transformers causal LM, optionally with a PEFT adapter.

Generation is batched with left padding. Sampling is reproducible per sample and independent of
how requests are batched: every row gets its own seeded torch.Generator whose Gumbel noise is
added to logits/T before an argmax, which is an exact sample from softmax(logits/T) (after
top-p). Decoding is always ours (greedy or that sampler); of a model's own generation defaults
only its end-of-sequence tokens are kept, so sampling settings mean the same for every model.
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
from typing import Any, Sequence

from gradeloop.errors import InputError
from gradeloop.targets.base import Generation, Request, SamplingParams

DECODER_VERSION = "gumbel-v1"  # part of the fingerprint: changing the sampler changes outputs
_SPEC = re.compile(r"^(?P<model>.+?)(?:\+adapter=(?P<adapter>.+))?$")
_HUB_FILES = ["*.json", "*.safetensors", "*.jinja", "*.txt", "*.model", "*.tiktoken", "tokenizer*"]
_CONTENT_HASH_LIMIT = 64 * 2**20  # bigger weight files are identified by blob name or size+mtime
# Default batch sizes: a small model's KV cache is tiny, so a wide batch amortises the per-token Python
# overhead of generate() (demo eval, 324 samples of a 2M-parameter model on CPU: 4.6 s at 16, 2.9 s at 64).
SMALL_MODEL_BYTES = 256 * 2**20
SMALL_MODEL_BATCH, DEFAULT_BATCH = 64, 16


@dataclass(frozen=True, slots=True)
class HFSpec:
    """The parts of an `hf:` spec: a model folder or hub id, and an optional adapter."""

    model: str
    adapter: str | None = None


def parse_hf_spec(spec: str) -> HFSpec:
    """Split `hf:MODEL[+adapter=PATH]` (the `hf:` prefix is optional)."""
    rest = spec[3:] if spec.startswith("hf:") else spec
    match = _SPEC.match(rest)
    if not rest or match is None or (match["adapter"] is not None and not match["adapter"].strip()):
        raise InputError(f"expected hf:PATH_OR_ID[+adapter=PATH], got {spec!r}", field="target")
    unknown = re.search(r"\+(\w+)=", match["model"]) or re.search(r"\+(\w+)=", match["adapter"] or "")
    if unknown:
        raise InputError(f"unknown hf: option {unknown[1]!r} in {spec!r}; the only option is +adapter=PATH",
                         field="target")
    return HFSpec(match["model"], match["adapter"])


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


def load_model_and_tokenizer(spec: str | HFSpec, *, device: str = "cpu", dtype: Any = None,
                             adapter_trainable: bool = False) -> tuple[Any, Any]:
    """Load model (+ adapter) and tokenizer for a spec, ready for batched left-padded generation."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    parsed = parse_hf_spec(spec) if isinstance(spec, str) else spec
    folder = resolve_model_dir(parsed.model)
    try:
        tokenizer = AutoTokenizer.from_pretrained(folder)
        model = AutoModelForCausalLM.from_pretrained(folder, dtype=dtype or torch.float32)
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
    model.to(device)
    if not adapter_trainable:
        model.eval()
    return model, tokenizer


def _logits_processor(seeds: list[int | None], temperatures: list[float], top_ps: list[float]) -> Any:
    """Per-row exact sampling by Gumbel-max on logits/T (after top-p); T=0 rows stay greedy.

    Generation then takes the argmax of what this returns, so the processor also knows each
    chosen token and records its log-probability under the model (temperature 1, before top-p):
    one [batch] tensor per step in `.logprobs`, instead of keeping every step's full logits.
    """
    import torch
    from transformers import LogitsProcessor, TopPLogitsWarper

    class GumbelSampler(LogitsProcessor):
        def __init__(self) -> None:
            self.generators = [torch.Generator().manual_seed(s) if s is not None else None for s in seeds]
            self.logprobs: list[torch.Tensor] = []

        def __call__(self, input_ids: torch.LongTensor, scores: torch.FloatTensor) -> torch.FloatTensor:
            out = scores.float().clone()
            for row, gen in enumerate(self.generators):
                if gen is None or temperatures[row] <= 0:
                    continue
                logits = out[row : row + 1] / temperatures[row]
                if top_ps[row] < 1.0:
                    logits = TopPLogitsWarper(top_ps[row])(input_ids[row : row + 1], logits)
                # a CPU generator gives the same draws whatever device the model is on
                uniform = torch.rand(logits.shape[-1], generator=gen).to(out.device)
                out[row] = logits[0] - torch.log(-torch.log(uniform))
            chosen = out.argmax(-1, keepdim=True)
            self.logprobs.append(scores.float().log_softmax(-1).gather(-1, chosen).squeeze(-1))
            return out

    return GumbelSampler()


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


def default_batch_size(spec: HFSpec) -> int:
    """64 for a model whose weights take under 256 MB, else 16 (unknown models get 16)."""
    try:
        folder = resolve_model_dir(spec.model)
    except InputError:  # reported when the model loads; batching cannot make it worse
        return DEFAULT_BATCH
    weights = sum(f.stat().st_size for f in folder.iterdir() if f.suffix in (".safetensors", ".bin"))
    return SMALL_MODEL_BATCH if 0 < weights < SMALL_MODEL_BYTES else DEFAULT_BATCH


class HFTarget:
    """A local transformers model as a target; loads lazily, generates in left-padded batches.

    Each Request carries its own sampling settings; `params` (the run's) only enter the fingerprint.
    A sample's `latency_s` is its share of its batch's wall time. Without `batch_size`, the batch
    follows the model's size (`default_batch_size`); outputs never depend on it.
    """

    cacheable = True

    def __init__(self, spec: str, params: SamplingParams | None = None, *, batch_size: int | None = None,
                 device: str = "cpu") -> None:
        self.spec = spec if spec.startswith("hf:") else f"hf:{spec}"
        self.hf = parse_hf_spec(self.spec)
        self.params = params or SamplingParams()
        self._batch_size = batch_size
        self.device = device
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
            parts = {"model": folder_fingerprint(resolve_model_dir(self.hf.model)), "decoder": DECODER_VERSION,
                     "params": self.params.as_dict()}
            if self.hf.adapter:
                parts["adapter"] = folder_fingerprint(resolve_model_dir(self.hf.adapter))
            digest = hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()
            self._fingerprint = f"hf-{digest[:24]}"
        return self._fingerprint

    def load(self) -> tuple[Any, Any]:
        """Model and tokenizer, loaded on first use."""
        with self._lock:
            if self._model is None:
                self._model, self._tokenizer = load_model_and_tokenizer(self.hf, device=self.device)
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
                rows.append((i, self._prompt_ids(req.input)))
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

    def _prompt_ids(self, value: Any) -> list[int]:
        tokenizer = self._tokenizer
        if isinstance(value, str):
            messages = [{"role": "user", "content": value}]
        elif isinstance(value, (list, tuple)) and value and all(isinstance(m, dict) or hasattr(m, "get")
                                                                for m in value):
            messages = [{"role": str(m["role"]), "content": str(m["content"])} for m in value]
        else:
            raise ValueError(f"input must be a string or chat messages, got {type(value).__name__}")
        if getattr(tokenizer, "chat_template", None):
            text = tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
            ids = tokenizer(text, add_special_tokens=False)["input_ids"]
        elif isinstance(value, str):
            ids = tokenizer(value)["input_ids"]
        else:
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
        input_ids = torch.tensor([[pad] * (width - len(p)) + p for p in prompts], device=self.device)
        mask = torch.tensor([[0] * (width - len(p)) + [1] * len(p) for p in prompts], device=self.device)
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
            results.append(Generation(output=text, latency_s=share, logprobs=logprobs[row][:kept],
                                      usage={"prompt_tokens": len(prompt), "completion_tokens": kept}))
        return results

    async def aclose(self) -> None:
        with self._lock:
            self._model = None
            self._tokenizer = None
