"""The built-in probe packs: refusal-boundary and red-team suites shipped as package data.

Packs are ordinary suite YAML files under `gradeloop/probes/packs/`, so `gradeloop packs
export NAME --out FILE` gives a file `gradeloop eval` runs like any other, and a team's own
packs in the same format work with the same reports.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from gradeloop.files import atomic_write_text
from gradeloop.errors import InputError
from gradeloop.suite import Suite, load_suite

PACK_DIR = Path(__file__).parent / "packs"


@dataclass(frozen=True, slots=True)
class PackInfo:
    """One built-in pack: its name, what it probes, how many cases, and its file."""

    name: str
    description: str
    n_cases: int
    version: str
    path: Path

    def as_dict(self) -> dict[str, object]:
        return {"name": self.name, "description": self.description, "n_cases": self.n_cases,
                "version": self.version, "path": str(self.path)}


def pack_names() -> list[str]:
    """Names of the built-in packs (the file stems), sorted."""
    return sorted(p.stem for p in PACK_DIR.glob("*.yaml"))


def pack_path(name: str) -> Path:
    """The file of a built-in pack; an unknown name is an InputError listing the known ones."""
    path = PACK_DIR / f"{name}.yaml"
    if "/" in name or "\\" in name or not path.is_file():
        raise InputError(f"unknown pack {name!r}; known: {', '.join(pack_names())}", field="name")
    return path


def load_pack(name: str) -> Suite:
    """A built-in pack as a Suite (through the ordinary suite loader)."""
    return load_suite(pack_path(name))


def list_packs() -> list[PackInfo]:
    """Every built-in pack with its description and case count."""
    out = []
    for name in pack_names():
        suite = load_pack(name)
        out.append(PackInfo(name, suite.description, len(suite.cases), suite.version, pack_path(name)))
    return out


def export_pack(name: str, out: str | Path) -> Path:
    """Copy a pack's YAML (comments and all) to `out`, atomically; returns the path written."""
    text = pack_path(name).read_text(encoding="utf-8")
    target = Path(out)
    if target.suffix.lower() not in (".yaml", ".yml"):
        raise InputError("packs are YAML suites; give an output path ending in .yaml or .yml", file=str(target))
    if target.is_dir():
        raise InputError("output path is a folder; give a file name", file=str(target))
    return atomic_write_text(target, text)
