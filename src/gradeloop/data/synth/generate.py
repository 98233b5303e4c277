"""Generate synthetic rows: combinatorial slot templates (seeded) and a teacher model."""
from __future__ import annotations

import asyncio
import json
import math
import random
from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

from gradeloop.data.synth.spec import SEED_FIELDS, SLOT, TeacherSpec, TemplateSpec
from gradeloop.data.text import case_text
from gradeloop.errors import InputError
from gradeloop.suite.model import Suite
from gradeloop.targets.base import Generation, Request, SamplingParams, Target

MAX_COMBINATIONS = 1_000_000  # beyond this, a template must say how many to sample (`count`)


@dataclass(frozen=True, slots=True)
class SynthRow:
    """One synthetic training row and where it came from."""

    id: str
    prompt: str
    response: str | None
    tags: Mapping[str, str] = field(default_factory=dict)
    source: str = ""

    @property
    def text(self) -> str:
        """Prompt and response together: what dedupe and contamination checks compare."""
        return self.prompt if self.response is None else f"{self.prompt}\n{self.response}"

    def as_dict(self) -> dict[str, Any]:
        row: dict[str, Any] = {"id": self.id, "prompt": self.prompt}
        if self.response is not None:
            row["response"] = self.response
        row.update({"tags": dict(self.tags), "source": self.source, "synthetic": True})
        return row


def render(template: str, values: Mapping[str, str]) -> str:
    """Fill `{{ slot }}` placeholders; the text is substituted, never evaluated."""
    return SLOT.sub(lambda m: values[m.group(1)], template)


def _seed_values(seeds: Sequence[Suite]) -> list[dict[str, str]]:
    return [{"input": case_text(c), "reference": c.reference or "", "case_id": c.id}
            for s in seeds for c in s.cases]


def combinations(slots: Mapping[str, Sequence[str]], seeds: Sequence[dict[str, str]] | None, count: int | None,
                 rng: random.Random, *, where: str = "") -> list[dict[str, str]]:
    """Every combination of slot values (× seed cases), or a seeded sample of `count`, in a stable order."""
    dims: list[list[dict[str, str]]] = [[{name: v} for v in values] for name, values in slots.items()]
    if seeds is not None:
        dims.append(list(seeds))
    total = math.prod(len(d) for d in dims)
    if total == 0:
        return []
    if count is None and total > MAX_COMBINATIONS:
        raise InputError(f"{total:,} slot combinations; set `count` to sample some", field=f"{where}.count")
    picks = range(total) if count is None or count >= total else sorted(rng.sample(range(total), count))
    out = []
    for index in picks:
        values: dict[str, str] = {}
        for dim in reversed(dims):  # mixed-radix decoding: the last dimension varies fastest
            index, digit = divmod(index, len(dim))
            values.update(dim[digit])
        out.append(values)
    return out


def _uses_seeds(*texts: str | None) -> bool:
    return any(name in SEED_FIELDS for t in texts if t for name in SLOT.findall(t))


def template_rows(name: str, templates: Sequence[TemplateSpec], seeds: Sequence[Suite], seed: int) -> list[SynthRow]:
    """Rows from every template, in template order."""
    rng = random.Random(seed)
    seed_values = _seed_values(seeds)
    rows = []
    for t_index, t in enumerate(templates):
        use = _uses_seeds(t.prompt, t.response, *t.tags.values())
        for c_index, values in enumerate(combinations(t.slots, seed_values if use else None, t.count, rng,
                                                      where=f"generate.templates[{t_index}]")):
            rows.append(SynthRow(id=f"{name}-t{t_index}-{c_index}", prompt=render(t.prompt, values),
                                 response=render(t.response, values) if t.response is not None else None,
                                 tags={k: render(v, values) for k, v in t.tags.items()},
                                 source=f"template[{t_index}]"))
    return rows


async def _generate_all(target: Target, requests: list[Request], batch: int = 32) -> list[Generation]:
    out: list[Generation] = []
    try:
        for start in range(0, len(requests), batch):
            out.extend(await target.generate(requests[start:start + batch]))
    finally:
        await target.aclose()
    return out


def _parse_json_row(text: str) -> tuple[str, str | None] | None:
    body = text.strip()
    if body.startswith("```"):
        body = body.strip("`").removeprefix("json").strip()
    try:
        value = json.loads(body)
    except json.JSONDecodeError:
        return None
    if not isinstance(value, dict) or not isinstance(value.get("prompt"), str) or not value["prompt"].strip():
        return None
    response = value.get("response")
    return value["prompt"], response if isinstance(response, str) else None


def teacher_rows(name: str, spec: TeacherSpec, seeds: Sequence[Suite], seed: int,
                 target: Target | None = None) -> tuple[list[SynthRow], dict[str, int], str]:
    """Rows a teacher model writes; returns (rows, counts of what was dropped, teacher fingerprint)."""
    params = SamplingParams(temperature=spec.temperature, max_tokens=spec.max_tokens)
    if target is None:
        from gradeloop.targets import load_target

        target = load_target(spec.target, params=params)
    rng = random.Random(seed + 1)
    use = _uses_seeds(spec.prompt, spec.input, *spec.tags.values())
    combos = combinations(spec.slots, _seed_values(seeds) if use else None, spec.count, rng,
                          where="generate.teacher")
    requests, meta = [], []
    for c_index, values in enumerate(combos):
        prompt = render(spec.prompt, values)
        for k in range(spec.n):
            requests.append(Request(case_id=f"{name}-teacher-{c_index}-{k}", input=prompt, sample_index=k,
                                    seed=seed * 1_000_003 + c_index * spec.n + k, params=params))
            meta.append(values)
    fingerprint = target.fingerprint()
    generations = asyncio.run(_generate_all(target, requests)) if requests else []
    counts = {"requested": len(requests), "errors": 0, "empty": 0, "unparseable": 0}
    rows = []
    for request, values, gen in zip(requests, meta, generations):
        if gen.error is not None or gen.output is None:
            counts["errors"] += 1
            continue
        text = gen.output.strip()
        if not text:
            counts["empty"] += 1
            continue
        if spec.output == "response":
            prompt, response = render(spec.input or spec.prompt, values), text
        elif spec.output == "prompt":
            prompt, response = text, None
        else:
            parsed = _parse_json_row(text)
            if parsed is None:
                counts["unparseable"] += 1
                continue
            prompt, response = parsed
        rows.append(SynthRow(id=request.case_id, prompt=prompt, response=response,
                             tags={k: render(v, values) for k, v in spec.tags.items()}, source="teacher"))
    return rows, counts, fingerprint
