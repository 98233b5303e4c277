"""The viewer on a run of 100,000 samples: time to open the run page and page through its samples
over HTTP (httpx against uvicorn on 127.0.0.1, and Chromium through Playwright when present), side
by side with rendering the static HTML report of the same run (build_run_json + render_html).

The run is made by the engine with a replay target: 25,000 cases × 4 samples, two graders
(contains, regex), tags over three slices, a tenth of the samples failing and one in 500 erroring.

    .venv/bin/python bench/view_bench.py [--cases 25000] [--samples 4] [--pages 20]
"""
from __future__ import annotations

import argparse
import json
import random
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from gradeloop.report import render_html  # noqa: E402
from gradeloop.run import Engine, RunConfig, Store, build_run_json  # noqa: E402
from gradeloop.suite import load_suite  # noqa: E402
from gradeloop.targets import load_target  # noqa: E402
from gradeloop.view import create_app  # noqa: E402
from gradeloop.view.serve import background_server  # noqa: E402


def make_run(work: Path, cases: int, samples: int, seed: int = 0) -> tuple[Path, str, float]:
    rng = random.Random(seed)
    suite = work / "big.jsonl"
    with suite.open("w") as f:
        f.write(json.dumps({"suite": {"name": "big", "defaults": {"graders": [{"type": "contains", "value": "ok"},
                                                                  {"type": "regex", "pattern": "^ok"}]}}}) + "\n")
        for i in range(cases):
            f.write(json.dumps({"id": f"c{i:06d}", "input": f"question {i} " + "lorem ipsum " * 8,
                                "tags": {"area": ["alpha", "beta", "gamma"][i % 3]}}) + "\n")
    replay = work / f"big.replay{seed}.jsonl"
    with replay.open("w") as f:
        for i in range(cases):
            for s in range(samples):
                if rng.random() < 0.002:
                    continue  # no recorded output: a target error of that sample
                text = ("ok " if rng.random() > 0.1 else "no ") + f"answer {i}/{s} " + "words " * 20
                f.write(json.dumps({"case_id": f"c{i:06d}", "sample": s, "output": text}) + "\n")
    store_path = work / "store.db"
    store = Store(store_path)
    t0 = time.perf_counter()
    outcome = Engine([load_suite(suite)], load_target(f"replay:{replay}"), store, RunConfig(samples=samples)).run()
    built = time.perf_counter() - t0
    store.close()
    return store_path, outcome.run_id, built


def timed_get(client: httpx.Client, url: str) -> tuple[float, int]:
    t0 = time.perf_counter()
    r = client.get(url)
    dt = time.perf_counter() - t0
    if r.status_code != 200:
        raise SystemExit(f"{url}: HTTP {r.status_code}")
    return dt, len(r.content)


