"""Scale-out: 200,000 samples with the local executor and with Ray, into SQLite and into PostgreSQL.

Each configuration runs in its own process (so peak memory is its own): a replay target (recorded
outputs, so the work measured is gradeloop's: plan, dispatch, grade, store), 50,000 cases x 4
samples, two graders per case. Prints wall time, samples/s and peak resident memory of the driver
(and of each Ray worker) side by side, with the ratio to local + SQLite, and the driver's own CPU
per sample: with Ray, what the driver alone must do per sample (plan, send, receive, store), so
1 / that is the most samples/s any number of workers can reach through one driver.

    .venv/bin/python bench/scale_out.py                      # 200,000 samples, 2 Ray workers
    .venv/bin/python bench/scale_out.py --n 20000 --only local-sqlite,ray-sqlite
    .venv/bin/python bench/scale_out.py --pg-url postgresql://...   # an existing server

Without --pg-url, PostgreSQL comes from scripts/postgres.sh (a throwaway local cluster).
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CONFIGS = ("local-sqlite", "ray-sqlite", "local-postgres", "ray-postgres")


def write_data(folder: Path, n: int, samples: int) -> tuple[Path, Path]:
    cases = n // samples
    suite, replay = folder / "scale.jsonl", folder / "scale_replay.jsonl"
    with suite.open("w") as fs, replay.open("w") as fr:
        for i in range(cases):
            fs.write(json.dumps({"id": f"q{i:06d}", "input": f"What is {i} + {i}?", "tags": {"part": f"p{i % 7}"},
                                 "graders": [{"type": "contains", "value": str(2 * i)},
                                             {"type": "not_contains", "value": "sorry"}]}) + "\n")
            for k in range(samples):
                out = f"The answer is {2 * i}." if (i + k) % 5 else "I am not sure."
                fr.write(json.dumps({"case_id": f"q{i:06d}", "sample": k, "output": out}) + "\n")
    return suite, replay


def one(config: str, suite: str, replay: str, store: str, workers: int) -> dict:
    """One configuration, in this process: the run's wall time and peak memory."""
    from gradeloop.api import run_document

    executor_name, _ = config.split("-")
    executor = None
    init_s = 0.0
    if executor_name == "ray":
        import ray

        from gradeloop.run.ray_executor import RayExecutor

        t0 = time.perf_counter()
        ray.init(num_cpus=workers, include_dashboard=False, log_to_driver=False)
        init_s = time.perf_counter() - t0
        executor = RayExecutor(workers=workers)
    t0 = time.perf_counter()
    cpu0 = resource.getrusage(resource.RUSAGE_SELF)
    doc = run_document([suite], f"replay:{replay}", samples=None, store=store, full=False, executor=executor,
                       concurrency=8)
    wall = time.perf_counter() - t0
    cpu1 = resource.getrusage(resource.RUSAGE_SELF)
    cpu = (cpu1.ru_utime - cpu0.ru_utime) + (cpu1.ru_stime - cpu0.ru_stime)  # the driver process only
    n = doc["metrics"]["pass_rate"]["n_samples"]
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    result = {"config": config, "samples": n, "wall_s": wall, "per_s": n / wall, "driver_peak_mb": peak,
              "ray_init_s": init_s, "driver_cpu_us": cpu / n * 1e6, "pass_rate": doc["metrics"]["pass_rate"]["mean"]}
    if executor is not None:
        result["worker_peak_mb"] = executor.worker_peak_rss_mb
        import ray

        ray.shutdown()
    return result


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=200_000, help="samples (cases x 4)")
    ap.add_argument("--samples", type=int, default=4, help="samples per case")
    ap.add_argument("--workers", type=int, default=2, help="Ray workers (actors; one CPU each)")
    ap.add_argument("--only", default=",".join(CONFIGS), help="comma-separated: " + ", ".join(CONFIGS))
    ap.add_argument("--pg-url", default=None, help="PostgreSQL server to use (default: scripts/postgres.sh start)")
    ap.add_argument("--one", nargs=4, metavar=("CONFIG", "SUITE", "REPLAY", "STORE"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.one:
        print("RESULT " + json.dumps(one(*args.one, workers=args.workers)), flush=True)
        return
    wanted = [c for c in args.only.split(",") if c]
    folder = Path(tempfile.mkdtemp(prefix="gradeloop-scale."))
    suite, replay = write_data(folder, args.n, args.samples)
    pg_dir = None
    url = args.pg_url
    if url is None and any(c.endswith("postgres") for c in wanted):
        pg_dir = tempfile.mkdtemp(prefix="gradeloop-scale-pg.")
        url = subprocess.run(["bash", str(ROOT / "scripts" / "postgres.sh"), "start", pg_dir], check=True,
                             capture_output=True, text=True).stdout.strip().splitlines()[-1]
    results = []
    try:
        for i, config in enumerate(wanted):
            if config.endswith("sqlite"):
                store = str(folder / f"{config}.db")
            else:
                import psycopg

                name = f"scale_{i}"
                with psycopg.connect(url, autocommit=True) as conn:
                    conn.execute(f"DROP DATABASE IF EXISTS {name}")
                    conn.execute(f"CREATE DATABASE {name}")
                store = url.rsplit("/", 1)[0] + "/" + name
            proc = subprocess.run([sys.executable, __file__, "--workers", str(args.workers), "--one", config,
                                   str(suite), str(replay), store], capture_output=True, text=True,
                                  env=dict(os.environ, HF_HUB_OFFLINE="1"))
            line = next((ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT ")), None)
            if line is None:
                sys.exit(f"{config} failed:\n{proc.stderr[-3000:]}")
            results.append(json.loads(line[7:]))
            print(f"{config}: {results[-1]['per_s']:,.0f} samples/s", file=sys.stderr, flush=True)
    finally:
        if pg_dir is not None:
            subprocess.run(["bash", str(ROOT / "scripts" / "postgres.sh"), "stop", pg_dir], capture_output=True)
    base = next((r for r in results if r["config"] == "local-sqlite"), results[0])
    assert len({round(r["pass_rate"], 12) for r in results}) == 1, "configurations disagree on the results"
    print(f"\n{args.n:,} samples ({args.n // args.samples:,} cases x {args.samples}), replay target, "
          f"{args.workers} Ray workers, {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f}\n")
    print("| configuration | wall s | samples/s | vs local+SQLite | driver CPU µs/sample | driver ceiling samples/s "
          "| driver peak MiB | worker peak MiB | Ray start s |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in results:
        workers = ", ".join(f"{m:.0f}" for m in r.get("worker_peak_mb", [])) or "–"
        ray_s = f"{r['ray_init_s']:.1f}" if r["ray_init_s"] else "–"
        print(f"| {r['config']} | {r['wall_s']:.1f} | {r['per_s']:,.0f} | {r['per_s'] / base['per_s']:.2f}x | "
              f"{r['driver_cpu_us']:.0f} | {1e6 / r['driver_cpu_us']:,.0f} | {r['driver_peak_mb']:.0f} | {workers} "
              f"| {ray_s} |")


if __name__ == "__main__":
    main()
