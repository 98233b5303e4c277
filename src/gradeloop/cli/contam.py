"""`gradeloop contam TRAIN... --against SUITE...`: training data that repeats evaluation cases."""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from gradeloop.data.contam import KINDS, ContamParams, scan_contamination


def _clip(text: str, width: int = 160) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[:width - 1] + "…"


def register(app: typer.Typer) -> None:
    @app.command("contam")
    def contam_cmd(
        train: list[Path] = typer.Argument(..., help="Training files: text (one document per line), JSONL or CSV"),
        against: list[Path] = typer.Option(..., "--against", help="Evaluation suite files or folders (repeatable)"),
        field: list[str] = typer.Option([], "--field", help="JSONL/CSV field holding text (repeatable; default: "
                                        "every string field plus chat messages' content)"),
        jaccard: float = typer.Option(0.7, "--jaccard", help="Near-duplicate Jaccard threshold (word shingles)"),
        containment: float = typer.Option(0.8, "--containment", help="Share of an evaluation item's shingles "
                                          "inside a training document that counts as a near-duplicate"),
        ngram: int = typer.Option(13, "--ngram", help="Word n-gram length of the overlap rule"),
        shingle: int = typer.Option(2, "--shingle", help="Words per shingle"),
        min_words: int = typer.Option(8, "--min-words", help="Shorter evaluation items get only the exact check"),
        check: list[str] = typer.Option(list(KINDS), "--check", help="exact | near | ngram (repeatable)"),
        workers: Optional[int] = typer.Option(None, "--workers", min=1, help="Processes (default: all cores)"),
        backend: Optional[str] = typer.Option(None, "--backend", help="MinHash library: rensa | datasketch"),
        json_out: Optional[Path] = typer.Option(None, "--json", help="Write gradeloop.contam/v1 JSON here"),
        show: int = typer.Option(20, "--show", min=0, help="Hits to print"),
    ) -> None:
        """Exact, near (MinHash LSH; containment) and 13-gram overlaps; exit 1 when any hit is found."""
        params = ContamParams(jaccard=jaccard, containment=containment, ngram=ngram, shingle=shingle,
                              min_words=min_words, kinds=tuple(dict.fromkeys(check)), backend=backend)
        report = scan_contamination(list(train), list(against), params=params, fields=field or None,
                                    workers=workers)
        if json_out:
            from gradeloop.cli.common import write_json

            write_json(json_out, report.as_dict())
        for hit in report.hits[:show]:
            typer.echo(f"{hit.kind:5} {hit.measure} {hit.score:.2f}  {hit.train_file}:{hit.train_line}  ↔  "
                       f"{hit.suite}/{hit.case_id} ({hit.part})")
            typer.echo(f"      train: {_clip(hit.train_text)}")
            typer.echo(f"      eval:  {_clip(hit.eval_text)}")
        if len(report.hits) > show:
            typer.echo(f"… and {len(report.hits) - show} more" + (f" (all in {json_out})" if json_out else ""))
        by_kind = {k: sum(1 for h in report.hits if h.kind == k) for k in KINDS}
        verdict = "contaminated" if report.hits else "clean"
        typer.echo(f"{verdict}: {len(report.hits)} hit(s) ({', '.join(f'{n} {k}' for k, n in by_kind.items())}) "
                   f"in {report.docs:,} training documents against {report.cases:,} evaluation cases "
                   f"({report.seconds:.1f} s)")
        if report.hits:
            raise typer.Exit(1)
