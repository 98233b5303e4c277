"""The README's Python examples run as written (from the repository root)."""
from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _block(section: str) -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    part = text[text.index(f"## {section}\n"):]
    return re.search(r"```python\n(.*?)```", part, re.S).group(1)


def test_python_section_example_runs(monkeypatch, tmp_path, capsys):
    monkeypatch.chdir(ROOT)
    monkeypatch.setenv("GRADELOOP_STORE", str(tmp_path / "store.db"))
    scope: dict = {}
    exec(compile(_block("Python"), "README.md", "exec"), scope)  # noqa: S102 (our own README)
    out = capsys.readouterr().out
    assert scope["cmp"].verdict == "pass" and scope["run"].pass_rate.n_cases > 50
    assert "Estimate(mean=" in out and (tmp_path / "store.db").exists()  # the store the environment names
