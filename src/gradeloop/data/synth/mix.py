"""Mix synthetic rows into a training pool at a bounded share, and report each slice of the mix."""
from __future__ import annotations

import json
import math
import random
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator, Mapping, Sequence

from gradeloop.data.synth.generate import SynthRow
from gradeloop.errors import InputError


@dataclass(frozen=True, slots=True)
class SliceCount:
    pool: int
    synthetic: int

    @property
    def share(self) -> float:
        total = self.pool + self.synthetic
        return self.synthetic / total if total else 0.0


def pool_rows(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """(line, row) of a JSONL training pool; a line that is not a JSON object is an InputError."""
    if path.suffix.lower() not in (".jsonl", ".ndjson"):
        raise InputError("the mix pool must be JSONL (one training row object per line)", file=str(path),
                         field="mix.pool")
    try:
        handle = path.open("r", encoding="utf-8")
    except FileNotFoundError:
        raise InputError("no such file", file=str(path), field="mix.pool") from None
    with handle:
        for number, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                raise InputError(f"malformed JSON: {exc.msg} at column {exc.colno}", file=str(path),
                                 line=number) from None
            if not isinstance(row, dict):
                raise InputError("each line must be a JSON object", file=str(path), line=number)
            yield number, row


def slice_key(tags: Mapping[str, Any], slice_by: Sequence[str]) -> str:
    """`intent=reset,device=phone` for the chosen tags; `all` when no tags are chosen."""
    if not slice_by:
        return "all"
    return ",".join(f"{k}={tags.get(k, '(none)')}" for k in slice_by)


def row_tags(row: Mapping[str, Any]) -> Mapping[str, Any]:
    """A pool row's tags: its `tags` mapping, else its top-level fields."""
    tags = row.get("tags")
    return tags if isinstance(tags, Mapping) else row


def synthetic_quota(pool: int, available: int, max_share: float) -> int:
    """The most synthetic rows that keep their share of the output at or below `max_share`."""
    if max_share >= 1.0:
        return available
    return min(available, math.floor(max_share * pool / (1.0 - max_share) + 1e-9))


def choose(rows: Sequence[SynthRow], quota: int, slice_by: Sequence[str], seed: int) -> list[SynthRow]:
    """`quota` rows drawn per slice in proportion to the slice sizes (largest remainder), seeded."""
    if quota >= len(rows):
        return list(rows)
    by_slice: dict[str, list[SynthRow]] = defaultdict(list)
    for row in rows:
        by_slice[slice_key(row.tags, slice_by)].append(row)
    exact = {k: quota * len(v) / len(rows) for k, v in by_slice.items()}
    take = {k: math.floor(x) for k, x in exact.items()}
    for k in sorted(exact, key=lambda k: (take[k] - exact[k], k))[:quota - sum(take.values())]:
        take[k] += 1
    rng = random.Random(seed)
    chosen: set[str] = set()
    for k in sorted(by_slice):
        members = list(by_slice[k])
        rng.shuffle(members)
        chosen.update(r.id for r in members[:take[k]])
    return [r for r in rows if r.id in chosen]


def mix_report(pool_slices: Counter[str], synthetic: Sequence[SynthRow], slice_by: Sequence[str],
               max_share: float, available: int) -> dict[str, Any]:
    """What the mix contains, overall and per slice."""
    synth_slices = Counter(slice_key(r.tags, slice_by) for r in synthetic)
    slices = {k: SliceCount(pool_slices.get(k, 0), synth_slices.get(k, 0))
              for k in sorted(set(pool_slices) | set(synth_slices))}
    total = SliceCount(sum(pool_slices.values()), len(synthetic))
    return {"pool_rows": total.pool, "synthetic_rows": total.synthetic, "synthetic_available": available,
            "max_share": max_share, "share": round(total.share, 4),
            "slices": {k: {"pool": v.pool, "synthetic": v.synthetic, "share": round(v.share, 4)}
                       for k, v in slices.items()}}
