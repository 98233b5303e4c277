"""Seeded mutation fuzzing of gradeloop's input files: suites, replay files and run JSON.

Each case takes a valid file and breaks it one way (truncation, a byte flipped, a value of the
wrong type, nesting thousands deep, a YAML alias bomb, another encoding, a 5,000-digit integer, a
lone surrogate escape, a duplicate key...), then runs the command that reads it. The contract
checked (`check_outcome`): exit code 0 or 1 when the mutation left a valid input (its failures
are then recorded per sample), else exit code 2 with one `error:` line that names the file, no
traceback and no "unexpected" error (the CLI's net for bugs). Hangs are caught by the caller
(an alarm in-process, a subprocess timeout in `bench/fuzz.py`).

Used by tests/fuzz (a few hundred cases in `make test`) and bench/fuzz.py (thousands).
"""
from __future__ import annotations

import json
import random
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import yaml

SUITE_YAML = """\
name: fuzzed
description: a suite to break
split: dev
thresholds: {min_pass_rate: 0.5}
defaults:
  graders:
    - type: not_contains
      values: [bypass]
cases:
  - id: reset
    input: Generate API tests for password reset
    tags: {intent: tests, risk: high}
    graders:
      - type: contains_all
        values: [otp, expiry]
  - id: add
    input: What is 12+7?
    reference: "19"
    graders:
      - {type: numeric, value: "{{ reference }}", tolerance: 0}
  - id: chat
    input:
      - {role: system, content: You are terse.}
      - {role: user, content: Say ok}
    expect: answer
    graders:
      - {type: regex, pattern: "^ok"}
      - {type: length, max: 50, unit: chars}
"""
SUITE_JSONL_ROWS: list[dict[str, Any]] = [
    {"suite": {"name": "fuzzed-jsonl", "split": "dev"}},
    {"id": "a", "input": "say otp expiry", "tags": {"k": "v"}, "graders": [{"type": "contains", "value": "otp"}]},
    {"id": "b", "input": [{"role": "user", "content": "hi"}], "reference": "19",
     "graders": [{"type": "exact", "value": "19"}]},
]
REPLAY_ROWS: list[dict[str, Any]] = [
    {"case_id": "reset", "output": "otp expiry lockout", "logprobs": [-0.1, -0.2]},
    {"case_id": "add", "output": "19", "sample": 0, "confidence": 0.9},
    {"case_id": "chat", "output": "ok"},
]

_ODD_VALUES: list[Any] = ["", "x" * 300, 0, -1, 1.5, True, None, [], {}, [1, "a"], {"a": {"b": []}},
                          float("nan"), 10 ** 30, "\u202e\u0000", "[click](https://evil)"]


@dataclass(frozen=True)
class Mutant:
    """One broken file: its name (with the extension that picks the loader), bytes, and how it broke."""

    name: str
    data: bytes
    how: str


# mutations of bytes ---------------------------------------------------------------------------
def _truncate(rng: random.Random, data: bytes) -> tuple[bytes, str]:
    cut = rng.randrange(0, max(1, len(data)))
    return data[:cut], f"truncated at byte {cut}"


def _flip(rng: random.Random, data: bytes) -> tuple[bytes, str]:
    buf = bytearray(data)
    for _ in range(rng.randint(1, 4)):
        if buf:
            buf[rng.randrange(len(buf))] = rng.choice([0x00, 0xff, 0xc3, 0x80, 0x22, 0x7b, 0x5b, 0x3a, 0x0a, 0x26, 0x2a])
    return bytes(buf), "bytes flipped"


def _encoding(rng: random.Random, data: bytes) -> tuple[bytes, str]:
    text = data.decode("utf-8")
    kind = rng.choice(["utf-16", "utf-32", "latin-1", "bom", "cp1252"])
    if kind == "bom":
        return b"\xef\xbb\xbf" + data, "utf-8 with BOM"
    mixed = text.replace("a", "\u00e4", 3)
    return mixed.encode(kind, "replace"), f"encoded as {kind}"


def _json_bytes(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, allow_nan=True).encode("utf-8")


# mutations of structure ------------------------------------------------------------------------
def _paths(value: Any, prefix: tuple = ()) -> list[tuple]:
    out = [prefix]
    if isinstance(value, dict):
        for k, v in value.items():
            out += _paths(v, prefix + (k,))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            out += _paths(v, prefix + (i,))
    return out


