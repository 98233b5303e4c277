"""Contamination checks: training documents that repeat evaluation cases.

Three kinds of hit, strongest first: `exact` (equal after casefolding, whitespace and
punctuation normalisation), `near` (word-shingle Jaccard ≥ threshold, candidates from MinHash
LSH; or containment: a short evaluation item found almost whole inside a long training
document) and `ngram` (the GPT-3 rule: any shared 13-word n-gram). The evaluation side is
indexed; the training side streams through in chunks, on every core (workers are forked, so
they share the index without copying it).
"""
from __future__ import annotations

import itertools
import math
import multiprocessing
import os
import time
from collections import Counter, defaultdict, deque
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any, Iterable, Iterator, Sequence

from gradeloop.data.minhash import MinHashIndex, default_backend
from gradeloop.data.readers import TrainDoc, iter_docs
from gradeloop.data.text import case_text, ngram_hashes, normalize, shingles, words
from gradeloop.errors import InputError
from gradeloop.suite.model import Suite

KINDS: tuple[str, ...] = ("exact", "near", "ngram")
_RANK = {"exact": 3, "near": 2, "ngram": 1}
SCHEMA = "gradeloop.contam/v1"


@dataclass(frozen=True, slots=True)
class ContamParams:
    """Thresholds of the three checks; `min_words` keeps tiny items to the exact check."""

    jaccard: float = 0.7
    containment: float = 0.8
    ngram: int = 13
    shingle: int = 2
    min_words: int = 8
    num_perm: int = 128
    kinds: tuple[str, ...] = KINDS
    backend: str | None = None

    def validate(self) -> None:
        for name in ("jaccard", "containment"):
            value = getattr(self, name)
            if not 0.0 < value <= 1.0:
                raise InputError(f"must be in (0, 1], got {value}", field=name)
        for name in ("ngram", "shingle", "num_perm"):
            if getattr(self, name) < 1:
                raise InputError(f"must be at least 1, got {getattr(self, name)}", field=name)
        unknown = [k for k in self.kinds if k not in KINDS]
        if unknown or not self.kinds:
            raise InputError(f"unknown check {unknown[0] if unknown else '(none)'!r}; expected some of "
                             + ", ".join(KINDS), field="kinds")


@dataclass(frozen=True, slots=True)
class Hit:
    """A training document that repeats an evaluation case, with both texts and the score."""

    kind: str
    score: float
    measure: str  # exact | jaccard | containment | ngram
    train_file: str
    train_line: int
    train_text: str
    suite: str
    case_id: str
    part: str  # which text of the case matched: input | reference
    eval_text: str

    def as_dict(self) -> dict[str, Any]:
        """The `gradeloop.contam/v1` form of a hit."""
        return {"kind": self.kind, "measure": self.measure, "score": round(self.score, 4),
                "train": {"file": self.train_file, "line": self.train_line, "text": self.train_text},
                "eval": {"suite": self.suite, "case_id": self.case_id, "part": self.part,
                         "text": self.eval_text}}


