"""pytest plugin (entry point `pytest11`): `pytest SUITE.yaml --gradeloop-target SPEC`.

Each case becomes a test item (its failure shows the grader's reason, the output and the input),
each suite threshold an item of its own, and with `--gradeloop-baseline RUN` each suite's gate
(the paired comparison against that run, under `--gradeloop-policy`) one more, so `-k`, `-x`, `--lf`, JUnit XML and pytest-xdist work
as for any test. Nothing is collected without `--gradeloop-target`: a repository's own YAML files
stay invisible to pytest unless asked for.

The cases of a suite selected in one process are evaluated together, once, on the first item that
needs them (a threshold item needs the whole suite); under xdist each worker evaluates its own items.
"""
from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from gradeloop.results import CaseResult, RunResult
    from gradeloop.suite.model import Suite

_SUFFIXES = (".yaml", ".yml", ".jsonl", ".csv")
_SUITE_YAML = re.compile(r"^cases\s*:", re.MULTILINE)
_NOT_SUITES = {"gradeloop.yaml", "gradeloop.yml"}


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("gradeloop", "gradeloop suites as tests")
    group.addoption("--gradeloop-target", default=None, metavar="SPEC",
                    help="collect suite files (YAML, JSONL, CSV) as tests and run them on this target "
                         "(a spec or a target named in gradeloop.yaml)")
    group.addoption("--gradeloop-samples", type=int, default=1, metavar="N", help="samples per case")
    group.addoption("--gradeloop-seed", type=int, default=0, metavar="N")
    group.addoption("--gradeloop-concurrency", type=int, default=8, metavar="N")
    group.addoption("--gradeloop-store", default=None, metavar="PATH", help="results store (SQLite)")
    group.addoption("--gradeloop-judge", default=None, metavar="SPEC", help="default judge for llm_judge graders")
    group.addoption("--gradeloop-baseline", default=None, metavar="RUN",
                    help="a baseline run (JSON file, id or latest): each suite gets a `gate` item, the paired "
                         "comparison of the target against it")
    group.addoption("--gradeloop-policy", default=None, metavar="POLICY",
                    help="gate policy for the gate items (a file, or a policy named in gradeloop.yaml)")


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    config = parent.config
    if not config.getoption("gradeloop_target", None):
        return None
    if file_path.suffix.lower() not in _SUFFIXES or file_path.name in _NOT_SUITES:
        return None
    if file_path.suffix.lower() in (".yaml", ".yml"):
        try:  # only YAML files with top-level cases: are suites (not CI workflows or policies)
            if not _SUITE_YAML.search(file_path.read_text(encoding="utf-8", errors="replace")):
                return None
        except OSError:
            return None
    elif not _explicit(config, file_path):  # JSONL/CSV only when named on the command line
        return None
    return SuiteFile.from_parent(parent, path=file_path)


def _explicit(config: pytest.Config, path: Path) -> bool:
    args = {Path(a.split("::")[0]).resolve() for a in config.args}
    return path.resolve() in args


