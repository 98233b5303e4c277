"""The viewer on PostgreSQL beside SQLite: the same 100,000-sample runs, the same pages over HTTP.

Two runs are made by the engine into SQLite (bench/view_bench.py's make_run: 25,000 cases × 4
samples, two graders, three tag slices), copied into a throwaway PostgreSQL on 127.0.0.1
(scripts/postgres.sh, `gradeloop.run.transfer.copy_store`), and each page is fetched from a viewer
over each store (uvicorn on 127.0.0.1, httpx). Cold pages are timed once on a fresh server; pages
read again are the median of `--repeat` reads. PostgreSQL is measured twice: right after the copy
(no planner statistics, no visibility map yet) and after VACUUM ANALYZE (what autovacuum gives a
live server shortly after a bulk load). Prints seconds side by side and PostgreSQL / SQLite.

    .venv/bin/python bench/view_postgres.py [--cases 25000] [--samples 4] [--repeat 5]
"""
from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))

from gradeloop.run import Store  # noqa: E402
from gradeloop.run.transfer import copy_store  # noqa: E402
from gradeloop.view import create_app  # noqa: E402
from gradeloop.view.serve import background_server  # noqa: E402
from view_bench import make_run  # noqa: E402


def pages(run_id: str, cand_id: str, cases: int, samples: int) -> list[tuple[str, str, bool]]:
    """(name, URL, cold): cold pages are timed once, first; the others are read `repeat` times."""
    pick = min(12345, cases - 1)
    last = -(-cases * samples // 50)
    return [
        ("runs list, cold (both runs' overall figures)", "/", True),
        ("run page, first open, cold (slice figures + grader rates + page 1)", f"/runs/{run_id}", True),
        ("compare page, cold (lean runs + compare_runs)", f"/compare?base={run_id}&cand={cand_id}", True),
        ("runs list, again", "/", False),
        ("run page, again (figures cached)", f"/runs/{run_id}", False),
        ("page 2", f"/runs/{run_id}?page_no=2", False),
        (f"last page ({last:,}, deepest OFFSET)", f"/runs/{run_id}?page_no={last}", False),
        ("filter verdict=fail, page 1", f"/runs/{run_id}?verdict=fail", False),
        ("filter grader=regex&verdict=fail", f"/runs/{run_id}?grader=regex&verdict=fail", False),
        ("filter slice=area=beta, page 100", f"/runs/{run_id}?slice=area%3Dbeta&page_no=100", False),
        ("flaky cases", f"/runs/{run_id}?flaky=1", False),
        (f"text search q=answer {pick}/", f"/runs/{run_id}?q=answer+{pick}%2F", False),
        ("sample page", f"/runs/{run_id}/sample?suite=big&case=c{pick:06d}&i=1", False),
        ("compare page, again (cached)", f"/compare?base={run_id}&cand={cand_id}", False),
    ]


def measure(location: str | Path, plan: list[tuple[str, str, bool]], repeat: int) -> dict[str, tuple[float, int]]:
    out: dict[str, tuple[float, int]] = {}
    app = create_app(location, tunes_dir=Path(tempfile.gettempdir()) / "no-tunes-here")  # the same on both
    with background_server(app) as base, httpx.Client(base_url=base, timeout=600) as client:
        for name, url, cold in sorted(plan, key=lambda p: not p[2]):
            times = []
            size = 0
            for _ in range(1 if cold else repeat):
                t0 = time.perf_counter()
                r = client.get(url)
                times.append(time.perf_counter() - t0)
                if r.status_code != 200:
                    raise SystemExit(f"{url}: HTTP {r.status_code}")
                size = len(r.content)
            out[name] = (statistics.median(times), size)
    app.state.viewer.close()
    return out


def vacuum(url: str) -> None:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--cases", type=int, default=25_000)
    ap.add_argument("--samples", type=int, default=4)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="view-pg-bench-"))
    cluster = Path(tempfile.mkdtemp(prefix="view-pg-bench-server-"))  # its own folder: the server user owns it
    try:
        store_path, run_id, built = make_run(work, args.cases, args.samples)
        _, cand_id, _ = make_run(work, args.cases, args.samples, seed=1)
        started = subprocess.run(["bash", str(ROOT / "scripts" / "postgres.sh"), "start", str(cluster)],
                                 capture_output=True, text=True, check=True)
        url = started.stdout.strip().splitlines()[-1]
        t0 = time.perf_counter()
        src, dst = Store(store_path), Store(url)
        try:
            report = copy_store(src, dst)
        finally:
            src.close()
            dst.close()
        t_copy = time.perf_counter() - t0
        print(f"two runs of {args.cases:,} cases × {args.samples} samples (engine {built:.1f}s each); "
              f"store migrate into PostgreSQL {t_copy:.1f}s ({report.summary()})")
        plan = pages(run_id, cand_id, args.cases, args.samples)
        lite = measure(store_path, plan, args.repeat)
        fresh = measure(url, plan, args.repeat)
        vacuum(url)
        pg = measure(url, plan, args.repeat)
        print()
        print("| page | SQLite s | PostgreSQL s, right after the copy | PostgreSQL s, after VACUUM ANALYZE "
              "| PostgreSQL (analyzed) / SQLite | bytes |")
        print("|---|--:|--:|--:|--:|--:|")
        for name, _, _ in plan:
            (a, size), (f, _), (b, size_pg) = lite[name], fresh[name], pg[name]
            same = "" if size == size_pg else f" (PostgreSQL {size_pg:,})"
            print(f"| {name} | {a:.3f} | {f:.3f} | {b:.3f} | {b / a:.2f}× | {size:,}{same} |")
    finally:
        subprocess.run(["bash", str(ROOT / "scripts" / "postgres.sh"), "stop", str(cluster)], capture_output=True)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
