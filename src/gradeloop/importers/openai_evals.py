"""`gradeloop import openai-evals`: an OpenAI Evals API eval (and its JSONL data) as a suite.

The eval definition's `testing_criteria` are OpenAI grader JSON, which gradeloop runs unchanged
(string_check, text_similarity, score_model, python, multi; label_model becomes an llm_judge
with its labels as choices). Each data line `{"item": {...}, "sample": {...}?}` becomes a case:
the item is checked against `data_source_config.item_schema` and kept as the case's metadata,
so `{{ item.x }}` templates resolve; the input comes from the run's `input_messages` template
(`--run`, a create-run body) or an `input` field of the item; a recorded `sample` becomes a
replay row. Legacy openai/evals JSONL (`{"input", "ideal"}`) imports with the Match, Includes or
FuzzyMatch rule of the old eval templates.
"""
from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, Literal, Mapping

from gradeloop.errors import InputError
from gradeloop.importers.result import ImportResult, Issues
from gradeloop.importers.source import load_structured, read_json_records, unique_ids
from gradeloop.suite.model import Case, GraderSpec, Suite

_NATIVE = ("string_check", "text_similarity", "score_model", "python", "multi")
_ITEM_TEMPLATE = re.compile(r"\{\{\s*item\.([\w.\-]+)\s*\}\}")
# Item fields whose names are also case fields: the case keeps them in metadata, so templates say so.
_CASE_FIELDS = ("input", "tags", "expect", "parent", "metadata", "graders", "tools", "tool_choice")
_SHADOWED = re.compile(r"\{\{(\s*)item\.(" + "|".join(_CASE_FIELDS) + r")\b")


def _unshadow(value: Any) -> Any:
    """`{{ item.input }}` -> `{{ metadata.input }}` (and the other case field names), recursively."""
    if isinstance(value, str):
        return _SHADOWED.sub(lambda m: "{{" + m.group(1) + "metadata." + m.group(2), value)
    if isinstance(value, list):
        return [_unshadow(v) for v in value]
    if isinstance(value, dict):
        return {k: _unshadow(v) for k, v in value.items()}
    return value
LegacyRule = Literal["match", "includes", "fuzzy_match"]


def _content_text(content: Any) -> str | None:
    """A message content as text: a string, {type: input_text, text} or a list of such parts."""
    if isinstance(content, str):
        return content
    if isinstance(content, Mapping) and isinstance(content.get("text"), str):
        return str(content["text"])
    if isinstance(content, list):
        texts = [_content_text(p) for p in content]
        if all(t is not None for t in texts):
            return "\n".join(t for t in texts if t is not None)
    return None


def _item_value(item: Mapping[str, Any], path: str) -> Any:
    value: Any = item
    for part in path.split("."):
        value = value.get(part) if isinstance(value, Mapping) else None
    return value


def _fill(text: str, item: Mapping[str, Any]) -> str:
    def sub(m: re.Match[str]) -> str:
        value = _item_value(item, m.group(1))
        if value is None:
            raise KeyError(m.group(1))
        return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)

    return _ITEM_TEMPLATE.sub(sub, text)


