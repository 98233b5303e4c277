"""The viewer's FastAPI app: pages rendered on the server from the results store.

The store is a SQLite file or a PostgreSQL URL; the pages are the same on both (the SQL's JSON
parts are per dialect in `view.dialects`; connections per thread in `view.stores`), and other
processes may be writing into it while it is viewed (see `view.viewer.Viewer` for what is cached).
The compare page's content is assembled in `view.compare`.

Safety: templates autoescape every value (outputs, inputs, case ids, suite names are text, never
markup); responses carry a Content-Security-Policy with no script source; requests must name a
host the server was bound for (a web page elsewhere cannot reach it through DNS rebinding), and a
label POST must come from the viewer's own pages. Run, case and suite ids are only ever SQL
parameters; tune ids, the one thing that names a folder, are checked against a strict pattern and
resolved inside the tunes folder.
"""
from __future__ import annotations

import json
import os
import re
import threading
import time
from contextlib import asynccontextmanager
from importlib import resources
from pathlib import Path
from typing import Any, AsyncIterator, Sequence
from urllib.parse import parse_qs, quote, urlencode, urlsplit

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, PackageLoader, select_autoescape

from gradeloop.errors import InputError
from gradeloop.view import queries
from gradeloop.view.compare import compare_context
from gradeloop.view.stores import StoreUnavailable, store_errors
from gradeloop.view.svg import interval_bars, reliability_diagram, risk_coverage_curve
from gradeloop.view.viewer import RECHECK_S, Viewer

__all__ = ["LOOPBACK_HOSTS", "RECHECK_S", "Viewer", "create_app"]  # Viewer and RECHECK_S live in view.viewer

LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1", "[::1]")
TUNE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")
CSP = ("default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
       "frame-ancestors 'none'; base-uri 'none'")
MAX_FORM_BYTES = 64_000


def _fmt(e: dict | None) -> str:
    if not e or not e.get("n_cases"):
        return "–"
    return f"{e['mean']:.3f} [{e['ci_low']:.3f}, {e['ci_high']:.3f}]"


def _pct(v: float | None) -> str:
    return "–" if v is None else f"{100 * v:.1f}%"


def _when(ts: float | None) -> str:
    return "–" if not ts else time.strftime("%Y-%m-%d %H:%M", time.localtime(ts))


