"""`gradeloop view`, `gradeloop labels export`, `gradeloop judge validate`: the human-review loop.

`view` serves the local viewer (the `view` extra) over the results store, a SQLite file or a
PostgreSQL store (`--store postgresql://...`, $GRADELOOP_STORE or the project's `store:`; the
`postgres` extra), where other machines may be writing runs while it is viewed; reviewers label
grades there; `labels export` writes those labels as JSONL; `judge validate` measures a grader
against them. A store URL is only ever printed without its password.
"""
from __future__ import annotations

import ipaddress
import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Optional

import typer

from gradeloop.cli.common import STORE_OPT
from gradeloop.errors import InputError
from gradeloop.files import atomic_write_text

if TYPE_CHECKING:
    from gradeloop.run.store import Store

DEFAULT_PORT = 8765


def is_loopback(host: str) -> bool:
    """True for names and addresses that only this machine can reach."""
    name = host.strip().strip("[]").lower()
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def _store_location(store: Optional[Path]) -> str | Path:
    """The store to read: a PostgreSQL URL as given, or a SQLite file that must exist (never created here)."""
    from gradeloop.run.sql import store_location
    from gradeloop.run.store import DEFAULT_STORE

    location = store_location(store or os.environ.get("GRADELOOP_STORE") or DEFAULT_STORE)
    if isinstance(location, str):
        return location
    if not location.is_file():
        raise InputError("no results store here; run `gradeloop eval` first or pass --store", file=str(location))
    return location


def _shown(location: str | Path) -> str:
    from gradeloop.run.sql import redact_url

    return redact_url(location) if isinstance(location, str) else str(location)


def _open(store: Optional[Path]) -> "Store":
    """The store, opened; an unreachable or refused PostgreSQL URL is one InputError without its password."""
    from gradeloop.run.sql import scrub_secrets
    from gradeloop.run.store import Store

    location = _store_location(store)
    try:
        return Store(location)
    except InputError as exc:
        if isinstance(location, str):
            raise InputError(scrub_secrets(" ".join(str(exc).split()), location)) from None
        raise


def register(app: typer.Typer) -> None:
    @app.command("view")
    def view_cmd(
        store: Optional[Path] = STORE_OPT,
        port: int = typer.Option(DEFAULT_PORT, "--port", min=0, max=65535, help="Port (0: any free port)"),
        host: str = typer.Option("127.0.0.1", "--host", help="Address to bind; loopback unless --allow-remote"),
        allow_remote: bool = typer.Option(False, "--allow-remote",
                                          help="Allow a non-loopback --host (anyone who can reach it sees the runs)"),
        tunes: Optional[Path] = typer.Option(None, "--tunes", help="Folder of tuning states (default: beside the "
                                                                   "store, .gradeloop/tunes)"),
    ) -> None:
        """Browse runs, samples, comparisons and tuning in a local web page; label grades."""
        if not is_loopback(host) and not allow_remote:
            raise InputError(f"{host} is not a loopback address: the viewer shows every output in the store; "
                             "pass --allow-remote to bind it anyway", field="--host")
        location = _store_location(store)
        if isinstance(location, str):
            _open(store).close()  # reachable, with a schema this gradeloop reads: else one line, exit 2, now
        shown = _shown(location)
        try:
            import uvicorn

            from gradeloop.view import create_app
        except ImportError as exc:
            raise InputError(f"the viewer needs the `view` extra (pip install 'gradeloop[view]'): {exc}") from None
        remote = not is_loopback(host)
        if remote:
            print(f"warning: serving {shown} on {host}:{port}, reachable from other machines; no authentication",
                  file=sys.stderr)
        # loopback: only loopback Host headers (no DNS rebinding); remote: whatever name reaches it
        application = create_app(location, tunes_dir=tunes, warm=True,
                                 allowed_hosts=None if remote else ("127.0.0.1", "localhost", "::1", host))
        bound = f"[{host}]" if ":" in host else host
        print(f"gradeloop view: http://{bound}:{port}/  (store {shown}; Ctrl-C stops)")
        uvicorn.run(application, host=host, port=port, log_level="warning")

    labels_app = typer.Typer(no_args_is_help=True, help="Human labels of grades, made in `gradeloop view`.")
    app.add_typer(labels_app, name="labels")

    @labels_app.command("export")
    def labels_export(
        out: Path = typer.Option(..., "--out", help="JSONL file to write (one label a line)"),
        run: Optional[str] = typer.Option(None, "--run", help="Only this run's labels (id or latest)"),
        all_history: bool = typer.Option(False, "--history", help="Every review, not only the latest per grade"),
        store: Optional[Path] = STORE_OPT,
    ) -> None:
        """Write the store's labels (the latest per sample and grader) as JSONL."""
        from gradeloop.labels import export_labels, latest_labels
        from gradeloop.labels.records import all_labels
        from gradeloop.run.results import resolve_run_id

        st = _open(store)
        try:
            run_id = resolve_run_id(st, run) if run else None
            if run_id is not None and st.run_meta(run_id) is None:
                raise InputError(f"no run {run_id!r} in {st.path}", field="--run")
            items = all_labels(st, run_id) if all_history else latest_labels(st, run_id)
        finally:
            st.close()
        atomic_write_text(out, export_labels(items))
        print(f"wrote {len(items)} label(s) to {out}")

    judge_app = typer.Typer(no_args_is_help=True, help="Check an LLM judge against human labels.")
    app.add_typer(judge_app, name="judge")

    _register_probe(judge_app)

    @judge_app.command("validate")
    def judge_validate(
        labels: str = typer.Option(..., "--labels", help="A labels JSONL file (labels export), or a run id/latest"),
        grader: str = typer.Option(..., "--grader", help="Grader name, as in the run's grades"),
        min_kappa: float = typer.Option(0.6, "--min-kappa", min=-1.0, max=1.0,
                                        help="Validation passes when κ's lower bound reaches this"),
        json_out: Optional[Path] = typer.Option(None, "--json", help="Write the result as JSON"),
        store: Optional[Path] = STORE_OPT,
    ) -> None:
        """Cohen's κ, TPR and TNR of a grader's verdicts vs human labels, with 95% intervals.

        Exit 0 when validation passes, 1 when it fails or is inconclusive (too few labels).
        """
        from gradeloop.labels import latest_labels, read_labels_file, validate_grader

        path = Path(labels)
        if path.is_file() or labels.endswith(".jsonl"):
            items = read_labels_file(path)
            where = str(path)
        else:
            from gradeloop.run.results import resolve_run_id

            st = _open(store)
            try:
                run_id = resolve_run_id(st, labels)
                if st.run_meta(run_id) is None:
                    raise InputError(f"no run {run_id!r} in {st.path}", field="--labels")
                items = latest_labels(st, run_id)
            finally:
                st.close()
            where = f"run {run_id}"
        if not any(x.grader == grader for x in items):
            names = sorted({x.grader for x in items})
            raise InputError(f"no label of grader {grader!r} in {where}"
                             + (f" (labelled graders: {', '.join(names)})" if names else ""), field="--grader")
        result = validate_grader(items, grader, min_kappa=min_kappa)
        _print_validation(result)
        if json_out:
            atomic_write_text(json_out, json.dumps(result.as_dict(), indent=2))
        raise typer.Exit(0 if result.verdict == "pass" else 1)