def browser_times(base: str, run_id: str, pages: int) -> dict[str, float] | None:
    chromium = shutil.which("chromium")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        return None
    if chromium is None:
        return None
    out: dict[str, float] = {}
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=chromium, args=["--no-sandbox", "--disable-gpu"])
        page = b.new_page()
        t0 = time.perf_counter()
        page.goto(f"{base}/runs/{run_id}", wait_until="load")
        out["open run page"] = time.perf_counter() - t0
        steps = []
        for _ in range(pages):
            t0 = time.perf_counter()
            with page.expect_navigation(wait_until="load"):
                page.click("a[rel=next]")
            steps.append(time.perf_counter() - t0)
        out["next page (median)"] = statistics.median(steps)
        out["next page (max)"] = max(steps)
        t0 = time.perf_counter()
        page.goto(f"{base}/runs/{run_id}?verdict=fail&page_no=50", wait_until="load")
        out["filter verdict=fail, page 50"] = time.perf_counter() - t0
        b.close()
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--cases", type=int, default=25_000)
    ap.add_argument("--samples", type=int, default=4)
    ap.add_argument("--pages", type=int, default=20)
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="view-bench-"))
    try:
        store_path, run_id, built = make_run(work, args.cases, args.samples)
        _, cand_id, _ = make_run(work, args.cases, args.samples, seed=1)  # a second run: the compare page
        n = args.cases * args.samples
        print(f"run {run_id}: {args.cases:,} cases × {args.samples} = {n:,} planned samples (engine {built:.1f}s)")

        st = Store(store_path)
        t0 = time.perf_counter()
        doc = build_run_json(st, run_id)
        t_json = time.perf_counter() - t0
        t0 = time.perf_counter()
        page = render_html(doc)
        t_html = time.perf_counter() - t0
        st.close()
        del doc

        rows: list[tuple[str, float, int]] = []
        with background_server(create_app(store_path)) as base, httpx.Client(base_url=base, timeout=120) as client:
            rows.append(("runs list (first: computes the two runs' figures)", *timed_get(client, "/")))
            rows.append(("run page, first open (summary + grader rates)", *timed_get(client, f"/runs/{run_id}")))
            rows.append(("run page, again (figures cached)", *timed_get(client, f"/runs/{run_id}")))
            steps = [timed_get(client, f"/runs/{run_id}?page_no={p}") for p in range(2, args.pages + 2)]
            rows.append((f"pages 2..{args.pages + 1} (median)", statistics.median(s[0] for s in steps), steps[0][1]))
            last = -(-n // 50)
            rows.append((f"last page ({last:,}, deepest OFFSET)", *timed_get(client, f"/runs/{run_id}?page_no={last}")))
            rows.append(("filter verdict=fail, page 1", *timed_get(client, f"/runs/{run_id}?verdict=fail")))
            rows.append(("filter grader=regex&verdict=fail", *timed_get(client, f"/runs/{run_id}?grader=regex&verdict=fail")))
            rows.append(("filter slice=area=beta, page 100",
                         *timed_get(client, f"/runs/{run_id}?slice=area%3Dbeta&page_no=100")))
            rows.append(("flaky cases", *timed_get(client, f"/runs/{run_id}?flaky=1")))
            pick = min(12345, args.cases - 1)
            rows.append((f"text search q=answer {pick}/", *timed_get(client, f"/runs/{run_id}?q=answer+{pick}%2F")))
            rows.append(("sample page", *timed_get(client, f"/runs/{run_id}/sample?suite=big&case=c{pick:06d}&i=1")))
            rows.append(("compare page, cold (both runs' figures, verdicts and grades + compare_runs)",
                         *timed_get(client, f"/compare?base={run_id}&cand={cand_id}")))
            rows.append(("compare page, again (cached)", *timed_get(client, f"/compare?base={run_id}&cand={cand_id}")))
            browser = browser_times(base, run_id, args.pages)
        # as `gradeloop view` starts: the newest runs' figures computed in the background at start-up
        t0 = time.perf_counter()
        app = create_app(store_path, warm=True)
        viewer = app.state.viewer
        while not any(k[:2] == ("graders", run_id) for k in list(viewer._cache)):
            time.sleep(0.05)
        t_warm = time.perf_counter() - t0
        with background_server(app) as base, httpx.Client(base_url=base, timeout=120) as client:
            rows.append((f"after start-up warm-up ({t_warm:.1f}s in the background): runs list",
                         *timed_get(client, "/")))
            rows.append(("after start-up warm-up: run page, first open", *timed_get(client, f"/runs/{run_id}")))
        print()
        print("| what | seconds | bytes |")
        print("|---|--:|--:|")
        print(f"| static report: build_run_json | {t_json:.2f} | |")
        print(f"| static report: render_html | {t_html:.2f} | {len(page.encode()):,} |")
        print(f"| static report: total | {t_json + t_html:.2f} | |")
        for name, dt, size in rows:
            print(f"| viewer over HTTP: {name} | {dt:.3f} | {size:,} |")
        if browser:
            for name, dt in browser.items():
                print(f"| viewer in Chromium: {name} | {dt:.3f} | |")
        else:
            print("| viewer in Chromium | skipped (no chromium or playwright) | |")
        first_open = rows[1][1]
        paging = rows[3][1]
        print(f"\nstatic report / viewer first open: {(t_json + t_html) / first_open:.1f}x; "
              f"static report / one viewer page: {(t_json + t_html) / paging:.0f}x")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
