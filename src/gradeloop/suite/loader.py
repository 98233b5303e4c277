"""Load suites from files and folders, choosing the format by extension."""
from __future__ import annotations

from pathlib import Path
from typing import Callable, Sequence

from gradeloop.errors import InputError
from gradeloop.suite.csv_loader import parse_csv
from gradeloop.suite.jsonl_loader import parse_jsonl
from gradeloop.suite.model import Suite
from gradeloop.suite.text import read_text
from gradeloop.suite.yaml_loader import parse_yaml

Parser = Callable[..., Suite]
FORMATS: dict[str, Parser] = {".yaml": parse_yaml, ".yml": parse_yaml, ".jsonl": parse_jsonl,
                              ".csv": parse_csv}
_KNOWN = ", ".join(f"*{ext}" for ext in FORMATS)


def load_suite(path: str | Path, *, split: str | None = None) -> Suite:
    """One suite file. `split` labels files that declare none (JSONL, CSV); it never relabels one."""
    p = Path(path)
    parser = FORMATS.get(p.suffix.lower())
    if parser is None:
        raise InputError(f"unknown suite format {p.suffix or '(no extension)'!r}; expected {_KNOWN}",
                         file=str(p))
    return parser(read_text(p), str(p), split=split)


def suite_files(path: str | Path) -> list[Path]:
    """The suite files under a folder (recursively, sorted; hidden folders skipped) or the file itself."""
    p = Path(path)
    if not p.exists():
        raise InputError("no such file or folder", file=str(p))
    if not p.is_dir():
        return [p]
    files = sorted(f for f in p.rglob("*") if f.suffix.lower() in FORMATS and f.is_file()
                   and not any(part.startswith(".") for part in f.relative_to(p).parts))
    if not files:
        raise InputError(f"no suite files ({_KNOWN}) in this folder", file=str(p))
    return files


def load_suites(paths: Sequence[str | Path] | str | Path, *, split: str | None = None) -> list[Suite]:
    """Every suite in the given files and folders; two suites with the same name are refused."""
    if isinstance(paths, (str, Path)):
        paths = [paths]
    if not paths:
        raise InputError("no suite files given")
    suites: list[Suite] = []
    seen_files: set[Path] = set()
    names: dict[str, str] = {}
    for path in paths:
        for file in suite_files(path):
            resolved = file.resolve()
            if resolved in seen_files:  # the same file reached twice (a folder and a file in it)
                continue
            seen_files.add(resolved)
            suite = load_suite(file, split=split)
            if suite.name in names:
                raise InputError(f"two suites are named '{suite.name}': {names[suite.name]} and {file}",
                                 file=str(file), field="name")
            names[suite.name] = str(file)
            suites.append(suite)
    return suites
