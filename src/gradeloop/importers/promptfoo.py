"""`gradeloop import promptfoo`: a promptfoo config (prompts x tests, vars, assert, defaultTest) as a suite.

Each (test, prompt) pair becomes a case whose input is the prompt rendered with the test's
vars, exactly as promptfoo's `echo` provider would return it. Assertions map to graders with
promptfoo's verdict rules (promptfoo_asserts); a test `threshold` becomes one `multi` grader
(weighted mean >= threshold, as promptfoo decides), otherwise every assertion must pass and
`weight` weighs the score, as in promptfoo. Vars whose values are lists of strings expand into
one case per combination, as promptfoo does. Unmappable assertions are issues with file:line.

This module walks the config (prompts, tests, defaultTest) and turns each test's assertion list
into graders; vars and prompt rendering are promptfoo_vars, CSV test files promptfoo_csv.
"""
from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any, Callable, Mapping

import yaml

from gradeloop.errors import InputError
from gradeloop.importers.nunjucks import Unsupported as TemplateUnsupported
from gradeloop.importers.nunjucks import js_str
from gradeloop.importers.promptfoo_asserts import MapContext, Unmappable, judge_from_provider, map_assertion
from gradeloop.importers.promptfoo_csv import ASSERTION_TYPES, csv_assertion, csv_tests
from gradeloop.importers.promptfoo_vars import combinations, load_var, render_prompt, resolve_vars
from gradeloop.importers.result import ImportResult, Issues, nothing_imported
from gradeloop.importers.source import Located, load_structured, read_json_records, slug, unique_ids
from gradeloop.suite.model import Case, GraderSpec, Suite

_TEST_KEYS = {"description", "vars", "assert", "threshold", "options", "metadata", "provider", "providers",
              "prompts", "providerOutput"}


class _Prompt:
    __slots__ = ("label", "raw", "file", "line")

    def __init__(self, label: str, raw: str, file: str, line: int | None) -> None:
        self.label, self.raw, self.file, self.line = label, raw, file, line


def _prompts(cfg: Located, base: Path, issues: Issues) -> list[_Prompt]:
    value = cfg.value.get("prompts")
    if value is None:
        raise InputError("the config has no `prompts`", file=cfg.file, line=cfg.line(""), field="prompts")
    entries = [value] if isinstance(value, (str, dict)) else value
    if not isinstance(entries, list):
        raise InputError("`prompts` must be a string, a list or a mapping", file=cfg.file, line=cfg.line("prompts"),
                         field="prompts")
    out: list[_Prompt] = []
    for i, entry in enumerate(entries):
        where = f"prompts[{i}]" if isinstance(value, list) else "prompts"
        line = cfg.line(where)
        label = None
        if isinstance(entry, dict):
            label = entry.get("label") or entry.get("id")
            entry = entry.get("raw", entry.get("id"))
        if not isinstance(entry, str):
            issues.error("a prompt must be a string or {raw, label}", cfg.file, line)
            continue
        if entry.startswith("file://"):
            ref = entry[7:]
            path = base / ref
            if any(c in ref for c in "*?[") or path.suffix in (".py", ".js", ".ts", ".mjs", ".cjs"):
                issues.error(f"prompt {entry!r}: globs and prompt functions are not imported", cfg.file, line)
                continue
            try:
                text = path.read_text(encoding="utf-8")
            except OSError as exc:
                raise InputError(f"cannot read prompt file {str(path)!r}: {exc.strerror or exc}", file=cfg.file,
                                 line=line, field=where) from None
            if path.suffix in (".yaml", ".yml"):
                parts = [json.dumps(yaml.safe_load(text))]
            elif path.suffix == ".json":
                parts = [text]
            else:  # text prompts: several prompts separated by a line of ---
                parts = [p for p in _split_prompts(text)]
            for k, part in enumerate(parts):
                name = label or (f"{ref}" if len(parts) == 1 else f"{ref}:{k + 1}")
                out.append(_Prompt(name, part, cfg.file, line))
        else:
            out.append(_Prompt(label or entry, entry, cfg.file, line))
    return out


