"""The `hf:` target's sampler: exact sampling by Gumbel-max, vectorised, batch-independent.

Gumbel noise comes from a counter-based hash (splitmix64) of (sample seed, step, token id), so a
row's draws never depend on which rows share its batch, and the whole batch is drawn in a dozen
tensor ops on the model's device: no per-row generator, no per-row Python loop per step.
Adding it to logits/T and taking the argmax is an exact draw from softmax(logits/T) (after top-p).
"""
from __future__ import annotations

from typing import Any


def _signed(c: int) -> int:
    return c - (1 << 64) if c >= 1 << 63 else c


_M1, _M2 = _signed(0xBF58476D1CE4E5B9), _signed(0x94D049BB133111EB)  # splitmix64's finaliser
_GOLDEN = _signed(0x9E3779B97F4A7C15)


def _mix64(z: Any) -> Any:
    """splitmix64's finaliser on int64 tensors (wrapping multiply; shifts made logical by masks)."""
    z = (z ^ ((z >> 30) & ((1 << 34) - 1))) * _M1
    z = (z ^ ((z >> 27) & ((1 << 37) - 1))) * _M2
    return z ^ ((z >> 31) & ((1 << 33) - 1))


def gumbel_noise(seeds: Any, step: int, vocab: int, token_keys: Any = None) -> Any:
    """Gumbel(0, 1) noise [rows, vocab] from (row seed, step, token id) only: a row's draws never
    depend on which other rows share its batch, and the whole batch is drawn in a dozen tensor ops
    on the model's device (no per-row generator, no per-row Python loop)."""
    import torch

    if token_keys is None:
        token_keys = token_hashes(vocab, seeds.device)
    key = _mix64(_mix64(seeds) + _signed((step + 1) * 0x9E3779B97F4A7C15 % (1 << 64)))
    bits = _mix64(key[:, None] + token_keys[None, :])
    uniform = (((bits >> 40) & 0xFFFFFF).to(torch.float32) + 0.5) * (1.0 / (1 << 24))  # (0, 1), 24 bits
    return -torch.log(-torch.log(uniform))


def token_hashes(vocab: int, device: Any) -> Any:
    """A well-mixed 64-bit key per token id (computed once per batch)."""
    import torch

    return _mix64(torch.arange(vocab, device=device, dtype=torch.int64) * _GOLDEN + 0x632BE59BD9B4E019)


def _top_p_mask(logits: Any, top_p: Any) -> Any:
    """True where a token falls outside its row's nucleus (rows with top_p >= 1 keep everything)."""
    import torch

    ordered, order = logits.sort(dim=-1, descending=True)
    probs = ordered.softmax(-1)
    outside = (probs.cumsum(-1) - probs) >= top_p[:, None]  # the mass before a token already reaches top_p
    outside &= (top_p < 1.0)[:, None]
    return torch.zeros_like(outside).scatter(-1, order, outside)


def _logits_processor(seeds: list[int | None], temperatures: list[float], top_ps: list[float]) -> Any:
    """Exact sampling by Gumbel-max on logits/T (after top-p), vectorised over rows; T=0 rows stay greedy.

    Generation then takes the argmax of what this returns, so the processor also knows each
    chosen token and records its log-probability under the model (temperature 1, before top-p):
    one [batch] tensor per step in `.logprobs`, instead of keeping every step's full logits.
    """
    import torch
    from transformers import LogitsProcessor

    class GumbelSampler(LogitsProcessor):
        def __init__(self) -> None:
            self.logprobs: list[torch.Tensor] = []
            self._rows: tuple[Any, ...] | None = None
            self._nucleus = False
            self._token_keys: Any = None

        def _tensors(self, device: Any) -> tuple[Any, ...]:
            if self._rows is None:
                hot = [s is not None and t > 0 for s, t in zip(seeds, temperatures)]
                self._rows = (torch.tensor(hot, device=device),
                              torch.tensor([s if h else 0 for s, h in zip(seeds, hot)], dtype=torch.int64,
                                           device=device),
                              torch.tensor([t if h else 1.0 for t, h in zip(temperatures, hot)], device=device),
                              torch.tensor(top_ps, dtype=torch.float32, device=device))
                self._nucleus = any(p < 1.0 for p in top_ps)
            return self._rows

        def __call__(self, input_ids: torch.LongTensor, scores: torch.FloatTensor) -> torch.FloatTensor:
            raw = scores.float()
            hot, seed, temp, top_p = self._tensors(raw.device)
            out = raw
            if bool(hot.any()):
                logits = raw / temp[:, None]
                if self._nucleus:
                    logits = logits.masked_fill(_top_p_mask(logits, top_p), float("-inf"))
                if self._token_keys is None:
                    self._token_keys = token_hashes(raw.shape[-1], raw.device)
                noisy = logits + gumbel_noise(seed, len(self.logprobs), raw.shape[-1], self._token_keys)
                out = torch.where(hot[:, None], noisy, raw)
            chosen = out.argmax(-1, keepdim=True)
            self.logprobs.append(raw.log_softmax(-1).gather(-1, chosen).squeeze(-1))
            return out

    return GumbelSampler()
