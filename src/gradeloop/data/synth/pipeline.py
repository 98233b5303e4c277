"""`gradeloop synth`: spec → generate → filter → dedupe → mix → a registered dataset.

The output records its full provenance (spec hash, seed, teacher, what every filter and
dedupe step removed, the evaluation suites it was checked against, the mix per slice), and
its lineage edges point at the exact seed-suite and pool versions it came from.
"""
from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Iterable, Sequence

from gradeloop.files import atomic_open
from gradeloop.data.contam import ContamParams, Hit, refuse_contaminated, scan_contamination
from gradeloop.data.holdout import HoldoutError, assert_trainable
from gradeloop.data.readers import TrainDoc
from gradeloop.data.registry import DatasetRecord, Registry
from gradeloop.data.synth.filters import apply_filters
from gradeloop.data.synth.generate import SynthRow, teacher_rows, template_rows
from gradeloop.data.synth.mix import choose, mix_report, pool_rows, row_tags, slice_key, synthetic_quota
from gradeloop.data.synth.spec import SynthSpec, load_spec
from gradeloop.graders.base import JudgeFactory
from gradeloop.suite.model import Case, Suite
from gradeloop.targets.base import Target

_SYNTHETIC = "<synthetic>"


@dataclass(frozen=True)
class SynthResult:
    """The registered output, the synthetic-only set when one was written, and the provenance."""

    record: DatasetRecord
    synthetic_record: DatasetRecord | None
    output: Path
    rows: int
    provenance: dict[str, Any]


def _docs(rows: Sequence[SynthRow]) -> list[TrainDoc]:
    return [TrainDoc(_SYNTHETIC, i, r.text, (r.prompt, r.response) if r.response is not None else ())
            for i, r in enumerate(rows, 1)]


def _as_suite(rows: Sequence[SynthRow]) -> Suite:
    return Suite(name=_SYNTHETIC, cases=tuple(Case(id=r.id, input=r.text) for r in rows), split="train")


def dedupe_within(rows: Sequence[SynthRow], params: ContamParams, workers: int | None) -> list[SynthRow]:
    """Keep the first of every group of exact or near duplicates, in row order."""
    if len(rows) < 2:
        return list(rows)
    position = {r.id: i for i, r in enumerate(rows)}
    report = scan_contamination([_docs(rows)], [_as_suite(rows)], params=params, workers=workers)
    earlier: dict[int, set[int]] = {}
    for hit in report.hits:
        a, b = hit.train_line - 1, position[hit.case_id]
        if a != b:
            earlier.setdefault(max(a, b), set()).add(min(a, b))
    dropped: set[int] = set()
    for j in sorted(earlier):
        if any(i not in dropped for i in earlier[j]):
            dropped.add(j)
    return [r for i, r in enumerate(rows) if i not in dropped]


def drop_matching(rows: Sequence[SynthRow], train: Sequence[Path], params: ContamParams,
                  workers: int | None) -> list[SynthRow]:
    """Rows that no document of the training files duplicates (exactly or nearly)."""
    if not rows or not train:
        return list(rows)
    report = scan_contamination(list(train), [_as_suite(rows)], params=params, workers=workers)
    hit_ids = {h.case_id for h in report.hits}
    return [r for r in rows if r.id not in hit_ids]


def drop_contaminated(rows: Sequence[SynthRow], suites: Sequence[Suite], params: ContamParams,
                      workers: int | None) -> tuple[list[SynthRow], list[Hit]]:
    """Rows that repeat no evaluation case, and the hits of those that did."""
    if not rows or not suites:
        return list(rows), []
    hits = scan_contamination([_docs(rows)], list(suites), params=params, workers=workers).hits
    bad = {h.train_line for h in hits}
    return [r for i, r in enumerate(rows, 1) if i not in bad], hits


def _eval_suites(spec: SynthSpec, registry: Registry) -> list[Suite]:
    listed: list[Suite] = []
    if spec.dedupe.suites:
        from gradeloop.suite import load_suites

        listed = load_suites(list(spec.dedupe.suites))
    names = {s.name for s in listed}
    registered = registry.eval_suites(exclude=names) if spec.dedupe.registered_suites else []
    return [s for s in listed + registered if s.split != "train"]


def _scan_pool(pool: Path, purpose: str, slice_by: Sequence[str]) -> Counter[str]:
    """Refuse holdout rows in the pool; count its rows per slice."""
    slices: Counter[str] = Counter()
    for number, row in pool_rows(pool):
        if row.get("split") == "holdout":
            raise HoldoutError(f"{purpose} refused: pool row is marked split: holdout", file=str(pool),
                               line=number, field="split")
        slices[slice_key(row_tags(row), slice_by)] += 1
    return slices


def _write_jsonl(path: Path, pool: Path | None, rows: Iterable[SynthRow]) -> int:
    """Write pool lines (verbatim) then synthetic rows, atomically; returns the row count."""
    count = 0
    with atomic_open(path) as out:
        if pool is not None:
            with pool.open("r", encoding="utf-8") as src:
                for line in src:
                    if line.strip():
                        out.write(line if line.endswith("\n") else line + "\n")
                        count += 1
        for row in rows:
            out.write(json.dumps(row.as_dict(), ensure_ascii=False) + "\n")
            count += 1
    return count


