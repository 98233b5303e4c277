"""`gradeloop import instructlab`: a taxonomy qna.yaml (v3 knowledge, v2 skills) as cases and training rows.

Knowledge (version 3): each question of each seed example becomes a case asking the question
alone (the model should have learned the document), the answer its reference, the context and
the document's repo/commit kept as metadata. Skills (version 2): each seed example becomes a case
(context, when given, before the question). The same examples become chat training rows with
their provenance (file, line, domain or task, created_by, document), to be registered in the
data registry as training data derived from the source file. Grading: an `llm_judge` against the
reference with `--judge`, else ROUGE-L similarity to the reference (a proxy, reported as such).
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from gradeloop.errors import InputError
from gradeloop.importers.result import ImportResult, Issues, nothing_imported
from gradeloop.importers.source import load_structured, slug, unique_ids
from gradeloop.suite.model import Case, GraderSpec, Suite

RUBRIC = ("The output answers the question correctly and agrees with the REFERENCE answer; it adds nothing "
          "that contradicts it.")


def _text(value: Any) -> str | None:
    return value.strip() if isinstance(value, str) and value.strip() else None


def import_instructlab(path: str | Path, *, judge: str | None = None, threshold: float = 0.5,
                       name: str | None = None, split: str = "dev") -> ImportResult:
    """Cases and provenance-tagged training rows from one InstructLab qna.yaml."""
    doc = load_structured(path)
    file = doc.file
    if not isinstance(doc.value, dict):
        raise InputError("a qna.yaml must be a mapping", file=file, line=1)
    version = doc.value.get("version")
    if version not in (2, 3):
        raise InputError(f"unsupported qna.yaml version {version!r} (knowledge is 3, skills 2)", file=file,
                         line=doc.line("version"), field="version")
    examples = doc.value.get("seed_examples")
    if not isinstance(examples, list) or not examples:
        raise InputError("`seed_examples` must be a non-empty list", file=file, line=doc.line("seed_examples"),
                         field="seed_examples")
    knowledge = version == 3
    issues = Issues()
    about = doc.value.get("domain") if knowledge else doc.value.get("task_description")
    provenance: dict[str, Any] = {"source": str(path), "kind": "knowledge" if knowledge else "skill",
                                  "created_by": doc.value.get("created_by")}
    if knowledge:
        provenance["domain"] = about
        document = doc.value.get("document")
        if isinstance(document, dict):
            provenance["document"] = {k: document.get(k) for k in ("repo", "commit", "patterns")}
        else:
            issues.warn("knowledge qna.yaml without `document` (repo, commit, patterns)", file, doc.line(""))
    else:
        provenance["task_description"] = about

    grader = (GraderSpec("llm_judge", {"rubric": RUBRIC, "model": judge}) if judge else
              GraderSpec("similarity", {"value": "{{ reference }}", "metric": "rouge_l", "threshold": threshold}))
    if not judge:
        issues.warn(f"graded by ROUGE-L >= {threshold:g} against the seed answer (a proxy); pass --judge SPEC for "
                    "an llm_judge", file, doc.line(""))
    pairs: list[tuple[str, str, str | None, int | None, int]] = []
    for i, ex in enumerate(examples):
        where = f"seed_examples[{i}]"
        if not isinstance(ex, dict):
            issues.error("a seed example must be a mapping", file, doc.line(where))
            continue
        context = _text(ex.get("context"))
        if knowledge:
            qas = ex.get("questions_and_answers")
            if not isinstance(qas, list) or not qas:
                issues.error("knowledge seed examples need `questions_and_answers`", file, doc.line(where))
                continue
            for k, qa in enumerate(qas):
                q = _text(qa.get("question")) if isinstance(qa, dict) else None
                a = _text(qa.get("answer")) if isinstance(qa, dict) else None
                if q is None or a is None:
                    issues.error("each question needs a `question` and an `answer`", file,
                                 doc.line(f"{where}.questions_and_answers[{k}]"))
                    continue
                pairs.append((q, a, context, doc.line(f"{where}.questions_and_answers[{k}]"), i))
        else:
            q, a = _text(ex.get("question")), _text(ex.get("answer"))
            if q is None or a is None:
                issues.error("each seed example needs a `question` and an `answer`", file, doc.line(where))
                continue
            pairs.append((q, a, context, doc.line(where), i))
    if not pairs:
        raise nothing_imported("seed example", issues, file)
    stem = slug(str(about or Path(path).parent.name or "qna"), 40) or "qna"
    ids = unique_ids([f"{stem}-{n + 1}" for n in range(len(pairs))])
    cases: list[Case] = []
    training: list[dict[str, Any]] = []
    for cid, (q, a, context, line, example) in zip(ids, pairs):
        prompt = q if (knowledge or context is None) else f"{context}\n\n{q}"
        metadata: dict[str, Any] = {"seed_example": example, "instructlab": {"file": str(path), "line": line}}
        if context is not None:
            metadata["context"] = context
        cases.append(Case(id=cid, input=prompt, reference=a, graders=(grader,), metadata=metadata))
        train_prompt = f"{context}\n\n{q}" if context is not None else q
        training.append({"id": cid, "messages": [{"role": "user", "content": train_prompt},
                                                 {"role": "assistant", "content": a}],
                         "provenance": {**provenance, "line": line, "seed_example": example}})
    issues.warn("the cases are the seed examples themselves: after training on them they measure recall, "
                "not generalisation; keep a held-out set for that", file, doc.line("seed_examples"))
    suite = Suite(name=name or f"instructlab-{stem}", cases=tuple(cases), split=split,  # type: ignore[arg-type]
                  description=f"InstructLab {'knowledge' if knowledge else 'skill'}: {about or ''}".strip())
    return ImportResult(suite, tuple(issues.items), training=tuple(training), source_files=(str(path),))