def _criterion(spec: Any, file: str, line: int | None, issues: Issues) -> GraderSpec | None:
    """One testing criterion as a gradeloop grader spec (OpenAI JSON runs unchanged where supported)."""
    if not isinstance(spec, Mapping) or not isinstance(spec.get("type"), str):
        issues.error("a testing criterion must be a mapping with a `type`", file, line)
        return None
    kind = spec["type"]
    params = {k: _unshadow(v) for k, v in spec.items() if k not in ("type", "id")}
    text = json.dumps(params)
    if "sample.output_json" in text or "sample.output_tools" in text:
        issues.error(f"{kind} criterion {spec.get('name', '')!r} reads sample.output_json/output_tools; only "
                     "{{ sample.output_text }} is supported", file, line)
        return None
    if kind in _NATIVE:
        return GraderSpec(kind, params, file, line)
    if kind == "label_model":
        labels, passing = spec.get("labels"), spec.get("passing_labels")
        messages = spec.get("input")
        if not (isinstance(labels, list) and isinstance(passing, list) and isinstance(messages, list)):
            issues.error("label_model needs `input`, `labels` and `passing_labels`", file, line)
            return None
        rubric_parts = []
        for m in messages:
            t = _content_text(m.get("content")) if isinstance(m, Mapping) else None
            if t is None:
                issues.error("label_model input messages need text content", file, line)
                return None
            rubric_parts.append(t.replace("{{ sample.output_text }}", "the OUTPUT below")
                                .replace("{{sample.output_text}}", "the OUTPUT below"))
        issues.warn(f"label_model {spec.get('name', '')!r} becomes an llm_judge choosing among its labels "
                    "(the judge prompt differs from OpenAI's)", file, line)
        return GraderSpec("llm_judge", {
            "name": spec.get("name") or "label_model", "model": str(spec.get("model", "")),
            "rubric": "\n\n".join(rubric_parts) + f"\n\nChoose one label: {', '.join(map(str, labels))}.",
            "choices": {str(lab): (1.0 if lab in passing else 0.0) for lab in labels}, "pass_threshold": 1.0,
            "include_reference": False}, file, line)
    issues.error(f"testing criterion type {kind!r} has no gradeloop equivalent", file, line)
    return None


def _sample_output(sample: Any) -> str | None:
    if isinstance(sample, Mapping):
        if isinstance(sample.get("output_text"), str):
            return str(sample["output_text"])
        choices = sample.get("choices")
        if isinstance(choices, list) and choices and isinstance(choices[0], Mapping):
            msg = choices[0].get("message") or {}
            if isinstance(msg.get("content"), str):
                return str(msg["content"])
        output = sample.get("output")
        if isinstance(output, list) and output and isinstance(output[0], Mapping):
            t = _content_text(output[0].get("content"))
            if t is not None:
                return t
    return sample if isinstance(sample, str) else None


def _schema_validator(config: Any, file: str, line: int | None) -> Any:
    if not isinstance(config, Mapping):
        return None
    schema = config.get("item_schema")
    if schema is None and isinstance(config.get("schema"), Mapping):  # a retrieved eval: {item: ..., sample: ...}
        schema = (config["schema"].get("properties") or {}).get("item")
    if schema is None:
        return None
    import jsonschema
    from jsonschema.validators import validator_for

    cls = validator_for(schema, default=jsonschema.Draft202012Validator)
    try:
        cls.check_schema(schema)
    except jsonschema.SchemaError as exc:
        raise InputError(f"invalid item_schema: {exc.message}", file=file, line=line,
                         field="data_source_config.item_schema") from None
    return cls(schema)