def _replace_at(value: Any, path: tuple, new: Any) -> Any:
    if not path:
        return new
    copy = json.loads(json.dumps(value))
    node = copy
    for part in path[:-1]:
        node = node[part]
    node[path[-1]] = new
    return copy


def _wrong_type(rng: random.Random, value: Any) -> tuple[Any, str]:
    path = rng.choice(_paths(value))
    new = rng.choice(_ODD_VALUES)
    return _replace_at(value, path, new), f"{'.'.join(map(str, path)) or '(root)'} = {str(new)[:20]!r}"


def _delete_key(rng: random.Random, value: Any) -> tuple[Any, str]:
    paths = [p for p in _paths(value) if p and isinstance(p[-1], str)]
    if not paths:
        return value, "nothing to delete"
    path = rng.choice(paths)
    copy = json.loads(json.dumps(value))
    node = copy
    for part in path[:-1]:
        node = node[part]
    del node[path[-1]]
    return copy, f"deleted {'.'.join(map(str, path))}"


def _deep_text(depth: int, as_json: bool) -> str:
    return "[" * depth + "1" + "]" * depth if as_json else "[" * depth + "1" + "]" * depth


def _splice_text(rng: random.Random, text: str, insert: str) -> str:
    """Put `insert` where a scalar value stood (after a `: `), or at the end."""
    spots = [i + 2 for i in range(len(text) - 2) if text[i:i + 2] == ": "]
    if not spots:
        return text + insert
    at = rng.choice(spots)
    end = at
    while end < len(text) and text[end] not in ",}\n":
        end += 1
    return text[:at] + insert + text[end:]


def _text_specials(rng: random.Random, text: str, as_json: bool) -> tuple[str, str]:
    kind = rng.choice(["deep", "hugeint", "surrogate", "dupkey", "deep-moderate", "bigfloat"])
    if kind == "deep":
        return _splice_text(rng, text, _deep_text(rng.choice([3000, 5000]), as_json)), "nested 3000+ deep"
    if kind == "deep-moderate":
        return _splice_text(rng, text, _deep_text(rng.choice([70, 150, 900]), as_json)), "nested 70-900 deep"
    if kind == "hugeint":
        return _splice_text(rng, text, "9" * rng.choice([4301, 6000])), "integer over 4,300 digits"
    if kind == "bigfloat":
        return _splice_text(rng, text, "1e999999"), "float overflow"
    if kind == "surrogate":
        lone = rng.choice(["\\ud800", "\\udfff", "\\ud83d"])
        return _splice_text(rng, text, f'"a{lone}b"'), f"lone surrogate {lone}"
    key = '"case_id": "x", "case_id": "y", ' if as_json else ""
    if as_json:
        return text.replace("{", "{" + key, 1), "duplicate key"
    return text.replace("\n  - id: ", "\n  - id: dup\n    id: ", 1), "duplicate key"


def _alias_bomb(levels: int = 9) -> str:
    lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, levels + 1):
        lines.append(f"a{i}: &a{i} [" + ",".join([f"*a{i - 1}"] * 9) + "]")
    return "\n".join(lines) + "\n"


# the three families ------------------------------------------------------------------------------
def suite_mutant(rng: random.Random, index: int) -> Mutant:
    """A broken YAML or JSONL suite."""
    if rng.random() < 0.6:
        text = SUITE_YAML
        name = f"suite{index}.yaml"
        op = rng.choice(["truncate", "flip", "encoding", "wrong_type", "delete", "special", "alias", "tag"])
        if op == "alias":
            bomb = _alias_bomb(rng.choice([6, 9]))
            where = rng.choice(["input", "tags", "graders"])
            data = (bomb + text.replace("input: What is 12+7?", "input: *a5" if where == "input" else
                                        "input: What is 12+7?\n    tags: *a4" if where == "tags" else
                                        "input: What is 12+7?\n    metadata: {x: *a8}")).encode()
            return Mutant(name, data, f"alias bomb in {where}")
        if op == "tag":
            tag = rng.choice(["!!python/object/apply:os.system ['true']", "!!binary aGk=", "!!set {a, b}",
                              "!!timestamp 2001-12-14", "!!float abc", "!!int 0x" + "f" * 5000])
            return Mutant(name, text.replace("What is 12+7?", tag).encode(), f"tag {tag[:30]}")
        if op in ("truncate", "flip", "encoding"):
            data, how = {"truncate": _truncate, "flip": _flip, "encoding": _encoding}[op](rng, text.encode())
            return Mutant(name, data, how)
        if op == "special":
            new_text, how = _text_specials(rng, text, as_json=False)
            return Mutant(name, new_text.encode("utf-8", "surrogatepass"), how)
        value = yaml.safe_load(text)
        value, how = (_wrong_type if op == "wrong_type" else _delete_key)(rng, value)
        return Mutant(name, yaml.safe_dump(value, allow_unicode=True).encode("utf-8", "surrogatepass"), how)
    rows = SUITE_JSONL_ROWS
    name = f"suite{index}.jsonl"
    return _jsonl_mutant(rng, name, rows)