def _pretty(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return json.dumps(value, indent=2, ensure_ascii=False, default=str)


def _env() -> Environment:
    env = Environment(loader=PackageLoader("gradeloop.view", "templates"),
                      autoescape=select_autoescape(["html"], default=True), trim_blocks=True, lstrip_blocks=True)
    env.filters.update(fmt=_fmt, pct=_pct, when=_when, pretty=_pretty, pathq=lambda v: quote(str(v), safe=""))
    return env


def _host_only(value: str) -> str:
    value = value.strip().lower()
    if value.startswith("["):
        return value[: value.find("]") + 1] if "]" in value else value
    return value.rsplit(":", 1)[0] if value.count(":") == 1 else value


def create_app(store: str | Path, *, tunes_dir: str | Path | None = None,
               allowed_hosts: Sequence[str] | None = LOOPBACK_HOSTS, warm: bool = False,
               recheck_s: float = RECHECK_S) -> FastAPI:
    """The viewer app over the store at `store`: a SQLite file's path or a postgresql:// URL.

    `allowed_hosts`: Host header names accepted (loopback names by default); None accepts any host
    (a server bound with --allow-remote to a non-loopback address). `warm`: compute the newest runs'
    figures in a background thread right away (`gradeloop view` does; the first page is then instant).
    `recheck_s`: how often a finished run's cached figures are checked against its sample count.
    """
    viewer = Viewer(store, None if tunes_dir is None else Path(tunes_dir), recheck_s=recheck_s)
    if warm:
        threading.Thread(target=viewer.warm, name="gradeloop-view-warm", daemon=True).start()
    env = _env()
    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        viewer.close()

    app = FastAPI(title="gradeloop view", docs_url=None, redoc_url=None, openapi_url=None, lifespan=lifespan)
    allowed = None if allowed_hosts is None else {_host_only(h) for h in allowed_hosts}
    css = resources.files("gradeloop.view").joinpath("static/view.css").read_text(encoding="utf-8")

    def page(name: str, status: int = 200, **ctx: Any) -> HTMLResponse:
        return HTMLResponse(env.get_template(name).render(**ctx), status_code=status)

    def error(status: int, message: str) -> HTMLResponse:
        return page("error.html", status=status, title=f"{status}", message=message)

    @app.middleware("http")
    async def guard(request: Request, call_next):
        host = _host_only(request.headers.get("host", ""))
        if allowed is not None and host not in allowed:
            return Response("host not allowed\n", status_code=421, media_type="text/plain")
        if request.method not in ("GET", "HEAD"):
            # a write must come from the viewer's own pages: same host AND port (another local web app
            # on another port is another origin); "null" (sandboxed frames) is refused too
            origin = request.headers.get("origin") or request.headers.get("referer")
            if origin and urlsplit(origin).netloc.lower() != request.headers.get("host", "").strip().lower():
                return Response("cross-origin request refused\n", status_code=403, media_type="text/plain")
        response = await call_next(request)
        response.headers["Content-Security-Policy"] = CSP
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "same-origin"  # no-referrer would make a form's Origin "null"
        response.headers["X-Frame-Options"] = "DENY"
        return response

    @app.exception_handler(LookupError)
    async def not_found(request: Request, exc: LookupError) -> HTMLResponse:
        return error(404, str(exc.args[0]) if exc.args else "not found")

    @app.exception_handler(InputError)
    async def bad_input(request: Request, exc: InputError) -> HTMLResponse:
        return error(400, viewer.stores.scrub(str(exc)))

    async def unavailable(request: Request, exc: Exception) -> HTMLResponse:
        # the store cannot be opened, or its server went away or is busy: say so in one line (never
        # the URL's password) and let the next request reconnect
        viewer.stores.discard_broken()
        message = str(exc) if isinstance(exc, StoreUnavailable) else f"the results store failed: {exc}"
        return error(503, viewer.stores.scrub(message))

    kinds: tuple[type[Exception], ...] = (StoreUnavailable, *store_errors())
    for kind in kinds:
        app.add_exception_handler(kind, unavailable)

    @app.get("/static/view.css")
    def stylesheet() -> Response:
        return Response(css, media_type="text/css", headers={"Cache-Control": "max-age=3600"})

    @app.get("/favicon.ico")
    def favicon() -> Response:
        return Response(status_code=204)

    @app.get("/", response_class=HTMLResponse)
    def runs(q: str = "", page_no: int = 1) -> HTMLResponse:
        store = viewer.store()
        metas, total = queries.list_runs(store, q, page_no)
        rows = []
        for m in metas:
            s = viewer.overview(m["run_id"])
            rows.append({"meta": m, "pass_rate": s["metrics"]["pass_rate"], "errors": s["metrics"]["errors"],
                         "verdicts": [x["verdict"] for x in s["suites"]]})
        return page("runs.html", title="runs", rows=rows, q=q, total=total, page_no=page_no,
                    pages=max(1, -(-total // queries.PER_PAGE)), tunes=_tune_ids(viewer.tunes_dir),
                    link=lambda n: "/?" + urlencode({**({"q": q} if q else {}), "page_no": n}))

    @app.get("/runs/{run_id}", response_class=HTMLResponse)
    def run(run_id: str, request: Request, suite: str = "", slice: str = "", grader: str = "", verdict: str = "",
            flaky: str = "", q: str = "", page_no: int = 1, per_page: int = queries.PER_PAGE) -> HTMLResponse:
        error_kind = request.query_params.get("error", "")  # read by hand: a parameter named `error` would shadow the error-page helper
        f = queries.SampleFilter(suite=suite, slice=slice, grader=grader, verdict=verdict, error=error_kind,
                                 flaky=flaky not in ("", "0"), q=q)
        summary = viewer.summary(run_id)
        graders = viewer.graders(run_id)
        samples = queries.sample_page(viewer.store(), run_id, f, page_no, per_page)
        args = f.query_args()
        if samples.per_page != queries.PER_PAGE:
            args["per_page"] = str(samples.per_page)
        slices = summary["slices"]
        return page(
            "run.html", title=f"run {run_id}", run=summary, run_id=run_id, graders=graders, samples=samples, f=f,
            robustness=viewer.robustness(run_id),
            slices=slices, labels=queries.label_counts(viewer.store(), run_id),
            slice_plot=interval_bars([(k, v["pass_rate"]) for k, v in slices.items()], "pass rate by slice"),
            grader_plot=interval_bars([(k, v["pass_rate"]) for k, v in graders.items()], "pass rate by grader"),
            page_link=lambda n: f"/runs/{quote(run_id, safe='')}?" + urlencode({**args, "page_no": n}),
            sample_link=lambda it: f"/runs/{quote(run_id, safe='')}/sample?" + urlencode(
                {"suite": it.suite, "case": it.case_id, "i": it.sample_index}))

    @app.get("/runs/{run_id}/calibration", response_class=HTMLResponse)
    def calibration(run_id: str, signal: str = "") -> HTMLResponse:
        from gradeloop.calibrate.metrics import calibration_report

        meta = viewer.meta(run_id)
        names = queries.signal_names(viewer.store(), run_id)
        # by default the first probability-like signal: calibration needs values in [0, 1]
        chosen = signal or next(iter(queries.unit_signals(viewer.store(), run_id, names)), names[0] if names else "")
        ctx: dict[str, Any] = {"title": f"calibration {run_id}", "run_id": run_id, "names": names, "signal": chosen,
                               "report": None, "problem": None, "run_link": f"/runs/{quote(run_id, safe='')}"}
        if chosen:
            def build() -> Any:
                conf, correct, cases = queries.signal_values(viewer.store(), run_id, chosen)
                if not conf:
                    return f"no sample with a verdict records the signal {chosen!r}"
                try:
                    return calibration_report(conf, correct, cases, n_boot=200, signal=chosen)
                except InputError as exc:
                    return f"{chosen}: {exc}"
            report = viewer.cached(("calibration", run_id, chosen), meta, build)
            if isinstance(report, str):
                ctx["problem"] = report
            else:
                ctx.update(report=report, reliability=reliability_diagram(report.reliability),
                           risk=risk_coverage_curve(report.risk_coverage))
        return page("calibration.html", **ctx)

    @app.get("/runs/{run_id}/sample", response_class=HTMLResponse)
    def sample(run_id: str, suite: str, case: str, i: int = 0, saved: str = "") -> HTMLResponse:
        from gradeloop.labels import sample_labels

        viewer.meta(run_id)
        d = queries.sample_detail(viewer.store(), run_id, suite, case, i)
        if d is None:
            raise LookupError(f"no sample {suite}/{case}#{i} in run {run_id}")
        history = sample_labels(viewer.store(), run_id, suite, case, i)
        base = f"/runs/{quote(run_id, safe='')}/sample?"
        return page("sample.html", title=f"{suite}/{case}#{i}", d=d, labels=history, saved=saved,
                    who=os.environ.get("USER", ""), action=f"/runs/{quote(run_id, safe='')}/label",
                    run_link=f"/runs/{quote(run_id, safe='')}",
                    sibling=lambda n: base + urlencode({"suite": suite, "case": case, "i": n}))

    @app.post("/runs/{run_id}/label")
    async def label(run_id: str, request: Request) -> Response:
        from gradeloop.labels import add_label

        body = await request.body()
        if len(body) > MAX_FORM_BYTES:
            return error(413, "form too large")
        form = {k: v[-1] for k, v in parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True).items()}
        try:
            index = int(form.get("i", ""))
        except ValueError:
            return error(400, "i: not a sample index")
        viewer.meta(run_id)
        try:
            add_label(viewer.store(), run_id, form.get("suite", ""), form.get("case", ""), index,
                      form.get("grader", ""), form.get("label", ""), note=form.get("note", ""),
                      who=form.get("who", "") or os.environ.get("USER", ""))
        except InputError as exc:
            return error(400, str(exc))
        url = f"/runs/{quote(run_id, safe='')}/sample?" + urlencode({"suite": form["suite"], "case": form["case"], "i": index,
                                                      "saved": "1"})
        return RedirectResponse(url, status_code=303)

    @app.get("/compare", response_class=HTMLResponse)
    def compare(base: str = "", cand: str = "", flips: int = 100) -> HTMLResponse:
        metas, _ = queries.list_runs(viewer.store(), "", 1, 200)
        ctx: dict[str, Any] = {"title": "compare", "runs": metas, "base": base, "cand": cand, "cmp": None}
        if base and cand:
            both = (viewer.meta(base), viewer.meta(cand))
            n = max(1, min(flips, 1000))
            ctx.update(viewer.cached(("compare", base, cand, n), both, lambda: compare_context(viewer, base, cand, n)))
        return page("compare.html", **ctx)

    @app.get("/tunes", response_class=HTMLResponse)
    def tunes() -> HTMLResponse:
        items = [t for t in (_tune_state(viewer.tunes_dir, tid) for tid in _tune_ids(viewer.tunes_dir)) if t]
        return page("tunes.html", title="tuning", tunes=items)

    @app.get("/tunes/{tune_id}", response_class=HTMLResponse)
    def tune(tune_id: str) -> HTMLResponse:
        state = _tune_state(viewer.tunes_dir, tune_id)
        if state is None:
            raise LookupError(f"no tuning state {tune_id!r}")
        pts = [("baseline", state.get("baseline", {}).get("focus"))] + [
            (f"iteration {it.get('iteration')}{'' if it.get('kept') else ' (rolled back)'}", it.get("focus"))
            for it in state.get("iterations", [])]
        return page("tune.html", title=f"tuning {tune_id}", state=state, tune_id=tune_id,
                    curve=interval_bars(pts, "focus pass rate per iteration"))

    app.state.viewer = viewer
    return app


def _tune_ids(root: Path) -> list[str]:
    if not root.is_dir():
        return []
    return sorted(p.name for p in root.iterdir() if TUNE_ID.match(p.name) and (p / "state.json").is_file())


def _tune_state(root: Path, tune_id: str) -> dict | None:
    """The saved state of a tune, or None: ids outside the pattern or paths outside `root` are refused."""
    if not TUNE_ID.match(tune_id) or ".." in tune_id:
        return None
    path = (root / tune_id / "state.json").resolve()
    try:
        path.relative_to(root.resolve())
    except ValueError:
        return None
    if not path.is_file():
        return None
    try:
        state = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(state, dict):
        return None
    state.setdefault("tune_id", tune_id)
    return state