def import_openai_eval(eval_file: str | Path, data_file: str | Path | None = None, *,
                       run_file: str | Path | None = None, name: str | None = None,
                       split: str = "dev") -> ImportResult:
    """The suite an Evals API eval definition plus its data describes."""
    ev = load_structured(eval_file)
    if not isinstance(ev.value, dict) or "testing_criteria" not in ev.value:
        raise InputError("not an OpenAI eval definition (no `testing_criteria`)", file=ev.file, line=1)
    issues = Issues()
    criteria = ev.value["testing_criteria"]
    if not isinstance(criteria, list) or not criteria:
        raise InputError("`testing_criteria` must be a non-empty list", file=ev.file, line=ev.line("testing_criteria"))
    graders = [g for k, c in enumerate(criteria)
               if (g := _criterion(c, ev.file, ev.line(f"testing_criteria[{k}]"), issues)) is not None]
    validator = _schema_validator(ev.value.get("data_source_config"), ev.file, ev.line("data_source_config"))

    template: list[tuple[str, str]] | None = None
    item_reference: str | None = None
    inline_items: list[tuple[int, Any]] = []
    run_name = None
    if run_file is not None:
        run = load_structured(run_file)
        source = (run.value or {}).get("data_source") if isinstance(run.value, dict) else None
        if not isinstance(source, Mapping):
            raise InputError("a run definition needs `data_source`", file=run.file, line=1, field="data_source")
        messages = source.get("input_messages") or {}
        if messages.get("type") == "template":
            template = []
            for k, m in enumerate(messages.get("template") or []):
                text = _content_text(m.get("content")) if isinstance(m, Mapping) else None
                if text is None or not isinstance(m.get("role"), str):
                    raise InputError("template messages need a role and text content", file=run.file,
                                     line=run.line(f"data_source.input_messages.template[{k}]"))
                template.append((m["role"], text))
        elif messages.get("type") == "item_reference":
            item_reference = str(messages.get("item_reference", "")).removeprefix("item.")
        src = source.get("source") or {}
        if src.get("type") == "file_content":
            inline_items = [(run.line(f"data_source.source.content[{k}]") or 1, row)
                            for k, row in enumerate(src.get("content") or [])]
        run_name = run.value.get("name")

    rows: list[tuple[str, int, Any]] = []
    if data_file is not None:
        rows += [(str(data_file), line, row) for line, row in read_json_records(data_file)]
    rows += [(str(run_file), line, row) for line, row in inline_items]
    if not rows:
        raise InputError("no data: give the JSONL data file (or a run whose source has file_content)",
                         file=str(eval_file))

    cases: list[Case] = []
    replay: list[dict[str, Any]] = []
    for file, line, row in rows:
        if not isinstance(row, Mapping):
            issues.error("each data line must be a JSON object", file, line)
            continue
        item = row.get("item") if "item" in row else row
        if not isinstance(item, Mapping):
            issues.error("`item` must be an object", file, line)
            continue
        if validator is not None:
            error = next(iter(validator.iter_errors(item)), None)
            if error is not None:
                where = "/".join(map(str, error.absolute_path)) or "(item)"
                issues.error(f"item does not match item_schema at {where}: {error.message[:200]}", file, line)
                continue
        try:
            if template is not None:
                case_input: Any = tuple({"role": r, "content": _fill(t, item)} for r, t in template)
            elif item_reference:
                case_input = _item_value(item, item_reference)
            else:
                case_input = item.get("input")
        except KeyError as exc:
            issues.error(f"the input template names item.{exc.args[0]}, which this item lacks", file, line)
            continue
        if isinstance(case_input, list):
            case_input = tuple({"role": m.get("role"), "content": _content_text(m.get("content"))}
                               for m in case_input if isinstance(m, Mapping))
        if not case_input or (isinstance(case_input, str) and not case_input.strip()):
            issues.error("no input: pass --run with the run's input_messages template, or give items an "
                         "`input` field", file, line)
            continue
        case_id = str(item["id"]) if isinstance(item.get("id"), (str, int)) else f"item-{len(cases) + 1}"
        reference = item.get("reference") if isinstance(item.get("reference"), str) else None
        metadata = dict(item)  # every item field, so {{ item.x }} resolves (id and reference too)
        cases.append(Case(id=case_id, input=case_input, reference=reference, metadata=metadata))
        output = _sample_output(row.get("sample")) if "item" in row else None
        if output is not None:
            replay.append({"case_id": case_id, "output": output})
    if not cases:
        first = issues.items[0] if issues.items else None
        raise InputError("no case could be imported" + (f" ({len(issues.items)} problem(s); the first: "
                         f"{first.message})" if first else ""), file=first.file if first else str(data_file),
                         line=first.line if first else None)
    ids = unique_ids([c.id for c in cases])
    renamed = {old.id: new for old, new in zip(cases, ids)}
    cases = [Case(id=i, input=c.input, reference=c.reference, metadata=c.metadata) for i, c in zip(ids, cases)]
    replay = [{**r, "case_id": renamed.get(r["case_id"], r["case_id"])} for r in replay]
    suite_name = name or _slug(str(ev.value.get("name") or run_name or Path(eval_file).stem))
    suite = Suite(name=suite_name, cases=tuple(cases), split=split, default_graders=tuple(graders),  # type: ignore[arg-type]
                  description=f"Imported from OpenAI eval {ev.value.get('name') or Path(eval_file).name}")
    return ImportResult(suite, tuple(issues.items), replay=tuple(replay),
                        source_files=tuple(str(p) for p in (eval_file, data_file, run_file) if p is not None))