def _brief(h: Hit) -> dict[str, Any]:
    return {"kind": h.kind, "score": round(h.score, 3), "train": f"{h.train_file}:{h.train_line}",
            "eval": f"{h.suite}/{h.case_id}"}


def run_synth(spec: SynthSpec | str | Path, *, registry: Registry | None = None, allow_contaminated: bool = False,
              teacher: Target | None = None, judge_factory: JudgeFactory | None = None,
              workers: int | None = None) -> SynthResult:
    """Run the whole pipeline and register the output; holdout seeds or pools are refused.

    A contaminated pool is refused too unless `allow_contaminated`, which is recorded.
    """
    spec = spec if isinstance(spec, SynthSpec) else load_spec(spec)
    own = registry is None
    registry = registry if registry is not None else Registry(spec.registry)
    try:
        return _run(spec, registry, allow_contaminated, teacher, judge_factory, workers)
    finally:
        if own:
            registry.close()


def _run(spec: SynthSpec, registry: Registry, allow_contaminated: bool, teacher: Target | None,
         judge_factory: JudgeFactory | None, workers: int | None) -> SynthResult:
    from gradeloop.suite import load_suite

    purpose = f"synthetic generation ({spec.name})"
    seeds = [load_suite(p) for p in spec.seeds]
    assert_trainable(seeds, purpose, registry=registry)
    pool = spec.mix.pool
    pool_counts: Counter[str] = Counter()
    if pool is not None:
        assert_trainable(pool, purpose, registry=registry)
        pool_counts = _scan_pool(pool, purpose, spec.mix.slice_by)

    rows = template_rows(spec.name, spec.templates, seeds, spec.seed)
    generated: dict[str, Any] = {"templates": len(rows)}
    teacher_info = None
    if spec.teacher is not None:
        t_rows, counts, fingerprint = teacher_rows(spec.name, spec.teacher, seeds, spec.seed, teacher)
        rows += t_rows
        generated["teacher"] = {**counts, "rows": len(t_rows)}
        teacher_info = {"target": spec.teacher.target, "fingerprint": fingerprint}
    total = len(rows)
    rows, filters = apply_filters(rows, spec.filter, name=spec.name, source=spec.path, judge_factory=judge_factory)

    contam = ContamParams(jaccard=spec.dedupe.jaccard, containment=spec.dedupe.containment)
    dup = replace(contam, kinds=("exact", "near"))
    before = len(rows)
    rows = dedupe_within(rows, dup, workers)
    dedupe: dict[str, Any] = {"jaccard": spec.dedupe.jaccard, "containment": spec.dedupe.containment,
                              "within": before - len(rows)}
    train_files = list(dict.fromkeys(([pool] if pool else []) + list(spec.dedupe.against)))
    before = len(rows)
    rows = drop_matching(rows, train_files, dup, workers)
    dedupe["train"] = before - len(rows)
    suites = _eval_suites(spec, registry)
    rows, hits = drop_contaminated(rows, suites, contam, workers)
    dedupe["eval"] = len({h.train_line for h in hits})

    override = None
    if pool is not None and suites:
        pool_hits = scan_contamination([pool], suites, params=contam, workers=workers).hits
        if pool_hits and not allow_contaminated:
            refuse_contaminated(pool_hits, purpose)
        if pool_hits:
            override = {"allowed": True, "hits": len(pool_hits), "first": [_brief(h) for h in pool_hits[:20]]}

    quota = synthetic_quota(sum(pool_counts.values()), len(rows), spec.mix.max_share) if pool else len(rows)
    chosen = choose(rows, quota, spec.mix.slice_by, spec.seed)
    mix = mix_report(pool_counts, chosen, spec.mix.slice_by, spec.mix.max_share if pool else 1.0, len(rows))

    seed_ids = [registry.add(s).id for s in seeds]
    parents = [(sid, "seeded_from") for sid in seed_ids]
    pool_id = registry.add(pool, kind="train").id if pool is not None else None
    provenance: dict[str, Any] = {
        "spec": str(spec.path), "spec_hash": spec.spec_hash, "seed": spec.seed, "teacher": teacher_info,
        "generated": {**generated, "total": total}, "filters": filters, "dedupe": dedupe,
        "eval_suites": [{"name": s.name, "version": s.version, "split": s.split} for s in suites],
        "contamination_override": override, "mix": mix}
    synthetic_record = None
    if spec.synthetic_output is not None:
        _write_jsonl(spec.synthetic_output, None, rows)
        synthetic_record = registry.add(spec.synthetic_output, kind="synthetic", parents=parents,
                                        meta={**provenance, "mix": None, "role": "synthetic rows before mixing"})
        parents = [(synthetic_record.id, "mixed")]
    if pool_id is not None:
        parents.append((pool_id, "mixed"))
    written = _write_jsonl(spec.output, pool, chosen)
    record = registry.add(spec.output, kind="synthetic", parents=parents, meta=provenance, name=spec.name)
    return SynthResult(record=record, synthetic_record=synthetic_record, output=spec.output, rows=written,
                       provenance=provenance)