@dataclass
class ContamReport:
    """Every hit plus what was scanned, for reports and lineage records."""

    hits: list[Hit]
    docs: int
    cases: int
    params: ContamParams
    seconds: float = 0.0
    train: list[str] = field(default_factory=list)
    suites: list[dict[str, str]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """The JSON document `gradeloop contam --json` writes."""
        return {"schema": SCHEMA, "params": {**asdict(self.params), "kinds": list(self.params.kinds)},
                "train": self.train, "suites": self.suites, "docs": self.docs, "cases": self.cases,
                "seconds": round(self.seconds, 3), "hits": [h.as_dict() for h in self.hits]}


EvalItem = tuple[str, str, str, "str | None"]  # (suite, case id, input text, reference)


def eval_items(suites: Sequence[Suite]) -> list[EvalItem]:
    """The texts of every case, as plain tuples (cheap to send to worker processes)."""
    return [(s.name, c.id, case_text(c), c.reference) for s in suites for c in s.cases]


@dataclass(frozen=True, slots=True)
class _Unit:
    suite: str
    case_id: str
    part: str
    text: str
    shingles: frozenset[str]
    n_ngrams: int
    n_words: int


class EvalIndex:
    """Everything about the evaluation side that a training document is checked against."""

    def __init__(self, items: Sequence[EvalItem], params: ContamParams) -> None:
        params.validate()
        self.params = params
        self.units: list[_Unit] = []
        self.exact: dict[str, list[int]] = defaultdict(list)
        self.ngrams: dict[int, list[int]] = defaultdict(list)
        for item in items:
            self._add_case(*item)
        self.exact = dict(self.exact)
        self.ngrams = dict(self.ngrams)
        self.minhash = (MinHashIndex([u.shingles for u in self.units], threshold=params.jaccard,
                                     num_perm=params.num_perm, backend=params.backend)
                        if "near" in params.kinds and self.units else None)
        self.prefix = self._containment_prefixes() if "near" in params.kinds else {}

    def _add_case(self, suite: str, case_id: str, text: str, reference: str | None) -> None:
        toks = words(text)
        input_unit = self._add_unit(suite, case_id, "input", text, toks) if toks else None
        if reference and reference.strip():
            ref_toks = words(reference)
            if len(ref_toks) >= self.params.min_words:
                self._add_unit(suite, case_id, "reference", reference, ref_toks)
            if input_unit is not None and ref_toks:  # a training row holding question and answer together
                self.exact[" ".join(toks + ref_toks)].append(input_unit)

    def _add_unit(self, suite: str, case_id: str, part: str, text: str, toks: list[str]) -> int:
        p, idx = self.params, len(self.units)
        grams: set[int] = set()
        if "ngram" in p.kinds and len(toks) >= max(p.ngram, p.min_words):
            grams = ngram_hashes(toks, p.ngram)
            for g in grams:
                self.ngrams[g].append(idx)
        self.units.append(_Unit(suite, case_id, part, text, frozenset(shingles(toks, p.shingle)),
                                len(grams), len(toks)))
        self.exact[" ".join(toks)].append(idx)
        return idx

    def _containment_prefixes(self) -> dict[str, list[int]]:
        # Prefix filtering: a document holding ≥ c·m of a unit's m shingles holds at least one of
        # its m − ⌈c·m⌉ + 1 rarest ones, so only those are indexed; candidates are verified exactly.
        p = self.params
        eligible = [i for i, u in enumerate(self.units) if u.n_words >= p.min_words]
        df: Counter[str] = Counter()
        for i in eligible:
            df.update(self.units[i].shingles)
        prefix: dict[str, list[int]] = defaultdict(list)
        for i in eligible:
            sh = self.units[i].shingles
            keep = len(sh) - math.ceil(p.containment * len(sh) - 1e-9) + 1
            for s in sorted(sh, key=lambda s: (df[s], s))[:keep]:
                prefix[s].append(i)
        return dict(prefix)

    def scan(self, docs: Sequence[TrainDoc]) -> list[Hit]:
        """The hits of a chunk of training documents, in document order, one per (document, case)."""
        p = self.params
        toks = [words(d.text) for d in docs]
        sh = [shingles(t, p.shingle) for t in toks]
        candidates = self.minhash.query(sh) if self.minhash is not None else [[] for _ in docs]
        hits: list[Hit] = []
        for doc, t, s, cands in zip(docs, toks, sh, candidates):
            best: dict[tuple[str, str], tuple[int, float, str, str, int]] = {}
            if "exact" in p.kinds:
                for key in (" ".join(t), *(normalize(part) for part in doc.parts)):
                    for unit in self.exact.get(key, ()):
                        self._offer(best, "exact", 1.0, "exact", unit)
            if "near" in p.kinds:
                for unit in cands:
                    other = self.units[unit].shingles
                    inter = len(s & other)
                    j = inter / (len(s) + len(other) - inter) if inter else 0.0
                    if j >= p.jaccard:
                        self._offer(best, "near", j, "jaccard", unit)
                prefix = self.prefix
                for unit in {u for g in s if g in prefix for u in prefix[g]}:
                    other = self.units[unit].shingles
                    c = len(s & other) / len(other)
                    if c >= p.containment:
                        self._offer(best, "near", c, "containment", unit)
            if "ngram" in p.kinds and self.ngrams and len(t) >= p.ngram:
                grams = self.ngrams
                counts = Counter(u for g in ngram_hashes(t, p.ngram) if g in grams for u in grams[g])
                for unit, n in counts.items():
                    self._offer(best, "ngram", n / self.units[unit].n_ngrams, "ngram", unit)
            for _, score, kind, measure, unit in (best[k] for k in sorted(best)):
                u = self.units[unit]
                hits.append(Hit(kind, min(score, 1.0), measure, doc.file, doc.line, doc.text,
                                u.suite, u.case_id, u.part, u.text))
        return hits

    def _offer(self, best: dict[tuple[str, str], tuple[int, float, str, str, int]], kind: str, score: float,
               measure: str, unit: int) -> None:
        """Keep the strongest hit per (document, case): exact over near over ngram, then the score."""
        u = self.units[unit]
        candidate = (_RANK[kind], score, kind, measure, unit)
        old = best.get((u.suite, u.case_id))
        if old is None or candidate[:2] > old[:2]:
            best[(u.suite, u.case_id)] = candidate


_INDEX: EvalIndex | None = None  # one per worker process, built by `_init_worker`


def _init_worker(items: Sequence[EvalItem], params: ContamParams) -> None:
    global _INDEX
    _INDEX = EvalIndex(items, params)


def _scan_in_worker(docs: list[TrainDoc]) -> list[Hit]:
    assert _INDEX is not None
    return _INDEX.scan(docs)


def _chunks(docs: Iterator[TrainDoc], size: int) -> Iterator[list[TrainDoc]]:
    chunk: list[TrainDoc] = []
    for doc in docs:
        chunk.append(doc)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def default_workers() -> int:
    """The cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _scan_all(items: Sequence[EvalItem], params: ContamParams, chunks: Iterator[list[TrainDoc]],
              workers: int) -> Iterator[list[Hit]]:
    """Hits chunk by chunk, in order; at most 2 chunks per worker in flight, so memory stays flat.

    Workers are spawned, not forked: rensa's Rust thread pool does not survive a fork. Each
    worker builds its own index from the evaluation texts (a second or so for 10,000 cases).
    """
    first = next(chunks, None)
    if first is None:
        return
    second = next(chunks, None)
    if second is None or workers <= 1:
        index = EvalIndex(items, params)
        yield index.scan(first)
        for chunk in chunks if second is None else itertools.chain([second], chunks):
            yield index.scan(chunk)
        return
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(workers, mp_context=context, initializer=_init_worker,
                             initargs=(items, params)) as pool:
        pending: deque[Future[list[Hit]]] = deque([pool.submit(_scan_in_worker, first),
                                                   pool.submit(_scan_in_worker, second)])
        for chunk in chunks:
            if len(pending) >= 2 * workers:
                yield pending.popleft().result()
            pending.append(pool.submit(_scan_in_worker, chunk))
        while pending:
            yield pending.popleft().result()


def _eval_suites(eval_suites: Sequence[Suite | str | Path]) -> list[Suite]:
    suites: list[Suite] = []
    paths = [s for s in eval_suites if not isinstance(s, Suite)]
    if paths:
        from gradeloop.suite import load_suites

        suites.extend(load_suites(paths))
    suites.extend(s for s in eval_suites if isinstance(s, Suite))
    return suites


def scan_contamination(train: Sequence[str | Path | Iterable[Any]], eval_suites: Sequence[Suite | str | Path],
                       *, params: ContamParams | None = None, fields: Sequence[str] | None = None,
                       workers: int | None = None, chunk_size: int = 2000) -> ContamReport:
    """Check every training source against every evaluation case; see `check_contamination`."""
    started = time.perf_counter()
    params = params or ContamParams()
    params.validate()
    if "near" in params.kinds and params.backend is None:
        params = replace(params, backend=default_backend())
    suites = _eval_suites(eval_suites)
    items = eval_items(suites)
    counted = [0]

    def all_docs() -> Iterator[TrainDoc]:
        for n, source in enumerate(train, 1):
            label = str(source) if isinstance(source, (str, Path)) else f"<train {n}>"
            for doc in iter_docs(source, label=label, fields=fields):
                counted[0] += 1
                yield doc

    chunks = _chunks(all_docs(), chunk_size)
    hits = [h for chunk_hits in _scan_all(items, params, chunks, workers or default_workers()) for h in chunk_hits]
    return ContamReport(hits=hits, docs=counted[0], cases=len(items), params=params,
                        seconds=time.perf_counter() - started,
                        train=[str(s) if isinstance(s, (str, Path)) else f"<train {n}>"
                               for n, s in enumerate(train, 1)],
                        suites=[{"name": s.name, "version": s.version, "split": s.split} for s in suites])


def check_contamination(train: Sequence[str | Path | Iterable[Any]], eval_suites: Sequence[Suite | str | Path],
                        *, jaccard: float = 0.7, ngram: int = 13, containment: float = 0.8, shingle: int = 2,
                        min_words: int = 8, kinds: Sequence[str] = KINDS, fields: Sequence[str] | None = None,
                        workers: int | None = None, backend: str | None = None) -> list[Hit]:
    """Training documents (files, or iterables of texts/rows) that repeat any evaluation case.

    `train`: paths (plain text, JSONL, CSV) or iterables; `eval_suites`: Suites or suite paths.
    """
    params = ContamParams(jaccard=jaccard, containment=containment, ngram=ngram, shingle=shingle,
                          min_words=min_words, kinds=tuple(kinds), backend=backend)
    return scan_contamination(train, eval_suites, params=params, fields=fields, workers=workers).hits


class ContaminationError(InputError):
    """Training data that repeats evaluation cases, refused unless explicitly overridden."""


def refuse_contaminated(hits: Sequence[Hit], purpose: str) -> None:
    """Raise ContaminationError naming the first hit; the caller passes only when there are none."""
    if not hits:
        return
    h = hits[0]
    more = f" (and {len(hits) - 1} more)" if len(hits) > 1 else ""
    raise ContaminationError(f"{purpose}: training data repeats evaluation case {h.suite}/{h.case_id} "
                             f"({h.kind}, {h.measure} {h.score:.2f}){more}; remove it, or override explicitly "
                             "(the override is recorded in the lineage)", file=h.train_file, line=h.train_line)
