"""`gradeloop report`: HTML, Markdown or JUnit from a run, a comparison or a tuning run."""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from gradeloop.cli.common import STORE_OPT
from gradeloop.errors import InputError
from gradeloop.files import atomic_write_text


def load_document(ref: str, store: Optional[Path]) -> dict:
    """A run (id, latest, file) or any gradeloop JSON document (compare, tune)."""
    path = Path(ref)
    if path.is_file():
        from gradeloop import safejson
        from gradeloop.files import read_input_bytes
        from gradeloop.run.schema import validate_document
        from gradeloop.suite.text import decode_utf8

        doc = safejson.loads(decode_utf8(read_input_bytes(path, what="JSON document"), ref), ref)
        if not isinstance(doc, dict) or not str(doc.get("schema", "")).startswith("gradeloop."):
            raise InputError("not a gradeloop document (no gradeloop schema)", file=ref, field="schema")
        return validate_document(doc, ref)
    from gradeloop.run.results import load_run

    return load_run(ref, store)


def register(app: typer.Typer) -> None:
    @app.command("report")
    def report_cmd(
        ref: str = typer.Argument("latest", help="Run id, latest, or a run/compare/tune JSON file"),
        html: Optional[Path] = typer.Option(None, "--html", help="Write a self-contained HTML page"),
        markdown: bool = typer.Option(False, "--markdown", help="Print Markdown (for a pull-request comment)"),
        md_out: Optional[Path] = typer.Option(None, "--markdown-out", help="Write the Markdown to a file"),
        junit: Optional[Path] = typer.Option(None, "--junit", help="Write JUnit XML"),
        store: Optional[Path] = STORE_OPT,
    ) -> None:
        """Render a report; with no format option, write report.html."""
        from gradeloop.report import render_html, render_junit, render_markdown

        doc = load_document(ref, store)
        if not (html or markdown or md_out or junit):
            html = Path("report.html")
        if html:
            atomic_write_text(html, render_html(doc))
            print(f"wrote {html}")
        if markdown or md_out:
            text = render_markdown(doc)
            if md_out:
                atomic_write_text(md_out, text)
            if markdown:
                print(text)
        if junit:
            atomic_write_text(junit, render_junit(doc))
            print(f"wrote {junit}")