def _slug(text: str) -> str:
    from gradeloop.importers.source import slug

    return slug(text) or "openai-eval"


def import_legacy_jsonl(data_file: str | Path, *, rule: LegacyRule = "match", name: str | None = None,
                        split: str = "dev") -> ImportResult:
    """openai/evals JSONL samples `{"input", "ideal"}` with the Match / Includes / FuzzyMatch rule."""
    issues = Issues()
    cases: list[Case] = []
    file = str(data_file)
    for line, row in read_json_records(data_file):
        if not isinstance(row, Mapping) or "input" not in row or "ideal" not in row:
            issues.error("a legacy sample needs `input` and `ideal`", file, line)
            continue
        ideal = row["ideal"]
        ideals = [ideal] if isinstance(ideal, str) else ideal
        if not isinstance(ideals, list) or not ideals or not all(isinstance(x, str) and x for x in ideals):
            issues.error("`ideal` must be a non-empty string or list of strings", file, line)
            continue
        raw = row["input"]
        if isinstance(raw, list):
            msgs = [m for m in raw if isinstance(m, Mapping) and isinstance(m.get("content"), str)]
            if len(msgs) != len(raw):
                issues.error("`input` messages need a role and string content", file, line)
                continue
            case_input: Any = tuple({"role": str(m.get("role", "user")), "content": m["content"]} for m in msgs)
        elif isinstance(raw, str) and raw.strip():
            case_input = raw
        else:
            issues.error("`input` must be a string or a list of chat messages", file, line)
            continue
        if rule == "match":  # evals.record_and_check_match: the output starts with an ideal answer
            grader = GraderSpec("regex", {"pattern": r"\A(?:" + "|".join(re.escape(x) for x in ideals) + ")",
                                          "name": "match"}, file, line)
        elif rule == "includes":
            grader = GraderSpec("contains_any", {"values": ideals, "case_sensitive": True, "name": "includes"},
                                file, line)
        else:
            grader = GraderSpec("normalized_match", {"values": ideals, "contains": True, "name": "fuzzy_match"},
                                file, line)
        metadata = {k: v for k, v in row.items() if k not in ("input", "ideal")}
        cases.append(Case(id=f"sample-{len(cases) + 1}", input=case_input, reference=ideals[0],
                          graders=(grader,), metadata={**metadata, "ideal": ideal}))
    if rule == "fuzzy_match":
        issues.warn("fuzzy_match: passes when a normalised ideal answer appears in the normalised output; the "
                    "old template also passed when the output appeared inside the answer", file, None)
    if not cases:
        raise InputError("no sample could be imported", file=file)
    suite = Suite(name=name or _slug(Path(data_file).stem), cases=tuple(cases), split=split,  # type: ignore[arg-type]
                  description=f"Imported from openai/evals samples {Path(data_file).name} ({rule})")
    return ImportResult(suite, tuple(issues.items), source_files=(file,))


def looks_legacy(path: str | Path) -> bool:
    """Whether a JSONL file holds legacy `{"input", "ideal"}` samples (its first record decides)."""
    if Path(path).suffix.lower() != ".jsonl":
        return False
    for _, row in read_json_records(path):
        return isinstance(row, Mapping) and "ideal" in row and "input" in row
    return False
