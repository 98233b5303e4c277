"""The run engine: suite × target × sampling settings × samples per case → stored samples.

It schedules work in chunks of the target's batch size, at most `concurrency` chunks in
flight, serves unchanged generations from the cache, grades every output with the suite's
graders and commits each chunk to the store, so a killed run resumes where it stopped.
"""
from __future__ import annotations

import asyncio
import hashlib
import json
import math
import secrets
import time
from dataclasses import dataclass, field
from typing import AsyncIterator, Callable, Sequence

from gradeloop.graders import build_graders, combine, safe_grade
from gradeloop.graders.base import Grade, Grader, JudgeFactory
from gradeloop.run.executor import Executor, LocalExecutor
from gradeloop.run.store import Store
from gradeloop.suite.model import Case, Suite
from gradeloop.targets.base import Generation, Request, SamplingParams, Target
from gradeloop.tools.calls import Reply, calls_json, parse_calls


@dataclass(frozen=True)
class RunConfig:
    """How to sample: samples per case, seed, concurrency, sampling parameters, cache use."""

    samples: int = 1
    seed: int = 0
    concurrency: int = 8
    params: SamplingParams = field(default_factory=SamplingParams)
    use_cache: bool = True
    agent_steps: int | None = None  # overrides the `agent.steps` of suites that run as agents

    def as_dict(self) -> dict:
        d = {"samples": self.samples, "seed": self.seed, "params": self.params.as_dict()}
        if self.agent_steps is not None:  # only when set, so other runs keep their keys
            d["agent_steps"] = self.agent_steps
        return d


@dataclass
class RunOutcome:
    """What a call of the engine did: which run, and where each sample came from."""

    run_id: str
    resumed: bool
    total: int
    already_done: int
    generated: int = 0
    from_cache: int = 0
    target_errors: int = 0
    grader_errors: int = 0


@dataclass(frozen=True, slots=True)
class _Work:
    suite: Suite
    case: Case
    graders: tuple[Grader, ...]
    sample_index: int


def sample_seed(seed: int, suite: str, case_id: str, sample_index: int) -> int:
    """A per-sample seed that does not depend on batching or order, so runs reproduce."""
    digest = hashlib.sha256(f"{seed}:{suite}:{case_id}:{sample_index}".encode()).digest()
    return int.from_bytes(digest[:4], "big")


def run_key(fingerprint: str, suites: Sequence[Suite], config: RunConfig) -> str:
    """Identity of a run: the same command on the same data resumes the same run."""
    payload = json.dumps({"target": fingerprint, "suites": [(s.name, s.version) for s in suites],
                          **config.as_dict()}, sort_keys=True)
    return hashlib.sha256(payload.encode()).hexdigest()[:24]


def cache_key(fingerprint: str, case_input: object, sample_index: int, seed: int, params: SamplingParams) -> str:
    """Content address of one generation: who answers, what exactly was asked, which sample."""
    payload = json.dumps([fingerprint, case_input, sample_index, seed, params.as_dict()], sort_keys=True, default=list)
    return hashlib.sha256(payload.encode()).hexdigest()


def new_run_id() -> str:
    return time.strftime("%Y%m%d-%H%M%S") + "-" + secrets.token_hex(3)


def _logprob_signals(logprobs: list[float] | None) -> dict[str, float]:
    if not logprobs:
        return {}
    mean = sum(logprobs) / len(logprobs)
    # A log-probability is at most 0; a server (or a replay file) sending more must not overflow exp().
    return {"logprob_mean": mean, "logprob_min": min(logprobs), "p_mean": math.exp(min(mean, 0.0))}


def _grade(case: Case, graders: Sequence[Grader], output: str) -> tuple[list[Grade], bool | None, float | None,
                                                                         str | None, dict[str, float]]:
    """Every grader's Grade, the sample's verdict and score, its first grader error and grader signals."""
    grades = [safe_grade(g, case, output) for g in graders]
    passed, score = combine(graders, grades)
    if passed is not None:  # no grade is an error
        error = None
    else:
        error = next((f"{g.grader}: {g.error}" for g in grades if g.error is not None), None)
    signals: dict[str, float] = {}
    for g in grades:
        extra = g.signals
        if extra:
            signals.update({f"{g.grader}.{k}": float(v) for k, v in extra.items()})
    return grades, passed, score, error, signals