def replay_mutant(rng: random.Random, index: int) -> Mutant:
    """A broken replay file for the suite `SUITE_YAML`."""
    return _jsonl_mutant(rng, f"replay{index}.jsonl", REPLAY_ROWS, replay=True)


def _jsonl_mutant(rng: random.Random, name: str, rows: list[dict], replay: bool = False) -> Mutant:
    text = "".join(json.dumps(r) + "\n" for r in rows)
    op = rng.choice(["truncate", "flip", "encoding", "wrong_type", "wrong_type", "delete", "special", "special",
                     "huge_sample" if replay else "wrong_type", "logprobs" if replay else "special"])
    if op in ("truncate", "flip", "encoding"):
        data, how = {"truncate": _truncate, "flip": _flip, "encoding": _encoding}[op](rng, text.encode())
        return Mutant(name, data, how)
    if op == "special":
        line = rng.randrange(len(rows))
        lines = text.splitlines()
        lines[line], how = _text_specials(rng, lines[line], as_json=True)
        return Mutant(name, ("\n".join(lines) + "\n").encode("utf-8", "surrogatepass"), f"line {line + 1}: {how}")
    if op == "huge_sample":
        bad = rng.choice(["10" * 2500, "1e400", "-3", "true", '"0"', "99999999999999999999"])
        data = text.replace('"sample": 0', f'"sample": {bad}').encode()
        return Mutant(name, data, f"sample = {bad[:20]}")
    if op == "logprobs":
        bad = rng.choice(['"-0.1"', '["a"]', "[NaN]", "{}", "[[1]]", "[true]", "-0.5"])
        return Mutant(name, text.replace("[-0.1, -0.2]", bad).encode(), f"logprobs = {bad}")
    i = rng.randrange(len(rows))
    row, how = (_wrong_type if op == "wrong_type" else _delete_key)(rng, rows[i])
    new_rows = list(rows)
    new_rows[i] = row
    return Mutant(name, b"".join(_json_bytes(r) + b"\n" for r in new_rows), f"line {i + 1}: {how}")


def run_mutant(rng: random.Random, index: int, valid: dict[str, Any]) -> Mutant:
    """A broken run (or compare) JSON file, from a valid document."""
    name = f"run{index}.json"
    text = json.dumps(valid, indent=1)
    op = rng.choice(["truncate", "flip", "encoding", "wrong_type", "wrong_type", "wrong_type", "delete",
                     "delete", "special", "schema"])
    if op in ("truncate", "flip", "encoding"):
        data, how = {"truncate": _truncate, "flip": _flip, "encoding": _encoding}[op](rng, text.encode())
        return Mutant(name, data, how)
    if op == "special":
        new_text, how = _text_specials(rng, text, as_json=True)
        return Mutant(name, new_text.encode("utf-8", "surrogatepass"), how)
    if op == "schema":
        bad = rng.choice([None, "gradeloop.run/v0", "gradeloop.compare/v1", 1, "gradeloop.tune/v1"])
        return Mutant(name, _json_bytes({**valid, "schema": bad}), f"schema = {bad!r}")
    value, how = (_wrong_type if op == "wrong_type" else _delete_key)(rng, valid)
    return Mutant(name, _json_bytes(value), how)


# Refusals of a well-formed run for what it holds (the gate's own rules), which name the run, not the file.
_SEMANTIC = re.compile(r"run \S+ is partial|no shared cases|no cases in common")


@dataclass(frozen=True)
class Outcome:
    """What a command did with one mutant."""

    code: int
    stderr: str
    ok: bool
    why: str


