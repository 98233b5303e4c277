"""Do imported promptfoo suites give promptfoo's own verdicts? One config, both tools, test by test.

Runs promptfoo (npm, installed by bench/setup_peers.sh under bench/.work) on a config with its
`echo` provider (the output is the rendered prompt), imports the same config with
`gradeloop import promptfoo`, evaluates the imported suite with `gradeloop eval` and a `py:`
echo target (the same outputs), and compares pass/fail per (test, prompt).

    .venv/bin/python bench/promptfoo_import_check.py [--config promptfooconfig.yaml ...]

Exit 0 when every verdict agrees, 1 when one differs, 3 when promptfoo is not installed.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PROMPTFOO = ROOT / "bench" / ".work" / "node_modules" / ".bin" / "promptfoo"
DATA = ROOT / "tests" / "importers" / "data" / "promptfoo"
DEFAULT_CONFIGS = (DATA / "promptfooconfig.yaml", DATA / "edge.yaml", DATA / "csv.yaml")
ECHO = '''import json


def echo(prompt):
    """promptfoo's echo provider: the rendered prompt is the output (a chat prompt as its two-space JSON)."""
    return prompt if isinstance(prompt, str) else json.dumps(prompt, indent=2, ensure_ascii=False)
'''


def run_promptfoo(config: Path, work: Path) -> dict[tuple[str, int, str], bool]:
    """promptfoo's verdict per (description, prompt index, rendered prompt)."""
    out = work / "results.json"
    env = dict(os.environ, HOME=str(work), PROMPTFOO_DISABLE_TELEMETRY="1", PROMPTFOO_DISABLE_UPDATE="1",
               PROMPTFOO_CONFIG_DIR=str(work / "pf-config"), NO_COLOR="1")
    proc = subprocess.run([str(PROMPTFOO), "eval", "-c", str(config), "-o", str(out), "--no-write", "--no-cache",
                           "--no-table", "--no-progress-bar"], cwd=config.parent, env=env, capture_output=True,
                          text=True, timeout=600)
    if proc.returncode not in (0, 100):  # 100: some assertion failed
        raise SystemExit(f"promptfoo failed with exit code {proc.returncode}:\n{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}")
    rows = json.loads(out.read_text())["results"]["results"]
    verdicts = {}
    for row in rows:
        desc = (row.get("testCase") or {}).get("description") or ""
        # the echo output is the rendered prompt (results.json shows JSON-looking prompts re-serialised)
        verdicts[(desc, row["promptIdx"], row["response"]["output"])] = bool(row["success"])
    return verdicts


def run_gradeloop(config: Path, work: Path) -> tuple[dict[tuple[str, int, str], bool | None], list[str]]:
    """gradeloop's verdict per (description, prompt index, rendered prompt), via import + eval."""
    sys.path.insert(0, str(ROOT / "src"))
    from gradeloop.importers.promptfoo import import_promptfoo
    from gradeloop.importers.result import write_suite

    result = import_promptfoo(config)
    suite_file = work / "imported.yaml"
    write_suite(result, suite_file)
    (work / "h8_echo_target.py").write_text(ECHO)
    env = dict(os.environ, PYTHONPATH=f"{work}{os.pathsep}{os.environ.get('PYTHONPATH', '')}", NO_COLOR="1")
    run_json = work / "run.json"
    proc = subprocess.run([sys.executable, "-m", "gradeloop.cli", "eval", str(suite_file), "-t",
                           "py:h8_echo_target:echo", "--json", str(run_json), "--store", str(work / "store.db"),
                           "--no-cache", "-q"], cwd=work, env=env, capture_output=True, text=True, timeout=600)
    if not run_json.exists():
        raise SystemExit(f"gradeloop eval failed ({proc.returncode}):\n{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}")
    run = json.loads(run_json.read_text())
    by_id = {c.id: c for c in result.suite.cases}
    verdicts: dict[tuple[str, int, str], bool | None] = {}
    for case in run["cases"]:
        src = by_id[case["id"]]
        prompt_idx = int(src.tags.get("prompt", "p1")[1:]) - 1
        sample = case["samples"][0]
        text = src.input if isinstance(src.input, str) else json.dumps([dict(m) for m in src.input], indent=2,
                                                                       ensure_ascii=False)
        verdicts[(src.metadata.get("description", ""), prompt_idx, text)] = (
            None if sample.get("error") else sample.get("passed"))
    return verdicts, [str(i) for i in result.issues]


def compare(config: Path) -> tuple[int, int, list[str]]:
    """(agreeing, total, lines describing each disagreement)."""
    with tempfile.TemporaryDirectory(prefix="pf-import-") as tmp:
        work = Path(tmp)
        copy = work / "config"
        shutil.copytree(config.parent, copy)
        cfg = copy / config.name
        theirs = run_promptfoo(cfg, work)
        ours, issues = run_gradeloop(cfg, work)
    for issue in issues:
        print("import:", issue)
    diffs = []
    for key in sorted(set(theirs) | set(ours), key=str):
        a, b = theirs.get(key), ours.get(key)
        if a is None or b is None or a != b:
            diffs.append(f"  {key[0]!r} prompt {key[1] + 1}: promptfoo={a} gradeloop={b}")
    total = len(set(theirs) | set(ours))
    print(f"promptfoo: {sum(theirs.values())} passed, {sum(not v for v in theirs.values())} failed")
    return total - len(diffs), total, diffs


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--config", type=Path, action="append", help="promptfoo config (repeatable; default: "
                    "the three configs under tests/importers/data/promptfoo)")
    args = ap.parse_args()
    if not PROMPTFOO.exists():
        print(f"promptfoo is not installed ({PROMPTFOO}); run bench/setup_peers.sh")
        return 3
    failed = False
    for config in args.config or DEFAULT_CONFIGS:
        agree, total, diffs = compare(config.resolve())
        print(f"verdicts agreeing: {agree}/{total} (test x prompt pairs, {config.name})")
        for line in diffs:
            print(line)
        failed |= bool(diffs)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