def _split_prompts(text: str) -> list[str]:
    parts: list[str] = []
    current: list[str] = []
    for line in text.split("\n"):
        if line.strip() == "---":
            parts.append("\n".join(current))
            current = []
        else:
            current.append(line)
    parts.append("\n".join(current))
    return [p.strip() for p in parts if p.strip()]


def _tests(cfg: Located, base: Path, issues: Issues) -> list[tuple[dict[str, Any], str, int | None, str]]:
    """(test, file, line, field path) of every test, reading `file://` test files."""
    value = cfg.value.get("tests")
    if value is None:
        return []
    entries = [value] if isinstance(value, str) else value
    if not isinstance(entries, list):
        raise InputError("`tests` must be a list or a file:// path", file=cfg.file, line=cfg.line("tests"),
                         field="tests")
    out: list[tuple[dict[str, Any], str, int | None, str]] = []
    for i, entry in enumerate(entries):
        where = f"tests[{i}]" if isinstance(value, list) else "tests"
        if isinstance(entry, dict):
            out.append((entry, cfg.file, cfg.line(where), where))
            continue
        if not isinstance(entry, str):
            raise InputError("a test must be a mapping or a file:// path", file=cfg.file, line=cfg.line(where),
                             field=where)
        ref = entry.removeprefix("file://")
        path = base / ref
        if any(c in ref for c in "*?[") or path.suffix not in (".csv", ".yaml", ".yml", ".json", ".jsonl"):
            issues.error(f"tests {entry!r}: only .csv, .yaml, .json and .jsonl test files are imported (no globs, "
                         "no scripts, no sheets)", cfg.file, cfg.line(where))
            continue
        if path.suffix == ".csv":
            out += [(t, f, ln, f"{ref}:{ln}") for t, f, ln in csv_tests(path, issues)]
            continue
        if path.suffix == ".jsonl":
            for ln, t in read_json_records(path):
                if not isinstance(t, dict):
                    raise InputError("a test must be a JSON object", file=str(path), line=ln)
                out.append((t, str(path), ln, f"{ref}:{ln}"))
            continue
        sub = load_structured(path)
        items = sub.value if isinstance(sub.value, list) else [sub.value]
        for k, t in enumerate(items):
            if not isinstance(t, dict):
                raise InputError("a test must be a mapping", file=sub.file, line=sub.line(f"[{k}]"))
            out.append((t, sub.file, sub.line(f"[{k}]" if isinstance(sub.value, list) else ""), f"[{k}]"))
    return out


def _warner(issues: Issues, file: str, line: int | None, label: str) -> Callable[[str], None]:
    """Warnings of one test's assertions, with the test's file, line and name."""
    return lambda message: issues.warn(message, file, line, label)


def _weight(assertion: Mapping[str, Any]) -> float:
    w = assertion.get("weight", 1)
    if isinstance(w, bool) or not isinstance(w, (int, float)) or w < 0:
        raise Unmappable(f"weight must be a number >= 0, got {w!r}")
    return float(w)


def _map_list(asserts: list[tuple[Any, str, int | None]], threshold: Any, ctx: MapContext, issues: Issues,
              test: str, skipped: list[str]) -> list[GraderSpec]:
    """Graders for a list of assertions (with the file and line each was written at); unmapped ones go to `skipped`."""
    mapped: list[tuple[dict[str, Any], float, str, int | None, str | None]] = []
    for assertion, file, line in asserts:
        if not isinstance(assertion, dict):
            issues.error("an assertion must be a mapping with a `type`", file, line, test)
            skipped.append(f"(not a mapping) at {file}:{line}")
            continue
        try:
            weight = _weight(assertion)
            if assertion.get("type") == "assert-set":
                spec = _assert_set(assertion, ctx)
            else:
                spec = map_assertion(assertion, ctx)
        except Unmappable as exc:
            issues.error(f"{assertion.get('type')}: {exc}", file, line, test)
            skipped.append(f"{assertion.get('type')} at {file}:{line}")
            continue
        mapped.append((spec, weight, file, line, assertion.get("metric")))
    if threshold is None:
        specs = []
        for spec, weight, file, line, metric in mapped:
            params = {k: v for k, v in spec.items() if k != "type"}
            if weight != 1:
                params["weight"] = weight
            if isinstance(metric, str) and metric:
                params["name"] = metric
            specs.append(GraderSpec(spec["type"], params, file, line))
        return specs
    if not mapped:
        return []
    if isinstance(threshold, bool) or not isinstance(threshold, (int, float)) or not 0 <= threshold <= 1:
        issues.error(f"test threshold {threshold!r} is outside [0, 1]", mapped[0][2], mapped[0][3], test)
        return []
    if sum(w for _, w, *_ in mapped) == 0:
        issues.warn("every assertion weighs 0: promptfoo scores such a test 0, gradeloop's multi grader "
                    "averages the scores", mapped[0][2], mapped[0][3], test)
    graders = {f"a{k + 1}": spec for k, (spec, *_rest) in enumerate(mapped)}
    weights = {f"a{k + 1}": w for k, (_s, w, *_rest) in enumerate(mapped)}
    params = {"graders": graders, "weights": weights, "pass_threshold": float(threshold), "name": "threshold"}
    return [GraderSpec("multi", params, mapped[0][2], mapped[0][3])]


