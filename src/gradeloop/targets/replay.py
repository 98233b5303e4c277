"""`replay:FILE.jsonl` — recorded outputs played back, for testing graders and gates offline.

Each line: {"case_id", "output", "sample"?, "confidence"?, "logprobs"?, "tool_calls"?, "step"?}.
`tool_calls` is a list in the plain `{name, arguments}` or OpenAI's wire form (`output` may then be
left out); `step` says which turn of an agent loop the line answers (0 first). A case with no
recorded output is an error of that sample, never a crash.
"""
from __future__ import annotations

import hashlib
import math
from pathlib import Path
from typing import Sequence

from gradeloop import safejson
from gradeloop.errors import InputError
from gradeloop.files import read_input_bytes
from gradeloop.targets.base import Generation, Request
from gradeloop.tools.calls import parse_calls


MAX_SAMPLE_INDEX = 10_000_000  # far past any run; a 5,000-digit `sample` is an input error, not a crash


class ReplayTarget:
    """Answers each request with the output recorded for its case id and sample index."""

    cacheable = False
    batch_size = 512

    def __init__(self, path: str | Path, spec: str | None = None) -> None:
        self.path = Path(path)
        self.spec = spec or f"replay:{path}"
        self._rows: dict[tuple[str, int], dict] = {}
        self._by_case: dict[str, list[dict]] = {}
        self._assigned: dict[str, dict[int, dict]] = {}
        self._steps: dict[tuple[str, int, int], dict] = {}  # (case, sample, agent step >= 1) -> line
        self._digest = self._load()

    def _load(self) -> str:
        raw = read_input_bytes(self.path, what="replay file")  # FIFOs, devices, folders: one InputError
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            line = raw[: exc.start].count(b"\n") + 1
            raise InputError("not valid UTF-8", file=str(self.path), line=line) from None
        for lineno, line in enumerate(text.splitlines(), 1):
            if not line.strip():
                continue
            row = safejson.loads(line, str(self.path), lineno)  # huge ints, deep nesting, lone surrogates
            if not isinstance(row, dict):
                raise InputError("each line must be a JSON object", file=str(self.path), line=lineno)
            case_id = row.get("case_id")
            if not isinstance(case_id, str) or not case_id:
                raise InputError("missing or empty", file=str(self.path), line=lineno, field="case_id")
            try:
                row["_calls"] = parse_calls(row.get("tool_calls"))
            except ValueError as exc:
                field, _, message = str(exc).partition(": ")
                raise InputError(message if message else field, file=str(self.path), line=lineno,
                                 field=field if message else "tool_calls") from None
            if row["_calls"] and row.get("output") is None:
                row["output"] = ""  # a turn that only called tools
            if not isinstance(row.get("output"), str):
                raise InputError("missing or not a string", file=str(self.path), line=lineno, field="output")
            step = row.get("step")
            if step is not None and (not isinstance(step, int) or isinstance(step, bool) or step < 0):
                raise InputError("must be a non-negative integer", file=str(self.path), line=lineno, field="step")
            sample = row.get("sample")
            if sample is not None and (not isinstance(sample, int) or isinstance(sample, bool)
                                       or not 0 <= sample <= MAX_SAMPLE_INDEX):
                raise InputError(f"must be an integer from 0 to {MAX_SAMPLE_INDEX:,}", file=str(self.path),
                                 line=lineno, field="sample")
            if step:  # a later agent turn: answered only to requests of that step (of `sample`, default 0)
                self._steps[(case_id, sample or 0, step)] = row
                continue
            logprobs = row.get("logprobs")
            if logprobs is not None and not (isinstance(logprobs, list) and all(
                    isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) for v in logprobs)):
                raise InputError("must be a list of finite numbers (token log-probabilities)", file=str(self.path),
                                 line=lineno, field="logprobs")
            conf = row.get("confidence")
            if conf is not None and not isinstance(conf, (int, float)):
                raise InputError("must be a number", file=str(self.path), line=lineno, field="confidence")
            self._by_case.setdefault(case_id, []).append(row)
            if sample is not None:
                self._rows[(case_id, sample)] = row
        return hashlib.sha256(raw).hexdigest()[:16]

    def fingerprint(self) -> str:
        return f"replay-{self._digest}"

    def _samples_of(self, case_id: str) -> dict[int, dict]:
        """A case's recorded samples by index: rows with a `sample` keep it, the others take the
        free indices in file order. Nothing cycles: a sample never recorded is an error of that sample."""
        if not self._assigned and self._by_case:
            for (c, i), r in self._rows.items():
                self._assigned.setdefault(c, {})[i] = r
            for c, rows in self._by_case.items():
                taken = self._assigned.setdefault(c, {})
                free = (i for i in range(len(rows) + len(taken) + 1) if i not in taken)
                for r in rows:
                    if r.get("sample") is None:
                        taken[next(free)] = r
        return self._assigned.get(case_id, {})

    @property
    def recorded_samples(self) -> int:
        """The most samples recorded for any case: what a run evaluates by default (issue 11: every
        recorded sample counts; a case with fewer gets errors for the samples it lacks)."""
        return max((len(self._samples_of(c)) for c in self._by_case), default=0)

    def _row_for(self, case_id: str, sample_index: int) -> dict | None:
        return self._samples_of(case_id).get(sample_index)

    async def generate(self, requests: Sequence[Request]) -> list[Generation]:
        out: list[Generation] = []
        for req in requests:
            row = (self._steps.get((req.case_id, req.sample_index, req.step)) if req.step
                   else self._row_for(req.case_id, req.sample_index))
            if row is None:
                have = len(self._samples_of(req.case_id))
                why = (f"no recorded output for case {req.case_id!r}" if not have else
                       f"no recorded output for case {req.case_id!r} sample {req.sample_index} "
                       f"({have} recorded)")
                out.append(Generation(output=None, error=why))
                continue
            signals = {"confidence": float(row["confidence"])} if row.get("confidence") is not None else {}
            out.append(Generation(output=row["output"], logprobs=row.get("logprobs"), signals=signals,
                                  tool_calls=row["_calls"]))
        return out

    async def aclose(self) -> None:
        return None