def grade_output(case: Case, graders: Sequence[Grader], output: str) -> tuple[bool | None, float | None, list[dict], str | None, dict]:
    """Grade one output with every grader; a grader error makes the sample neither pass nor fail."""
    grades, passed, score, error, signals = _grade(case, graders, output)
    return passed, score, [g.as_dict() for g in grades], error, signals


class _GradeText:
    """JSON text of grades, reused for the same Grade object: keyword graders return shared instances.

    Keyed by id() with the Grade kept alive in the entry, so an id is never reused while cached;
    grades with signals (mutable mappings) are encoded every time.
    """

    def __init__(self, limit: int = 4096) -> None:
        self.memo: dict[int, tuple[Grade, str]] = {}
        self.limit = limit

    def encode(self, grades: Sequence[Grade]) -> str:
        parts = []
        memo = self.memo
        for g in grades:
            hit = memo.get(id(g))
            if hit is None or hit[0] is not g:
                hit = (g, json.dumps(g.as_dict()))
                if g.signals is None:
                    if len(memo) >= self.limit:
                        memo.clear()
                    memo[id(g)] = hit
            parts.append(hit[1])
        return "[" + ", ".join(parts) + "]"


class Engine:
    """Runs suites against a target into a store; one instance per run."""

    def __init__(self, suites: Sequence[Suite], target: Target, store: Store, config: RunConfig = RunConfig(),
                 *, judge_factory: JudgeFactory | None = None,
                 on_progress: Callable[[int, int], None] | None = None, close_target: bool = True,
                 lock_wait: float = 0.0, executor: Executor | None = None) -> None:
        self.close_target = close_target
        self.executor: Executor = executor if executor is not None else LocalExecutor()  # where chunks run
        self.lock_wait = lock_wait  # seconds to wait for another process generating the same run
        self.suites = list(suites)
        self.target = target
        self.store = store
        self.config = config
        self.on_progress = on_progress
        self._grade_text = _GradeText()
        # Build (and so validate) every grader before any generation is paid for.
        if judge_factory is None:  # the project's judges, as every entry point builds them
            from gradeloop.targets.judge import judge_factory
        self.judge_factory = judge_factory  # remote executors build their graders with it too
        self.graders = {(s.name, c.id): build_graders(s, c, judge_factory=judge_factory)
                        for s in self.suites for c in s.cases}
        self.agents = agent_targets(self.suites, target, config.agent_steps)

    def prepare(self) -> tuple[str, bool, list[_Work], int]:
        fingerprint = self.target.fingerprint()
        key = run_key(fingerprint, self.suites, self.config)
        run_id = self.store.unfinished_run(key)
        resumed = run_id is not None
        if run_id is None:
            run_id = new_run_id()
            suites_meta = [{"name": s.name, "version": s.version, "split": s.split, "source": s.source,
                            "thresholds": s.thresholds.as_dict()}
                           for s in self.suites]
            self.store.create_run(run_id, key, self.target.spec, fingerprint, self.config.as_dict(), suites_meta)
            self.store.add_cases(run_id, (
                (s.name, c.id, i, dict(c.tags), c.parent, c.expect,
                 c.input if isinstance(c.input, str) else [dict(m) for m in c.input], c.reference,
                 dict(c.metadata))
                for s in self.suites for i, c in enumerate(s.cases)))
        done = self.store.done_keys(run_id)
        work = [_Work(s, c, self.graders[(s.name, c.id)], k)
                for s in self.suites for c in s.cases for k in range(self.config.samples)
                if (s.name, c.id, k) not in done]
        return run_id, resumed, work, len(done)

    async def arun(self) -> RunOutcome:
        """Run (or resume) under the run's lock: a second process on the same run gets RunBusy (exit 2)."""
        key = run_key(self.target.fingerprint(), self.suites, self.config)
        with self.store.run_lock(key, wait=self.lock_wait):
            return await self._arun_locked()

    async def _arun_locked(self) -> RunOutcome:
        run_id, resumed, work, already = self.prepare()
        outcome = RunOutcome(run_id, resumed, total=len(work) + already, already_done=already)
        batch = max(1, int(getattr(self.target, "batch_size", 16)))
        chunks = [work[i:i + batch] for i in range(0, len(work), batch)]
        gate = asyncio.Semaphore(max(1, self.config.concurrency))
        finished = already
        if self.on_progress:
            self.on_progress(finished, outcome.total)

        def deliver(rows: list[tuple]) -> None:
            """Store finished samples as they arrive: a chunk may come back in several parts."""
            nonlocal finished
            if not rows:
                return
            self.store.add_sample_rows(rows)
            finished += len(rows)
            if self.on_progress:
                self.on_progress(finished, outcome.total)

        async def one(chunk: list[_Work]) -> None:
            async with gate:
                await self.executor.run_chunk(self, run_id, chunk, outcome, deliver)

        try:
            if chunks:
                await self.executor.start(self)
            await asyncio.gather(*(one(c) for c in chunks))
        finally:
            await self.executor.aclose()
            if self.close_target:
                await self.target.aclose()
        self.store.finish_run(run_id)
        return outcome

    def run(self) -> RunOutcome:
        return asyncio.run(self.arun())

    def _requests(self, chunk: Sequence[_Work]) -> list[Request]:
        cfg = self.config
        return [Request(w.case.id, w.case.input, w.sample_index,
                        sample_seed(cfg.seed, w.suite.name, w.case.id, w.sample_index), cfg.params,
                        w.case.tools, w.case.tool_choice, case=w.case)
                for w in chunk]

    def cache_keys(self, chunk: Sequence[_Work]) -> list[str]:
        """The chunk's cache keys; [] when the cache is off or the target's outputs are not cacheable."""
        if not (self.config.use_cache and getattr(self.target, "cacheable", False)):
            return []
        return _keys(self.target.fingerprint(), self._requests(chunk))

    async def stream_chunk(self, run_id: str, chunk: list[_Work], outcome: RunOutcome) -> AsyncIterator[list[tuple]]:
        """The chunk's rows in parts, each as soon as it is done (a Ray worker sends each on its way).

        A target whose requests are answered one by one (`independent_requests`: an HTTP endpoint, a
        Python function) gives a part per finished sample (those finished together come as one
        part); one that generates a batch at once (a local model) gives the whole chunk. (In this
        process the local executor runs whole chunks: per sample, a trivial function's run costs
        twice the CPU, 89 against 49 µs a sample in bench/eval_throughput.py.)
        """
        if not (getattr(self.target, "independent_requests", False) and len(chunk) > 1):
            yield await self._run_chunk(run_id, chunk, outcome)
            return
        pending = {asyncio.ensure_future(self._run_chunk(run_id, [w], outcome)) for w in chunk}
        try:
            while pending:
                done, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
                yield [row for task in done for row in task.result()]
        finally:
            for task in pending:  # cancelled, or the consumer stopped: nothing runs on unobserved
                task.cancel()

    async def _run_chunk(self, run_id: str, chunk: list[_Work], outcome: RunOutcome) -> list[tuple]:
        cfg = self.config
        fingerprint = self.target.fingerprint()
        requests = self._requests(chunk)
        use_cache = cfg.use_cache and getattr(self.target, "cacheable", False)
        gens: list[Generation | None] = [None] * len(chunk)
        keys: list[str] = []
        if self.agents:  # agent suites run their loop (never cached); the rest as usual
            by_suite: dict[str, list[int]] = {}
            for i, w in enumerate(chunk):
                if w.suite.name in self.agents:
                    by_suite.setdefault(w.suite.name, []).append(i)
            for name, idx in by_suite.items():
                for i, g in zip(idx, await self.agents[name].generate([requests[i] for i in idx])):
                    gens[i] = g
        if use_cache:
            keys = _keys(fingerprint, requests)
            hits = self.store.cache_get_many(keys)
            for i, k in enumerate(keys):
                if k in hits and gens[i] is None:
                    out, lp, usage, sig, calls = hits[k]
                    gens[i] = Generation(output=out, logprobs=json.loads(lp) if lp else None,
                                         usage=json.loads(usage) if usage else None,
                                         signals=json.loads(sig) if sig else {}, cached=True,
                                         tool_calls=parse_calls(json.loads(calls)) if calls else ())
        missing = [i for i, g in enumerate(gens) if g is None]
        if missing:
            fresh = await self.target.generate([requests[i] for i in missing])
            for i, g in zip(missing, fresh):
                gens[i] = g
            if use_cache:
                self.store.cache_put_many(
                    (keys[i], fingerprint, g.output, g.logprobs, dict(g.usage) if g.usage else None, g.signals,
                     calls_json(g.tool_calls))
                    for i, g in zip(missing, fresh) if g.error is None and g.output is not None)
        blocking = any(getattr(g, "blocking", False) for w in chunk for g in w.graders)
        if blocking:
            return await asyncio.to_thread(self._grade_chunk, run_id, chunk, gens, outcome)
        return self._grade_chunk(run_id, chunk, gens, outcome)

    def _grade_chunk(self, run_id: str, chunk: list[_Work], gens: list[Generation | None],
                     outcome: RunOutcome) -> list[tuple]:
        """Grade every output and encode its store row (the samples table's columns, in order)."""
        rows = []
        grade_text = self._grade_text
        for w, g in zip(chunk, gens):
            assert g is not None
            if g.cached:
                outcome.from_cache += 1
            else:
                outcome.generated += 1
            signals = dict(g.signals)
            if g.logprobs:
                signals.update(_logprob_signals(g.logprobs))
            usage = json.dumps(dict(g.usage)) if g.usage else None
            logprobs = None if g.logprobs is None else json.dumps(g.logprobs)
            calls = json.dumps(calls_json(g.tool_calls)) if g.tool_calls else None
            trajectory = json.dumps(list(g.trajectory)) if g.trajectory else None
            if g.error is not None or g.output is None:
                outcome.target_errors += 1
                rows.append((run_id, w.suite.name, w.case.id, w.sample_index, g.output, g.error or "no output",
                             "target", g.latency_s, None, None, "[]", _json_map(signals), logprobs, usage,
                             int(g.cached), calls, trajectory))
                continue
            output = (Reply(g.output, g.tool_calls, g.trajectory, g.steps)
                      if g.tool_calls or g.trajectory or w.case.tools else g.output)
            grades, passed, score, error, grade_signals = _grade(w.case, w.graders, output)
            if grade_signals:
                signals.update(grade_signals)
            if error is not None:
                outcome.grader_errors += 1
            rows.append((run_id, w.suite.name, w.case.id, w.sample_index, g.output, error,
                         "grader" if error else None, g.latency_s, None if passed is None else int(passed), score,
                         grade_text.encode(grades), _json_map(signals), logprobs, usage, int(g.cached), calls,
                         trajectory))
        return rows