class _Evaluator:
    """Runs each suite's needed cases once per process and keeps the typed result."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.results: dict[tuple[str, frozenset[str]], RunResult] = {}
        self.wanted: dict[str, set[str]] = {}  # suite file -> case ids this process will run
        self.per_item = hasattr(config, "workerinput")  # xdist worker: items arrive one by one

    def store(self) -> str | None:
        path: str | None = self.config.getoption("gradeloop_store")
        worker = getattr(self.config, "workerinput", {}).get("workerid") if self.per_item else None
        if worker:  # one SQLite file per worker: no writer contention between processes
            from gradeloop.api import default_store_path

            base = Path(path) if path else default_store_path()
            return str(base.with_name(f"{base.stem}-{worker}{base.suffix}"))
        return path

    def run(self, file: SuiteFile, case_ids: frozenset[str]) -> RunResult:
        key = (str(file.path), case_ids)
        for (path, ids), result in self.results.items():  # a run that covers these cases will do
            if path == key[0] and case_ids <= ids:
                return result
        from gradeloop.api import evaluate
        from gradeloop.suite.version import suite_version

        suite = file.suite
        cases = tuple(c for c in suite.cases if c.id in case_ids)
        subset = suite if len(cases) == len(suite.cases) else replace(suite, cases=cases)
        if subset is not suite:
            subset = replace(subset, version=suite_version(subset))
        opt = self.config.getoption
        result = evaluate([subset], opt("gradeloop_target"), samples=opt("gradeloop_samples"),
                          seed=opt("gradeloop_seed"), concurrency=opt("gradeloop_concurrency"),
                          store=self.store(), judge=opt("gradeloop_judge"))
        self.results[key] = result
        return result


def _evaluator(config: pytest.Config) -> _Evaluator:
    ev: _Evaluator | None = getattr(config, "_gradeloop_evaluator", None)
    if ev is None:
        ev = _Evaluator(config)
        config._gradeloop_evaluator = ev  # type: ignore[attr-defined]
    return ev


def pytest_collection_finish(session: pytest.Session) -> None:
    """What survived -k / deselection: the cases each suite file must run in this process."""
    ev = _evaluator(session.config)
    for item in session.items:
        if isinstance(item, CaseItem):
            ev.wanted.setdefault(str(item.path), set()).add(item.case_id)
        elif isinstance(item, (ThresholdItem, GateItem)):
            ev.wanted.setdefault(str(item.path), set()).update(c.id for c in item.suite_file.suite.cases)


class SuiteFile(pytest.File):
    """A suite file: one item per case, and one for the suite's threshold when it has one."""

    _suite: Suite | None = None

    @property
    def suite(self) -> Suite:
        if self._suite is None:
            from gradeloop.suite import load_suite

            self._suite = load_suite(self.path)
        return self._suite

    def collect(self) -> Iterator[pytest.Item]:
        from gradeloop.errors import InputError

        try:
            suite = self.suite
        except InputError as exc:
            raise self.CollectError(str(exc)) from None
        for case in suite.cases:
            item = CaseItem.from_parent(self, name=case.id, case_id=case.id)
            item.extra_keyword_matches.update({suite.name, *case.tags.values(),
                                               *(f"{k}_{v}" for k, v in case.tags.items())})
            yield item
        if suite.thresholds.min_pass_rate is not None:
            yield ThresholdItem.from_parent(self, name="threshold")
        if self.config.getoption("gradeloop_baseline"):
            yield GateItem.from_parent(self, name="gate")

    def needed(self, own: set[str]) -> frozenset[str]:
        ev = _evaluator(self.config)
        if ev.per_item:
            return frozenset(own)
        return frozenset(ev.wanted.get(str(self.path), set()) | own)


class GradeloopFailure(Exception):
    """A case or threshold that did not pass; its message is the report."""


class _Item(pytest.Item):
    """What every gradeloop item shares: its suite file, and failures reported as plain text."""

    @property
    def suite_file(self) -> SuiteFile:
        assert isinstance(self.parent, SuiteFile)
        return self.parent

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> str:
        from gradeloop.errors import InputError

        if isinstance(excinfo.value, (GradeloopFailure, InputError)):  # the report, or one line of bad input
            return str(excinfo.value)
        return str(super().repr_failure(excinfo))


