"""Build the embedded tiny support model offline, through the real transformers code paths.

No machine here reaches the HF hub, so the default model is trained on the seeded support
corpus: a byte-level BPE tokenizer with a chat template and a small Llama, saved with
`save_pretrained` so `AutoModelForCausalLM` / `AutoTokenizer` load it like any hub model.
The step budget comes from `train_seconds` through a fixed per-step cost of the config, not a
wall clock, so the same seed gives the same weights however loaded the machine is.
"""
from __future__ import annotations

import contextlib
import json
import math
import os
import shutil
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Iterator

from gradeloop.demo.corpus import DEFAULT_FLAWS, Dialogue, Flaws, corpus_hash, generate_corpus

MANIFEST = "gradeloop-model.json"
MANIFEST_SCHEMA = "gradeloop.tiny-model/v1"


@dataclass(frozen=True, slots=True)
class TinyModelConfig:
    """Architecture and training recipe; `step_seconds` is its measured cost per step here (2 CPU cores)."""

    vocab_size: int = 1024
    hidden_size: int = 192
    intermediate_size: int = 512
    num_layers: int = 4
    num_heads: int = 6
    max_length: int = 256  # context length (max_position_embeddings)
    batch_size: int = 32
    learning_rate: float = 3e-3
    warmup_steps: int = 10
    corpus_size: int = 6000
    step_seconds: float = 0.4
    min_steps: int = 4
    threads: int = 2  # at most; fewer when other processes keep the cores busy


DEFAULT_CONFIG = TinyModelConfig()
# A seconds-long build for tests: same code path, toy sizes.
MICRO_CONFIG = TinyModelConfig(vocab_size=400, hidden_size=32, intermediate_size=64, num_layers=2, num_heads=2,
                               max_length=192, batch_size=8, learning_rate=1e-2, warmup_steps=2,
                               corpus_size=400, step_seconds=0.05, threads=1)


def default_model_dir() -> Path:
    """Where the demo model lives unless told otherwise (project-local, next to the results store)."""
    return Path(".gradeloop") / "models" / "tiny-support"


def steps_for(train_seconds: float, config: TinyModelConfig = DEFAULT_CONFIG) -> int:
    """The step budget `train_seconds` buys with this config (fixed, so builds are reproducible)."""
    return max(config.min_steps, int(round(train_seconds / config.step_seconds)))


def train_threads(config: TinyModelConfig = DEFAULT_CONFIG) -> int:
    """Threads for training: up to `config.threads`, but not more than the cores other processes leave.

    An oversubscribed torch thread pool on a busy 2-core machine runs several times slower than
    one thread; the weights do not depend on the thread count (checked by the determinism test).
    """
    cores = os.cpu_count() or 1
    try:
        busy = round(os.getloadavg()[0])
    except OSError:
        busy = 0
    return max(1, min(config.threads, cores - busy))


def read_manifest(model_dir: Path) -> dict[str, Any] | None:
    """The build manifest of a model folder, or None when absent or unreadable."""
    try:
        return json.loads((Path(model_dir) / MANIFEST).read_text())
    except (OSError, ValueError):
        return None


def _wanted(seed: int, config: TinyModelConfig, steps: int, flaws: Flaws, corpus_sha: str) -> dict[str, Any]:
    return {"schema": MANIFEST_SCHEMA, "seed": seed, "config": asdict(config), "steps": steps,
            "flaws": asdict(flaws), "corpus_hash": corpus_sha}


def _is_current(model_dir: Path, wanted: dict[str, Any]) -> bool:
    manifest = read_manifest(model_dir)
    return manifest is not None and all(manifest.get(k) == v for k, v in wanted.items()) \
        and (model_dir / "config.json").is_file()


@contextlib.contextmanager
def _build_lock(out_dir: Path) -> Iterator[None]:
    """Serialise concurrent builds of the same folder (a second builder then finds it done)."""
    import fcntl

    out_dir.parent.mkdir(parents=True, exist_ok=True)
    with open(out_dir.parent / f".{out_dir.name}.lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def build_tiny_model(out_dir: Path, *, seed: int = 0, train_seconds: float = 60, force: bool = False,
                     config: TinyModelConfig = DEFAULT_CONFIG, flaws: Flaws = DEFAULT_FLAWS) -> Path:
    """Train (or reuse) the tiny support model in `out_dir`; returns the folder.

    Idempotent: a folder whose manifest matches seed, config, steps and corpus is returned as
    is unless `force`. Atomic: built in a sibling temp folder, then renamed into place.
    """
    out_dir = Path(out_dir)
    corpus = generate_corpus(config.corpus_size, seed=seed, flaws=flaws)
    wanted = _wanted(seed, config, steps_for(train_seconds, config), flaws, corpus_hash(corpus))
    if not force and _is_current(out_dir, wanted):
        return out_dir
    with _build_lock(out_dir):
        if not force and _is_current(out_dir, wanted):
            return out_dir
        tmp = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}-build-", dir=out_dir.parent))
        try:
            manifest = _train(tmp, corpus, seed=seed, config=config, steps=wanted["steps"])
            (tmp / MANIFEST).write_text(json.dumps({**wanted, **manifest}, indent=2) + "\n")
            _swap_in(tmp, out_dir)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    return out_dir


