"""The adapter registry: every kept adapter under `.gradeloop/adapters/<id>/` with its lineage.

Saved atomically (written to a temporary folder, then renamed); `HEAD-<name>` files point at
the current adapter of each tuning line, so a rollback is one pointer move.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
from pathlib import Path
from typing import Any

from gradeloop.errors import InputError
from gradeloop.files import atomic_write_text
from gradeloop.names import check_path_name

DEFAULT_ADAPTERS = Path(".gradeloop") / "adapters"
LINEAGE = "gradeloop-adapter.json"


def adapter_hash(folder: Path) -> str:
    """Content hash of an adapter's weights and config."""
    h = hashlib.sha256()
    for p in sorted(folder.iterdir()):
        if p.is_file() and p.name != LINEAGE:
            h.update(p.name.encode())
            h.update(p.read_bytes())
    return h.hexdigest()[:16]


class AdapterRegistry:
    """Adapters with lineage (base, parent, data versions, strategy, hyperparameters, seed, metrics)."""

    def __init__(self, root: str | Path = DEFAULT_ADAPTERS) -> None:
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)

    def stage(self, src: Path, name: str) -> tuple[str, Path]:
        """Copy a trained adapter in under its content-addressed id, not yet registered.

        Candidates are evaluated from here, so a kept adapter's runs name its final path.
        """
        adapter_id = f"{check_path_name(name)}-{adapter_hash(src)[:12]}"
        final = self.root / adapter_id
        if not final.exists():
            tmp = self.root / f".tmp-{adapter_id}"
            shutil.rmtree(tmp, ignore_errors=True)
            shutil.copytree(src, tmp)
            os.replace(tmp, final)
        return adapter_id, final

    def commit(self, adapter_id: str, name: str, lineage: dict[str, Any]) -> str:
        """Register a staged adapter with its lineage (atomically) and make it HEAD of its line."""
        folder = self.root / adapter_id
        record = {**lineage, "id": adapter_id, "name": name, "hash": adapter_hash(folder), "created": time.time()}
        atomic_write_text(folder / LINEAGE, json.dumps(record, indent=2, default=str))
        self.set_head(name, adapter_id)
        return adapter_id

    def discard(self, adapter_id: str) -> None:
        """Remove a staged candidate that was rolled back (registered adapters are kept)."""
        folder = self.root / adapter_id
        if folder.is_dir() and not (folder / LINEAGE).exists():
            shutil.rmtree(folder, ignore_errors=True)

    def save(self, src: Path, name: str, lineage: dict[str, Any]) -> str:
        """Stage and register in one step; returns the adapter id."""
        adapter_id, _ = self.stage(src, name)
        return self.commit(adapter_id, name, lineage)

    def path(self, adapter_id: str) -> Path:
        p = self.root / check_path_name(adapter_id, field="adapter")
        if not (p / LINEAGE).is_file():
            raise InputError(f"no adapter {adapter_id!r} in {self.root}", field="adapter")
        return p

    def show(self, adapter_id: str) -> dict[str, Any]:
        return json.loads((self.path(adapter_id) / LINEAGE).read_text())

    def list(self) -> list[dict[str, Any]]:
        out = []
        for p in sorted(self.root.iterdir()):
            if p.is_dir() and (p / LINEAGE).is_file():
                out.append(json.loads((p / LINEAGE).read_text()))
        return sorted(out, key=lambda r: r["created"])

    def head(self, name: str) -> str | None:
        f = self.root / f"HEAD-{check_path_name(name)}"
        return f.read_text().strip() or None if f.is_file() else None

    def set_head(self, name: str, adapter_id: str | None) -> None:
        atomic_write_text(self.root / f"HEAD-{check_path_name(name)}", adapter_id or "")

    def rollback(self, name: str) -> str | None:
        """Point HEAD at the current adapter's parent (None: back to the base model)."""
        current = self.head(name)
        if current is None:
            raise InputError(f"tuning line {name!r} has no current adapter to roll back", field="name")
        parent = self.show(current).get("parent")
        self.set_head(name, parent)
        return parent

    def diff(self, a: str, b: str) -> dict[str, Any]:
        """Lineage fields that differ between two adapters, plus the L2 distance of their weights."""
        la, lb = self.show(a), self.show(b)
        keys = sorted(set(la) | set(lb) - {"id", "created", "hash"})
        fields = {k: {"a": la.get(k), "b": lb.get(k)} for k in keys if la.get(k) != lb.get(k) and k not in
                  ("id", "created", "hash")}
        return {"a": a, "b": b, "fields": fields, "weight_l2": _weight_distance(self.path(a), self.path(b))}


def _weight_distance(a: Path, b: Path) -> float | None:
    try:
        from safetensors.numpy import load_file
    except ImportError:
        return None
    fa, fb = a / "adapter_model.safetensors", b / "adapter_model.safetensors"
    if not (fa.is_file() and fb.is_file()):
        return None
    ta, tb = load_file(str(fa)), load_file(str(fb))
    total = 0.0
    for k in ta.keys() & tb.keys():
        if ta[k].shape == tb[k].shape:
            total += float(((ta[k].astype("float64") - tb[k].astype("float64")) ** 2).sum())
    return total ** 0.5
