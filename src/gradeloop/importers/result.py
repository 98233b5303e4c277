"""What an importer returns: the suite it built and every problem it met, each with file:line.

An importer never drops a check silently: what it cannot map is an `error` issue (the CLI
refuses to write the suite unless `--partial` is given), what it maps with a known difference
is a `warning`. Writing goes through the suite dumper and is checked by loading the file back.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Mapping

from gradeloop.errors import InputError
from gradeloop.suite.model import Suite

Severity = Literal["error", "warning"]


@dataclass(frozen=True, slots=True)
class ImportIssue:
    """One thing an importer could not map (error) or mapped approximately (warning)."""

    severity: Severity
    message: str
    file: str | None = None
    line: int | None = None
    test: str | None = None  # the source test / sample / case it concerns

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}: " if self.file and self.line else (f"{self.file}: " if self.file else "")
        test = f"[{self.test}] " if self.test else ""
        return f"{where}{self.severity}: {test}{self.message}"


@dataclass(frozen=True, slots=True)
class ImportResult:
    """A suite built from another tool's files, the issues met, and side outputs (replay rows, training rows)."""

    suite: Suite
    issues: tuple[ImportIssue, ...] = ()
    replay: tuple[Mapping[str, Any], ...] = ()  # recorded outputs found in the source: {case_id, output}
    training: tuple[Mapping[str, Any], ...] = ()  # training rows the source holds (InstructLab seed examples)
    source_files: tuple[str, ...] = ()

    @property
    def errors(self) -> tuple[ImportIssue, ...]:
        return tuple(i for i in self.issues if i.severity == "error")

    @property
    def warnings(self) -> tuple[ImportIssue, ...]:
        return tuple(i for i in self.issues if i.severity == "warning")


@dataclass
class Issues:
    """Collects issues while an importer walks its source."""

    items: list[ImportIssue] = field(default_factory=list)
    _seen: set[ImportIssue] = field(default_factory=set)

    def error(self, message: str, file: str | None = None, line: int | None = None, test: str | None = None) -> None:
        self._add(ImportIssue("error", message, file, line, test))

    def warn(self, message: str, file: str | None = None, line: int | None = None, test: str | None = None) -> None:
        self._add(ImportIssue("warning", message, file, line, test))

    def _add(self, issue: ImportIssue) -> None:
        if issue not in self._seen:  # met again (another prompt, another var combination): said once
            self._seen.add(issue)
            self.items.append(issue)


def nothing_imported(what: str, issues: Issues, file: str) -> InputError:
    """The error for a source none of whose entries could be imported: it names the first problem."""
    errors = [i for i in issues.items if i.severity == "error"]
    if not errors:
        return InputError(f"no {what} could be imported", file=file)
    first = errors[0]
    more = f" ({len(errors) - 1} more problem(s) after it)" if len(errors) > 1 else ""
    test = f"[{first.test}] " if first.test else ""
    return InputError(f"no {what} could be imported: {test}{first.message}{more}", file=first.file or file,
                      line=first.line)


def write_suite(result: ImportResult, out: str | Path) -> Suite:
    """Write the imported suite (YAML or JSONL by extension) and load it back: what loads is what was meant."""
    from gradeloop.suite import dump_suite, load_suite

    p = Path(out)
    if p.suffix.lower() not in (".yaml", ".yml", ".jsonl"):
        raise InputError("the imported suite must be written as .yaml, .yml or .jsonl", file=str(p), field="--out")
    dump_suite(result.suite, p)
    loaded = load_suite(p)
    from gradeloop.suite.version import suite_content

    if suite_content(loaded) != suite_content(result.suite):  # a dumper/loader mismatch would change the checks
        raise InputError("the written suite does not load back to the same content (a gradeloop bug; please report)",
                         file=str(p))
    return loaded


def check_graders(suite: Suite) -> None:
    """Build every grader of every case once, so a mapping mistake is caught here, not in the first run."""
    from gradeloop.graders.build import build_graders

    def judge_factory(model: str) -> Any:
        return lambda prompt: ""  # building only: no judge is called

    for case in suite.cases:
        build_graders(suite, case, judge_factory=judge_factory)
