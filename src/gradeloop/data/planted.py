"""Corpora with planted contamination, to measure the checks' precision and recall.

Text is drawn from a Zipf-distributed made-up vocabulary (common words recur, as in real text);
chosen evaluation cases are planted into training lines as exact copies (re-cased and
re-punctuated), reworded copies (about one word edit in 15), long spans (13–20 words) inside
unrelated documents, and short items (8–12 words) whole inside long documents.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

import numpy as np

from gradeloop.data.contam import Hit
from gradeloop.suite.model import Case, Suite

# What each plant should be reported as.
PLANTS: dict[str, str] = {"exact": "exact", "reworded": "near", "span": "ngram", "inside": "near"}


@dataclass(frozen=True)
class PlantedCorpus:
    """The evaluation suite, the training file written, and the planted (line, case_id) → kind."""

    suite: Suite
    train_path: Path
    lines: int
    truth: dict[tuple[int, str], str]


class _Words:
    def __init__(self, rng: np.random.Generator, size: int) -> None:
        syllables = [c + v for c in "bdfgklmnprstvz" for v in "aeiou"]
        vocab: set[str] = set()
        while len(vocab) < size:
            vocab.add("".join(rng.choice(syllables, size=int(rng.integers(1, 4)))))
        self.vocab = np.array(sorted(vocab))
        weights = 1.0 / np.arange(1, size + 1) ** 1.05
        self.p = weights / weights.sum()
        self.rng = rng
        self._buf = np.empty(0, dtype=np.int64)

    def take(self, n: int) -> list[str]:
        if len(self._buf) < n:
            self._buf = np.concatenate([self._buf, self.rng.choice(len(self.vocab), 200_000, p=self.p)])
        out, self._buf = self._buf[:n], self._buf[n:]
        return self.vocab[out].tolist()


def _sentence(ws: list[str]) -> str:
    return " ".join(ws).capitalize() + "."


def _recase(rng: np.random.Generator, text: str) -> str:
    choice = int(rng.integers(3))
    text = text.upper() if choice == 0 else text.lower() if choice == 1 else text.title()
    return "  " + text.replace(" ", "  ", 2).rstrip(".") + " !"


def _reword(rng: np.random.Generator, ws: list[str], w: _Words) -> list[str]:
    out = list(ws)
    for _ in range(max(1, len(ws) // 15)):
        op, at = int(rng.integers(3)), int(rng.integers(1, len(out) - 1))
        if op == 0:
            out[at] = w.take(1)[0]
        elif op == 1:
            out.insert(at, w.take(1)[0])
        else:
            del out[at]
    return out


def planted_corpus(train_path: str | Path, *, n_eval: int = 1000, n_train: int = 10_000,
                   planted_share: float = 0.1, vocab: int = 20_000, seed: int = 0) -> PlantedCorpus:
    """Write `n_train` training lines (plain text) with about `planted_share` of them planted."""
    rng = np.random.default_rng(seed)
    w = _Words(rng, vocab)
    texts: list[list[str]] = []
    for i in range(n_eval):
        short = i % 5 == 0
        texts.append(w.take(int(rng.integers(8, 13) if short else rng.integers(25, 41))))
    cases = tuple(Case(id=f"c{i:06d}", input=_sentence(ws)) for i, ws in enumerate(texts))
    suite = Suite(name="planted-eval", cases=cases, split="holdout")
    truth: dict[tuple[int, str], str] = {}
    path = Path(train_path)
    path.parent.mkdir(parents=True, exist_ok=True)
    plant_at = set(rng.choice(n_train, size=int(n_train * planted_share), replace=False).tolist())
    with path.open("w", encoding="utf-8") as out:
        for line in range(1, n_train + 1):
            if line - 1 in plant_at:
                i = int(rng.integers(n_eval))
                ws = texts[i]
                kind = "inside" if len(ws) < 13 else ("exact", "reworded", "span")[int(rng.integers(3))]
                if kind == "exact":
                    text = _recase(rng, _sentence(ws))
                elif kind == "reworded":
                    text = _sentence(_reword(rng, ws, w))
                elif kind == "span":
                    n = int(rng.integers(13, 21))
                    start = int(rng.integers(0, len(ws) - n + 1))
                    text = _sentence(w.take(int(rng.integers(30, 60))) + ws[start:start + n]
                                     + w.take(int(rng.integers(10, 30))))
                else:
                    text = _sentence(w.take(int(rng.integers(40, 80))) + ws + w.take(int(rng.integers(5, 30))))
                truth[(line, cases[i].id)] = PLANTS[kind]
            else:
                text = _sentence(w.take(int(rng.integers(8, 80))))
            out.write(text + "\n")
    return PlantedCorpus(suite=suite, train_path=path, lines=n_train, truth=truth)


def precision_recall(hits: Iterable[Hit], truth: dict[tuple[int, str], str]) -> dict[str, float]:
    """Precision and recall over (line, case) pairs, overall and per expected kind (kind must match)."""
    found = {(h.train_line, h.case_id): h.kind for h in hits}
    true_pos = sum(1 for key in found if key in truth)
    out = {"precision": true_pos / len(found) if found else 1.0,
           "recall": sum(1 for key in truth if key in found) / len(truth) if truth else 1.0,
           "hits": float(len(found)), "planted": float(len(truth))}
    for kind in sorted(set(truth.values())):
        keys = [k for k, v in truth.items() if v == kind]
        out[f"recall_{kind}"] = sum(1 for k in keys if found.get(k) == kind) / len(keys)
    return out