def _register_probe(judge_app: typer.Typer) -> None:
    @judge_app.command("probe")
    def judge_probe(
        run: str = typer.Argument(..., help="Run id or latest: its stored outputs are re-judged"),
        grader: str = typer.Option(..., "--grader", help="Grader name (an llm_judge of the run's suites)"),
        repeats: int = typer.Option(3, "--repeats", min=2, max=50, help="Judgements of each output (noise)"),
        pad_words: int = typer.Option(120, "--pad-words", min=1, max=5000, help="Words of neutral padding"),
        limit: int = typer.Option(200, "--limit", min=1, help="Outputs to probe (whole cases, seeded order)"),
        seed: int = typer.Option(0, "--seed"),
        json_out: Optional[Path] = typer.Option(None, "--json", help="Write the result as JSON"),
        store: Optional[Path] = STORE_OPT,
    ) -> None:
        """Re-judge stored outputs: the judge's own noise (K re-judgements), generation noise apart from it,
        and verbosity bias (neutral padding). Informational: exit 0."""
        from gradeloop.labels.probes import probe_judge
        from gradeloop.run.results import resolve_run_id
        from gradeloop.targets.judge import judge_factory

        st = _open(store)
        try:
            result = probe_judge(st, resolve_run_id(st, run), grader, judge_factory=judge_factory, repeats=repeats,
                                 pad_words=pad_words, limit=limit, seed=seed)
        finally:
            st.close()

        def rate(x) -> str:
            return "–" if x.value is None else f"{x.value:.3f} [{x.ci_low:.3f}, {x.ci_high:.3f}] ({x.hits}/{x.n})"

        print(f"judge {grader} on run {result.run_id}: {result.n_outputs} output(s), {result.repeats} judgements each"
              + (f", {result.errors} skipped (judge errors)" if result.errors else ""))
        print(f"  judge noise: verdicts disagree on {rate(result.noise_flip)} of outputs; "
              f"judge variance {result.judge_variance:.4f}")
        gen = "–" if result.generation_variance is None else f"{result.generation_variance:.4f}"
        print(f"  generation variance (between a case's samples, judge share removed): {gen}")
        print(f"  agreement with the recorded verdict: {rate(result.recorded_agreement)}")
        print(f"  verbosity (+{pad_words} words of padding): fail→pass {rate(result.padded_fail_to_pass)}, "
              f"pass→fail {rate(result.padded_pass_to_fail)}")
        print(f"  position swap: {result.position_swap}")
        for note in result.notes:
            print(f"  note: {note}")
        if json_out:
            atomic_write_text(json_out, json.dumps(result.as_dict(), indent=2))


def _print_validation(r) -> None:
    def rate(x) -> str:
        if x.value is None:
            return "–"
        return f"{x.value:.3f} [{x.ci_low:.3f}, {x.ci_high:.3f}]" if x.ci_low is not None else f"{x.value:.3f}"

    c = r.confusion
    print(f"judge {r.grader}: {r.n_labels} labelled sample(s) over {r.n_cases} case(s)")
    print(f"  confusion (human × judge): pass→pass {c['tp']}  pass→fail {c['fn']}  fail→pass {c['fp']}  "
          f"fail→fail {c['tn']}")
    print(f"  Cohen's κ  {rate(r.kappa)}  (case-clustered bootstrap)")
    print(f"  TPR        {rate(r.tpr)}  (judge passes what humans pass; Wilson)")
    print(f"  TNR        {rate(r.tnr)}  (judge fails what humans fail; Wilson)")
    print(f"  agreement  {rate(r.agreement)}")
    print(f"  verdict: {r.verdict.upper()} (κ lower bound ≥ {r.min_kappa} required)"
          + (": " + "; ".join(r.reasons) if r.reasons else ""))