class CaseItem(_Item):
    """One case of a suite: passes when every sample passes; errors and ungraded samples fail."""

    def __init__(self, *, case_id: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.case_id = case_id

    def runtest(self) -> None:
        run = _evaluator(self.config).run(self.suite_file, self.suite_file.needed({self.case_id}))
        case = run.case(self.case_id, self.suite_file.suite.name)
        if not case.passed:
            raise GradeloopFailure(describe_case(case))

    def reportinfo(self) -> tuple[Path, int | None, str]:
        return self.path, None, f"{self.suite_file.suite.name}::{self.case_id}"


class ThresholdItem(_Item):
    """A suite's threshold on the whole suite's pass rate (fails closed on missing data)."""

    def runtest(self) -> None:
        suite = self.suite_file.suite
        run = _evaluator(self.config).run(self.suite_file, frozenset(c.id for c in suite.cases))
        result = next(s for s in run.suites if s.name == suite.name)
        tr = result.threshold
        if tr is None or not tr.passed:
            est = result.pass_rate
            value = "no data" if tr is None or tr.value is None else f"{tr.value:.3f}"
            verdict, on = (tr.verdict, tr.on) if tr else ("inconclusive", "mean")
            raise GradeloopFailure(
                f"suite {suite.name}: threshold {verdict}: pass rate ({on}) "
                f"{value} < {suite.thresholds.min_pass_rate} "
                f"(mean {est.mean:.3f} [{est.ci_low:.3f}, {est.ci_high:.3f}] over {est.n_cases} cases)")

    def reportinfo(self) -> tuple[Path, int | None, str]:
        return self.path, None, f"{self.suite_file.suite.name}::threshold"


class GateItem(_Item):
    """The suite's paired comparison against the baseline run; inconclusive fails, as in the CLI."""

    def runtest(self) -> None:
        from gradeloop.api import compare
        from gradeloop.run.results import load_run

        suite = self.suite_file.suite
        run = _evaluator(self.config).run(self.suite_file, frozenset(c.id for c in suite.cases))
        opt = self.config.getoption
        base = load_run(str(opt("gradeloop_baseline")), opt("gradeloop_store"))
        own = [c for c in base.get("cases", ()) if c.get("suite") == suite.name]
        if not own:
            raise GradeloopFailure(f"suite {suite.name}: the baseline run {base.get('run_id')} has none of its "
                                   "cases: nothing to compare (a gate without data never passes)")
        base = {**base, "cases": own, "suites": [s for s in base.get("suites", ()) if s.get("name") == suite.name]}
        mine = run.to_json()
        mine["cases"] = [c for c in mine["cases"] if c.get("suite") == suite.name]
        cmp = compare(base, mine, opt("gradeloop_policy"))
        if not cmp.passed:
            lines = [f"suite {suite.name}: gate {cmp.verdict} against {base.get('run_id')}"
                     + (f": {', '.join(cmp.failing)}" if cmp.failing else "")]
            lines += [f"  {c.kind} {c.scope}: {c.message}" for c in cmp.checks if not c.passed]
            raise GradeloopFailure("\n".join(lines))

    def reportinfo(self) -> tuple[Path, int | None, str]:
        return self.path, None, f"{self.suite_file.suite.name}::gate"


def _excerpt(text: str | None, limit: int = 400) -> str:
    if text is None:
        return "(no output)"
    text = text.strip()
    return text if len(text) <= limit else text[:limit] + f" … ({len(text)} chars)"


def describe_case(case: CaseResult) -> str:
    """A failing case as a test report: verdict per sample, grader reasons, output and input."""
    bad = [s for s in case.samples if s.passed is not True]
    lines = [f"case {case.id} (suite {case.suite}) did not pass: {len(bad)} of {len(case.samples)} sample(s)"]
    for s in bad[:3]:
        failing = [f"{g.grader}: {g.reason}" if g.reason else g.grader for g in s.grades if g.passed is False]
        if s.error or not failing:
            failing.insert(0, s.first_reason or "failed")
        lines.append(f"  sample {s.index}: {failing[0]}")
        lines.extend(f"             {more}" for more in failing[1:])
        lines.append("    output: " + _excerpt(s.output).replace("\n", "\n            "))
    prompt = case.input if isinstance(case.input, str) else (
        "\n".join(f"{m.get('role')}: {m.get('content')}" for m in case.input) if case.input else None)
    if prompt:
        lines.append("  input: " + _excerpt(prompt, 200).replace("\n", "\n         "))
    if case.tags:
        lines.append("  tags: " + ", ".join(f"{k}={v}" for k, v in case.tags.items()))
    return "\n".join(lines)
