"""Sealed holdouts: evaluated, never trained on, and any edit after sealing is reported.

`assert_trainable` is the one gate every training path calls (the tune loop, synthetic
generation, pair building): a suite whose split is `holdout`, a case or row marked as one,
or anything the registry knows as a holdout raises HoldoutError naming the file and case.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

from gradeloop.data.registry import DatasetRecord, Registry, default_registry_path
from gradeloop.errors import InputError
from gradeloop.suite.model import Case, Suite


class HoldoutError(InputError):
    """Holdout data was handed to something that trains or generates from it."""


@dataclass(frozen=True, slots=True)
class _Known:
    names: frozenset[str]
    sources: frozenset[str]


def _known_holdouts(registry: Registry | None) -> _Known:
    """Names and files the registry knows as holdouts (sealed, or registered with split holdout)."""
    own = registry is None
    if own:
        path = default_registry_path()
        if not path.exists():
            return _Known(frozenset(), frozenset())
        registry = Registry(path)
    assert registry is not None
    try:
        records = [r for r in registry.list("suite") if r.split == "holdout"]
        records += [record for _, record, _ in registry.seals()]
    finally:
        if own:
            registry.close()
    return _Known(frozenset(r.name for r in records), frozenset(r.source for r in records if r.source))


def _resolved(file: str | None) -> str | None:
    return str(Path(file).resolve()) if file else None


def _refuse(purpose: str, what: str, *, file: str | None, line: int | None, case: str | None) -> HoldoutError:
    where = f", case '{case}'" if case else ""
    return HoldoutError(f"{purpose} refused: {what}{where} is holdout data, which may be evaluated but never "
                        "trained or generated from", file=file, line=line, field="split")


def _check_suite(suite: Suite, purpose: str, known: _Known) -> None:
    sealed = suite.name in known.names or _resolved(suite.source) in known.sources
    if suite.split == "holdout" or sealed:
        first = suite.cases[0] if suite.cases else None
        what = f"suite '{suite.name}'" + (" (sealed in the registry)" if sealed and suite.split != "holdout" else "")
        raise _refuse(purpose, what, file=(first.file if first else None) or suite.source,
                      line=first.line if first else None, case=first.id if first else None)


def _check_case(case: Case, purpose: str, known: _Known) -> None:
    if case.metadata.get("split") == "holdout" or (case.file and _resolved(case.file) in known.sources):
        raise _refuse(purpose, "this case", file=case.file, line=case.line, case=case.id)


def _check_row(row: Mapping[str, Any], purpose: str, number: int) -> None:
    if row.get("split") == "holdout":
        raise _refuse(purpose, f"row {number}", file=None, line=None, case=str(row.get("id", "")) or None)


def assert_trainable(data: Any, purpose: str, *, registry: Registry | None = None) -> None:
    """Raise HoldoutError if any of `data` is holdout; returns quietly otherwise.

    `data`: a Suite, a Case, a row (mapping), a file path, or an iterable of those (pass a
    list: an iterator would be consumed). Without `registry`, the default registry is
    consulted when it exists, so a sealed suite stays sealed even if its split is edited.
    """
    known = _known_holdouts(registry)
    items = [data] if isinstance(data, (Suite, Case, Mapping, str, Path)) else data
    for number, item in enumerate(items, 1):
        if isinstance(item, Suite):
            _check_suite(item, purpose, known)
        elif isinstance(item, Case):
            _check_case(item, purpose, known)
        elif isinstance(item, Mapping):
            _check_row(item, purpose, number)
        elif isinstance(item, (str, Path)):
            if _resolved(str(item)) in known.sources:
                raise _refuse(purpose, f"file {item} (a registered holdout)", file=str(item), line=None, case=None)
        else:
            raise InputError(f"cannot tell whether a {type(item).__name__} is holdout data", field="data")


def seal(registry: Registry, path: str | Path) -> DatasetRecord:
    """Register a holdout suite file and record its hash; re-sealing unchanged content is a no-op."""
    from gradeloop.suite import load_suite

    suite = load_suite(path)
    if suite.split != "holdout":
        raise InputError(f"only holdout suites are sealed; '{suite.name}' has split {suite.split!r} "
                         "(set `split: holdout` first)", file=str(path), field="split")
    record = registry.add(path, kind="suite")
    current = {name: rec for name, rec, _ in registry.seals()}.get(record.name)
    if current is None or current.id != record.id:
        registry.seal(record)
    return record


@dataclass(frozen=True, slots=True)
class SealCheck:
    """A sealed holdout compared with its file now: ok, changed, missing or invalid."""

    name: str
    status: str
    sealed: DatasetRecord
    current_hash: str | None
    detail: str = ""

    @property
    def ok(self) -> bool:
        return self.status == "ok"


def verify(registry: Registry) -> list[SealCheck]:
    """Re-hash every sealed holdout; any edit since sealing shows up as a new version."""
    from gradeloop.suite import load_suite, suite_version

    checks = []
    for name, sealed, sealed_at in registry.seals():
        source = sealed.source
        if not source or not Path(source).exists():
            checks.append(SealCheck(name, "missing", sealed, None, f"file {source} is gone"))
            continue
        try:
            suite = load_suite(source)
        except InputError as exc:
            checks.append(SealCheck(name, "invalid", sealed, None, str(exc)))
            continue
        now = suite.version or suite_version(suite)
        if now == sealed.hash:
            checks.append(SealCheck(name, "ok", sealed, now, f"sealed {sealed_at}"))
        else:
            checks.append(SealCheck(name, "changed", sealed, now,
                                    f"sealed as {sealed.hash} on {sealed_at}, now {now}"))
    return checks
