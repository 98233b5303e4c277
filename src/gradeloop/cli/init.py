"""`gradeloop init`: a starter project that runs green at once (`gradeloop eval`)."""
from __future__ import annotations

from pathlib import Path

import typer


def register(app: typer.Typer) -> None:
    @app.command("init")
    def init_cmd(
        folder: Path = typer.Argument(Path("."), help="Where to write the project (default: here)"),
        force: bool = typer.Option(False, "--force", help="Overwrite starter files that already exist"),
    ) -> None:
        """Write gradeloop.yaml, a suite, an app stub, a pytest file and a CI workflow."""
        from gradeloop.starter import write_starter

        written = write_starter(folder, force=force)
        for path in written:
            print(f"wrote {path}")
        where = "" if folder.resolve() == Path.cwd().resolve() else f"cd {folder} && "
        print(f"\nnext: {where}gradeloop eval          # runs suites/ on the app in app.py\n"
              "      pytest                  # the same suite as a test\n"
              "      edit app.py to call your app, and suites/starter.yaml to say what good looks like")