def _assert_set(assertion: Mapping[str, Any], ctx: MapContext) -> dict[str, Any]:
    """promptfoo's assert-set: its assertions combined; with a threshold, their weighted mean decides."""
    subs = assertion.get("assert")
    if not isinstance(subs, list) or not subs:
        raise Unmappable("assert-set needs a non-empty `assert` list")
    graders, weights = {}, {}
    for k, sub in enumerate(subs):
        if not isinstance(sub, dict) or sub.get("type") == "assert-set":
            raise Unmappable("assert-set entries must be plain assertions")
        graders[f"s{k + 1}"] = map_assertion(sub, ctx)
        weights[f"s{k + 1}"] = _weight(sub)
    threshold = assertion.get("threshold")
    if threshold is None:
        return {"type": "multi", "graders": graders, "weights": weights, "passed_when": "all"}
    return {"type": "multi", "graders": graders, "weights": weights, "pass_threshold": float(threshold)}


def import_promptfoo(config: str | Path, *, judge: str | None = None, name: str | None = None,
                     split: str = "dev") -> ImportResult:
    """The suite a promptfoo config describes; every assertion that cannot be mapped is an error issue."""
    path = Path(config)
    cfg = load_structured(path)
    if not isinstance(cfg.value, dict):
        raise InputError("a promptfoo config must be a mapping", file=cfg.file, line=1)
    base = path.parent
    issues = Issues()
    prompts = _prompts(cfg, base, issues)
    default = cfg.value.get("defaultTest") or {}
    if isinstance(default, str):
        issues.error("defaultTest from a file is not imported", cfg.file, cfg.line("defaultTest"))
        default = {}
    if not isinstance(default, dict):
        raise InputError("`defaultTest` must be a mapping", file=cfg.file, line=cfg.line("defaultTest"))
    if (default.get("options") or {}).get("transform") is not None:
        issues.error("defaultTest.options.transform rewrites outputs with JavaScript; not imported", cfg.file,
                     cfg.line("defaultTest.options.transform"))
    default_asserts = [(a, cfg.file, cfg.line(f"defaultTest.assert[{k}]"))
                       for k, a in enumerate(default.get("assert") or [])]
    if cfg.value.get("scenarios"):
        issues.error("`scenarios` are not imported", cfg.file, cfg.line("scenarios"))

    cases: list[tuple[str, Case]] = []
    for t_index, (test, file, line, where) in enumerate(_tests(cfg, base, issues)):
        label = str(test.get("description") or f"test {t_index + 1}")
        unknown = sorted(set(test) - _TEST_KEYS)
        if unknown:
            issues.error(f"unknown test keys {', '.join(unknown)} are not imported", file, line, label)
        options = test.get("options") or {}
        for key in ("transform", "postprocess"):
            if isinstance(options, dict) and options.get(key) is not None:
                issues.error(f"options.{key} rewrites the output with JavaScript; not imported", file, line, label)
        if test.get("providerOutput") is not None:
            issues.warn("providerOutput (a fixed output) is not imported; evaluate with a target", file, line, label)
        asserts = [] if (isinstance(options, dict) and options.get("disableDefaultAsserts")) else list(default_asserts)
        own = test.get("assert") or []
        if not isinstance(own, list):
            issues.error("`assert` must be a list", file, line, label)
            own = []
        for k, a in enumerate(own):
            a_line = cfg.line(f"{where}.assert[{k}]") if file == cfg.file else line
            asserts.append((a, file, a_line))
        threshold = test["threshold"] if test.get("threshold") is not None else default.get("threshold")
        merged = {**(default.get("vars") or {}), **(test.get("vars") or {})}
        wanted_prompts = test.get("prompts")
        default_options: dict[str, Any] = default["options"] if isinstance(default.get("options"), dict) else {}
        opts = options if isinstance(options, dict) else {}
        prefix = str(opts.get("prefix") or default_options.get("prefix") or "")
        suffix = str(opts.get("suffix") or default_options.get("suffix") or "")
        if opts.get("repeat") or default_options.get("repeat"):
            issues.warn("options.repeat is not imported; run with --samples N instead", file, line, label)
        combos = [merged] if opts.get("disableVarExpansion") else combinations(merged)
        for combo in combos:
            try:
                variables = resolve_vars({k: load_var(v, base) for k, v in combo.items()})
            except (Unmappable, TemplateUnsupported) as exc:
                issues.error(f"vars: {exc}", file, line, label)
                continue
            grader = judge_from_provider(opts.get("provider")) or judge_from_provider(default_options.get("provider"))
            ctx = MapContext(variables, base, judge or grader, _warner(issues, file, line, label))
            skipped: list[str] = []
            specs = _map_list(asserts, threshold, ctx, issues, label, skipped)
            for p_index, prompt in enumerate(prompts):
                if isinstance(wanted_prompts, list) and prompt.label not in wanted_prompts:
                    continue
                try:
                    rendered = render_prompt(prefix + prompt.raw + suffix, variables)
                except TemplateUnsupported as exc:
                    issues.error(f"prompt template: {exc}", prompt.file, prompt.line, label)
                    continue
                base_id = slug(str(test["description"])) if test.get("description") else f"test-{t_index + 1}"
                case_id = base_id + (f"-p{p_index + 1}" if len(prompts) > 1 else "")
                metadata: dict[str, Any] = {"vars": variables, "promptfoo": {"file": file, "line": line,
                                                                             "prompt": prompt.label}}
                if test.get("description"):
                    metadata["description"] = str(test["description"])
                if skipped:  # written with --partial: the file itself says which checks are missing
                    metadata["unmapped_assertions"] = skipped
                if isinstance(test.get("metadata"), dict):
                    metadata["test_metadata"] = test["metadata"]
                tags = {"prompt": f"p{p_index + 1}"} if len(prompts) > 1 else {}
                if isinstance(rendered, str) and not rendered.strip():
                    issues.error("the rendered prompt is empty", prompt.file, prompt.line, label)
                    continue
                if not specs:
                    issues.warn("no assertions: promptfoo passes this test whatever the output; the case "
                                "grades nothing", file, line, label)
                cases.append((case_id, Case(id=case_id, input=rendered, graders=tuple(specs),
                                            tags=tags, metadata=metadata, file=file, line=line)))
    if not cases:
        raise nothing_imported("test", issues, cfg.file)
    ids = unique_ids([cid for cid, _ in cases])
    # Each case gets its own copies: shared objects would be written as YAML anchors (&id001 / *id001).
    built = tuple(Case(id=i, input=c.input, graders=tuple(GraderSpec(g.type, copy.deepcopy(g.params), g.file, g.line)
                                                          for g in c.graders),
                       tags=c.tags, metadata=copy.deepcopy(c.metadata))
                  for i, (_, c) in zip(ids, cases))
    suite_name = name or slug(str(cfg.value.get("description") or path.stem)) or "promptfoo"
    suite = Suite(name=suite_name, cases=built, split=split,  # type: ignore[arg-type]
                  description=str(cfg.value.get("description") or f"Imported from promptfoo config {path.name}"))
    return ImportResult(suite, tuple(issues.items), source_files=(str(path),))


__all__ = ["ASSERTION_TYPES", "csv_assertion", "import_promptfoo", "js_str", "render_prompt"]
