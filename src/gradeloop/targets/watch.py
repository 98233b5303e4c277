"""What an OpenAI-compatible server silently did not do, counted per target and reported as warnings.

Real servers ignore fields without saying so: llama.cpp returns no logprobs unless `top_logprobs`
is sent, `transformers serve` ignores `logprobs` and, with the model's generation config, does not
sample at temperature 1. A run would look fine; these counts make it say so.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass, field

from gradeloop.targets.base import Generation, Request


@dataclass
class OutputWatch:
    """Counts what a server silently did not do: logprobs asked for but absent; sampling at
    temperature > 0 that gave every case identical samples (a server whose generation config
    turns sampling off, as `transformers serve` does)."""

    answered: int = 0
    without_logprobs: int = 0
    # case id -> (samples at temperature > 0, distinct outputs among them), for the first 10,000 cases
    hot: dict[str, tuple[int, set[int]]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def note(self, req: Request, gen: Generation, logprobs: bool) -> None:
        if gen.output is None:
            return
        with self.lock:
            self.answered += 1
            self.without_logprobs += logprobs and not gen.logprobs
            if req.params.temperature > 0 and (req.case_id in self.hot or len(self.hot) < 10_000):
                count, outputs = self.hot.get(req.case_id, (0, set()))
                outputs.add(hash(gen.output))
                self.hot[req.case_id] = (count + 1, outputs)

    def warnings(self, spec: str) -> list[str]:
        out = []
        with self.lock:
            if self.without_logprobs:
                out.append(f"{spec}: logprobs were asked for, but {self.without_logprobs} of {self.answered} "
                           "answers came without them (the server ignores the field?): logprob signals are empty")
            repeated = [len(outputs) for count, outputs in self.hot.values() if count >= 2]
            if len(repeated) >= 2 and all(n == 1 for n in repeated):
                out.append(f"{spec}: at temperature > 0 every case's samples are identical ({len(repeated)} cases) — "
                           "the server may not be sampling (its generation config?): pass@k and flakiness mean "
                           "nothing here")
        return out