def _json_map(values: dict[str, float]) -> str:
    return json.dumps(values) if values else "{}"


def agent_targets(suites: Sequence[Suite], target: Target, steps: int | None) -> dict[str, Target]:
    """Suite name → the agent loop around `target`, for suites with `agent:`; `steps` overrides theirs."""
    from gradeloop.errors import InputError

    agents: dict[str, Target] = {}
    for s in suites:
        if s.agent is None:
            continue
        from gradeloop.tools.agent import AgentTarget
        from gradeloop.tools.execute import ToolModule

        try:
            module = ToolModule.load(s.agent.path or s.agent.tools, timeout=s.agent.timeout)
        except ValueError as exc:
            raise InputError(str(exc), file=s.source, field="agent.tools") from None
        agents[s.name] = AgentTarget(target, module, steps or s.agent.steps)
    if steps is not None and not agents:
        raise InputError("--agent-steps needs a suite with `agent: {tools: FILE.py}` (the tool implementations)",
                         field="agent-steps")
    return agents


def _keys(fingerprint: str, requests: Sequence[Request]) -> list[str]:
    return [cache_key(fingerprint, _cache_input(r), r.sample_index, r.seed or 0, r.params) for r in requests]


def _cache_input(req: Request) -> object:
    """What was asked: the input, plus the tools and tool_choice when the case declares them."""
    if not req.tools and req.tool_choice is None:
        return _jsonable(req.input)  # unchanged for text cases, so their cache entries stay valid
    return {"input": _jsonable(req.input), "tools": [dict(t) for t in req.tools], "tool_choice": req.tool_choice}


def _jsonable(value: object) -> object:
    return value if isinstance(value, str) else [dict(m) for m in value]  # type: ignore[union-attr]