def ensure_tiny_model(out_dir: Path | None = None, *, seed: int = 0, train_seconds: float = 60) -> Path:
    """The default tiny model, built on first use (about `train_seconds` on 2 cores)."""
    return build_tiny_model(out_dir or default_model_dir(), seed=seed, train_seconds=train_seconds)


def _swap_in(tmp: Path, out_dir: Path) -> None:
    """Replace `out_dir` by `tmp` with renames, so readers never see a half-written model."""
    old = None
    if out_dir.exists():
        old = out_dir.with_name(f".{out_dir.name}-old-{os.getpid()}-{time.time_ns()}")
        os.replace(out_dir, old)
    os.replace(tmp, out_dir)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def _encode(tokenizer: Any, corpus: list[Dialogue], max_length: int) -> list[tuple[list[int], list[int]]]:
    """Token ids of each dialogue and labels that train on the last assistant turn only."""
    texts = [tokenizer.apply_chat_template([dict(m) for m in d.messages], tools=[dict(t) for t in d.tools] or None,
                                           tokenize=False) for d in corpus]
    assistant = tokenizer.convert_tokens_to_ids("<|assistant|>")
    out = []
    for ids in tokenizer(texts, add_special_tokens=False)["input_ids"]:
        ids = ids[:max_length]
        start = len(ids) - ids[::-1].index(assistant) if assistant in ids else len(ids)
        out.append((ids, [-100] * start + ids[start:]))
    return out


def _train(out: Path, corpus: list[Dialogue], *, seed: int, config: TinyModelConfig, steps: int) -> dict[str, Any]:
    """Tokenizer, model, pretraining loop, save; returns the measured part of the manifest."""
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    import torch
    from transformers import GenerationConfig, LlamaConfig, LlamaForCausalLM

    from gradeloop.demo.tokenizer import tools_text, train_tokenizer

    start = time.perf_counter()
    previous_threads, threads = torch.get_num_threads(), train_threads(config)
    torch.set_num_threads(threads)
    try:
        torch.manual_seed(seed)
        texts = (t for d in corpus for t in (d.prompt, d.answer, *((tools_text(d.tools),) if d.tools else ())))
        tokenizer = train_tokenizer(texts, config.vocab_size, config.max_length)
        encoded = _encode(tokenizer, corpus, config.max_length)
        model_config = LlamaConfig(
            vocab_size=len(tokenizer), hidden_size=config.hidden_size, intermediate_size=config.intermediate_size,
            num_hidden_layers=config.num_layers, num_attention_heads=config.num_heads,
            num_key_value_heads=config.num_heads, max_position_embeddings=config.max_length,
            tie_word_embeddings=True, pad_token_id=tokenizer.pad_token_id, bos_token_id=tokenizer.bos_token_id,
            eos_token_id=tokenizer.eos_token_id, use_cache=True)
        model = LlamaForCausalLM(model_config)
        losses = _pretrain(model, encoded, tokenizer.pad_token_id, seed=seed, config=config, steps=steps)
        model.generation_config = GenerationConfig(
            bos_token_id=tokenizer.bos_token_id, eos_token_id=tokenizer.eos_token_id,
            pad_token_id=tokenizer.pad_token_id, do_sample=False, max_new_tokens=96)
        model.save_pretrained(out)
        tokenizer.save_pretrained(out)
    finally:
        torch.set_num_threads(previous_threads)
    tail = losses[-min(10, len(losses)):]
    return {"params": sum(p.numel() for p in model.parameters()), "final_loss": round(sum(tail) / len(tail), 4),
            "loss_curve": [round(x, 4) for x in losses[:: max(1, len(losses) // 20)]],
            "build_seconds": round(time.perf_counter() - start, 1), "threads": threads}


def _pretrain(model: Any, encoded: list[tuple[list[int], list[int]]], pad_id: int, *, seed: int,
              config: TinyModelConfig, steps: int) -> list[float]:
    """Plain AdamW loop with warmup and cosine decay; batches drawn by a seeded generator."""
    import torch

    gen = torch.Generator().manual_seed(seed)
    optim = torch.optim.AdamW(model.parameters(), lr=config.learning_rate, weight_decay=0.01,
                              betas=(0.9, 0.98))

    def lr_at(step: int) -> float:
        if step < config.warmup_steps:
            return (step + 1) / config.warmup_steps
        progress = (step - config.warmup_steps) / max(1, steps - config.warmup_steps)
        return 0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * min(1.0, progress)))

    sched = torch.optim.lr_scheduler.LambdaLR(optim, lr_at)
    model.train()
    losses: list[float] = []
    order = torch.randperm(len(encoded), generator=gen).tolist()
    cursor = 0
    for _ in range(steps):
        if cursor + config.batch_size > len(order):
            order, cursor = torch.randperm(len(encoded), generator=gen).tolist(), 0
        batch = [encoded[i] for i in order[cursor:cursor + config.batch_size]]
        cursor += config.batch_size
        width = max(len(ids) for ids, _ in batch)
        input_ids = torch.tensor([ids + [pad_id] * (width - len(ids)) for ids, _ in batch])
        labels = torch.tensor([lab + [-100] * (width - len(lab)) for _, lab in batch])
        mask = torch.tensor([[1] * len(ids) + [0] * (width - len(ids)) for ids, _ in batch])
        loss = model(input_ids=input_ids, attention_mask=mask, labels=labels).loss
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optim.step()
        sched.step()
        optim.zero_grad(set_to_none=True)
        losses.append(float(loss.detach()))
    model.eval()
    return losses