def check_outcome(code: int, stderr: str, file_name: str) -> Outcome:
    """The contract: 0/1 (valid after all), or 2 with one `error:` line naming the file; never a traceback."""
    lines = [ln for ln in stderr.splitlines() if ln.strip()]
    if "Traceback" in stderr:
        return Outcome(code, stderr, False, "traceback")
    if code in (0, 1):
        return Outcome(code, stderr, True, "accepted")
    if code != 2:
        return Outcome(code, stderr, False, f"exit code {code}")
    errors = [ln for ln in lines if ln.startswith("error:")]
    if len(errors) != 1:
        return Outcome(code, stderr, False, "not exactly one error line")
    if "GRADELOOP_DEBUG" in errors[0]:
        return Outcome(code, stderr, False, "unexpected error (a bug caught by the CLI's net)")
    if file_name not in errors[0] and not _SEMANTIC.search(errors[0]):
        return Outcome(code, stderr, False, "the error line does not name the file")
    return Outcome(code, stderr, True, "refused")


Family = Callable[[random.Random, int], Mutant]


@dataclass(frozen=True)
class Context:
    """Valid companions of the mutants, in one folder: a suite, its replay file, a run JSON, a store."""

    folder: Path
    suite: Path
    replay: Path
    run: Path
    store: Path
    compare: Path


def prepare(folder: Path, invoke: Callable[[list[str]], tuple[int, str]]) -> Context:
    """Write the valid suite and replay file and make the valid run JSON with `invoke` (the CLI)."""
    folder.mkdir(parents=True, exist_ok=True)
    suite = folder / "valid.yaml"
    suite.write_text(SUITE_YAML, encoding="utf-8")
    replay = folder / "valid-replay.jsonl"
    replay.write_text("".join(json.dumps(r) + "\n" for r in REPLAY_ROWS), encoding="utf-8")
    store = folder / "fuzz.db"
    run = folder / "valid-run.json"
    code, err = invoke(["eval", str(suite), "-t", f"replay:{replay}", "--store", str(store), "-q", "--json", str(run)])
    if code not in (0, 1) or not run.is_file():
        raise RuntimeError(f"the valid run could not be made (exit {code}): {err}")
    compare = folder / "valid-compare.json"
    code, err = invoke(["compare", str(run), str(run), "--json", str(compare), "--store", str(store)])
    if not compare.is_file():
        raise RuntimeError(f"the valid comparison could not be made (exit {code}): {err}")
    return Context(folder, suite, replay, run, store, compare)


KINDS = ("suite", "replay", "run", "compare")


def make_case(kind: str, rng: random.Random, index: int, ctx: Context) -> tuple[Mutant, list[str]]:
    """One mutant of `kind`, written into the context folder, and the command line that reads it."""
    if kind == "suite":
        mutant = suite_mutant(rng, index)
    elif kind == "replay":
        mutant = replay_mutant(rng, index)
    elif kind == "run":
        mutant = run_mutant(rng, index, json.loads(ctx.run.read_text(encoding="utf-8")))
    else:
        mutant = run_mutant(rng, index, json.loads(ctx.compare.read_text(encoding="utf-8")))
        mutant = Mutant(f"compare{index}.json", mutant.data, mutant.how)
    path = ctx.folder / mutant.name
    path.write_bytes(mutant.data)
    store = ["--store", str(ctx.store)]
    if kind == "suite":
        return mutant, ["eval", str(path), "-t", f"replay:{ctx.replay}", "-q", *store]
    if kind == "replay":
        return mutant, ["eval", str(ctx.suite), "-t", f"replay:{path}", "-q", *store]
    if kind == "compare":  # reports read comparisons as well as runs
        return mutant, ["report", str(path), "--markdown-out", str(ctx.folder / "out.md"), "--html",
                        str(ctx.folder / "out.html"), "--junit", str(ctx.folder / "out.xml")]
    command = rng.choice(["compare", "compare2", "report", "plan", "show", "gate"])
    if command == "compare":
        return mutant, ["compare", str(path), str(ctx.run), *store]
    if command == "compare2":
        return mutant, ["compare", str(ctx.run), str(path), *store]
    if command == "report":
        return mutant, ["report", str(path), "--markdown-out", str(ctx.folder / "out.md"), "--html",
                        str(ctx.folder / "out.html"), *store]
    if command == "plan":
        return mutant, ["plan", "--baseline", str(path), "--effect", "0.1", *store]
    if command == "show":
        return mutant, ["show", str(path), *store]
    return mutant, ["gate", str(ctx.suite), "--baseline", str(path), "-t", f"replay:{ctx.replay}", *store]
