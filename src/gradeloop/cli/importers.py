"""`gradeloop import promptfoo|openai-evals|inspect|instructlab`: other tools' evals as gradeloop suites.

Every check that cannot be mapped is listed with its file:line; then nothing is written and the
exit code is 2, unless `--partial` asks to write the suite with what could be mapped (the
skipped checks are still listed). Warnings (mapped with a known difference) are always listed.
The written suite is loaded back before the command reports success.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Optional

import typer

from gradeloop.errors import InputError

if TYPE_CHECKING:
    from gradeloop.importers.result import ImportResult

OUT_OPT = typer.Option(..., "--out", "-o", help="Suite file to write (.yaml or .jsonl)")
PARTIAL_OPT = typer.Option(False, "--partial", help="Write the suite even when some checks cannot be mapped "
                           "(they are listed; those tests keep the checks that could be mapped)")
NAME_OPT = typer.Option(None, "--name", help="Suite name (default: from the source)")
SPLIT_OPT = typer.Option("dev", "--split", help="dev | holdout | canary | train")


def _check_split(split: str) -> None:
    from gradeloop.suite.model import SPLITS

    if split not in SPLITS:
        raise InputError(f"must be one of {', '.join(SPLITS)}, got {split!r}", field="--split")


def _finish(result: "ImportResult", out: Path, partial: bool) -> int:
    """List issues, write (unless unmappable checks and no --partial), load back, say what was written."""
    from gradeloop.importers.result import check_graders, write_suite

    for issue in result.issues:
        print(str(issue), file=sys.stderr)
    errors = result.errors
    if errors and not partial:
        print(f"error: {len(errors)} check(s) could not be mapped; nothing written "
              "(fix them, or pass --partial to write the suite without them)", file=sys.stderr)
        return 2
    check_graders(result.suite)
    suite = write_suite(result, out)
    skipped = f", {len(errors)} check(s) skipped" if errors else ""
    print(f"wrote {out}: suite '{suite.name}', {len(suite.cases)} case(s){skipped}, "
          f"{len(result.warnings)} warning(s)")
    return 0


def _write_jsonl(rows: list[dict[str, object]], path: Path) -> None:
    from gradeloop.files import atomic_write_text

    atomic_write_text(path, "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows))


def register(app: typer.Typer) -> None:
    group = typer.Typer(no_args_is_help=True, help="Import suites from promptfoo, OpenAI Evals, Inspect, InstructLab.")
    app.add_typer(group, name="import")

    @group.command("promptfoo")
    def promptfoo_cmd(
        config: Path = typer.Argument(..., help="promptfoo config (promptfooconfig.yaml / .json)"),
        out: Path = OUT_OPT,
        judge: Optional[str] = typer.Option(None, "--judge", help="Judge target spec for llm-rubric assertions "
                                            "(default: the config's OpenAI grader provider; an assertion's own "
                                            "provider still wins)"),
        partial: bool = PARTIAL_OPT,
        name: Optional[str] = NAME_OPT,
        split: str = SPLIT_OPT,
    ) -> None:
        """Prompts x tests become cases (prompt rendered with the vars); assertions become graders."""
        _check_split(split)
        from gradeloop.importers.promptfoo import import_promptfoo

        raise typer.Exit(_finish(import_promptfoo(config, judge=judge, name=name, split=split), out, partial))

    @group.command("openai-evals")
    def openai_cmd(
        source: Path = typer.Argument(..., help="Eval definition JSON (create-eval body or retrieved eval), or a "
                                                "legacy openai/evals samples JSONL ({input, ideal})"),
        data: Optional[Path] = typer.Option(None, "--data", help="JSONL data source: {item, sample?} per line"),
        run: Optional[Path] = typer.Option(None, "--run", help="Create-run body JSON: its input_messages template "
                                                               "renders each item's input"),
        out: Path = OUT_OPT,
        replay_out: Optional[Path] = typer.Option(None, "--replay-out", help="Write recorded samples as a replay "
                                                  "file (evaluate them with -t replay:FILE)"),
        legacy_grader: str = typer.Option("match", "--legacy-grader", help="Legacy samples: match (output starts "
                                          "with an ideal answer) | includes | fuzzy_match"),
        partial: bool = PARTIAL_OPT,
        name: Optional[str] = NAME_OPT,
        split: str = SPLIT_OPT,
    ) -> None:
        """An Evals API eval (testing_criteria run as-is) and its data, or legacy {input, ideal} samples."""
        _check_split(split)
        from gradeloop.importers.openai_evals import import_legacy_jsonl, import_openai_eval, looks_legacy

        if looks_legacy(source):
            if legacy_grader not in ("match", "includes", "fuzzy_match"):
                raise InputError("must be match, includes or fuzzy_match", field="--legacy-grader")
            result = import_legacy_jsonl(source, rule=legacy_grader, name=name, split=split)  # type: ignore[arg-type]
        else:
            result = import_openai_eval(source, data, run_file=run, name=name, split=split)
        rc = _finish(result, out, partial)
        if rc == 0 and replay_out is not None:
            if not result.replay:
                print("no recorded samples in the data; no replay file written", file=sys.stderr)
            else:
                _write_jsonl([dict(r) for r in result.replay], replay_out)
                print(f"wrote {replay_out}: {len(result.replay)} recorded output(s)")
        raise typer.Exit(rc)

    @group.command("inspect")
    def inspect_cmd(
        dataset: Path = typer.Argument(..., help="Inspect dataset: .jsonl / .json (json_dataset) or .csv (csv_dataset)"),
        out: Path = OUT_OPT,
        scorer: Optional[str] = typer.Option(None, "--scorer", help="match (default) | includes | exact | choice "
                                             "(default for samples with choices)"),
        field: list[str] = typer.Option([], "--field", help="SAMPLE_FIELD=COLUMN, e.g. input=question (repeatable)"),
        partial: bool = PARTIAL_OPT,
        name: Optional[str] = NAME_OPT,
        split: str = SPLIT_OPT,
    ) -> None:
        """Samples (input, target, choices, id, metadata) become cases graded as the Inspect scorer would."""
        _check_split(split)
        from gradeloop.importers.inspect_dataset import import_inspect_dataset

        if scorer is not None and scorer not in ("match", "includes", "exact", "choice"):
            raise InputError("must be match, includes, exact or choice", field="--scorer")
        fields = {}
        for pair in field:
            key, sep, column = pair.partition("=")
            if not sep or not key or not column:
                raise InputError(f"expected SAMPLE_FIELD=COLUMN, got {pair!r}", field="--field")
            fields[key] = column
        result = import_inspect_dataset(dataset, scorer=scorer, fields=fields, name=name, split=split)  # type: ignore[arg-type]
        raise typer.Exit(_finish(result, out, partial))

    @group.command("instructlab")
    def instructlab_cmd(
        qna: Path = typer.Argument(..., help="InstructLab taxonomy qna.yaml (version 3 knowledge or 2 skills)"),
        out: Path = OUT_OPT,
        train_out: Optional[Path] = typer.Option(None, "--train-out", help="Write the seed examples as chat "
                                                 "training rows (JSONL) with provenance"),
        register_data: bool = typer.Option(True, "--register/--no-register", help="Register the suite and the "
                                           "training rows in the data registry (with --train-out)"),
        registry: Optional[Path] = typer.Option(None, "--registry", envvar="GRADELOOP_DATA_DB",
                                                help="Dataset registry (SQLite); default .gradeloop/data.db"),
        judge: Optional[str] = typer.Option(None, "--judge", help="Judge target spec: grade with an llm_judge "
                                            "against the seed answer (default: ROUGE-L similarity)"),
        partial: bool = PARTIAL_OPT,
        name: Optional[str] = NAME_OPT,
        split: str = SPLIT_OPT,
    ) -> None:
        """Seed examples become cases for evaluation and, with --train-out, registered training data."""
        _check_split(split)
        from gradeloop.importers.instructlab import import_instructlab

        result = import_instructlab(qna, judge=judge, name=name, split=split)
        rc = _finish(result, out, partial)
        if rc != 0 or train_out is None:
            raise typer.Exit(rc)
        _write_jsonl([dict(r) for r in result.training], train_out)
        print(f"wrote {train_out}: {len(result.training)} training row(s)")
        if register_data:
            from gradeloop.data.registry import Registry, file_hash

            with Registry(registry) as reg:
                source = reg.add(qna, kind="train", name=f"{result.suite.name}-qna",
                                 meta={"format": "instructlab-qna", "sha256": file_hash(qna)})
                suite_rec = reg.add(out, kind="suite", parents=[(source.id, "seed_examples")])
                train_rec = reg.add(train_out, kind="train", parents=[(source.id, "seed_examples")],
                                    meta={"format": "chat-jsonl", "rows": len(result.training),
                                          "provenance": dict(result.training[0]["provenance"])})
            print(f"registered {source.id} -> {suite_rec.id} (suite), {train_rec.id} (train)")
        raise typer.Exit(rc)
