"""`gradeloop contam` of a 1,000,000-line training file against 10,000 evaluation cases.

Generates (once, cached under bench/.work/) a plain-text training file with ~10% planted
contamination (exact, reworded, 13-20-word spans, short items inside long documents) and a
10,000-case YAML suite, then runs the whole `gradeloop contam` command as a child process on
every core and prints its wall time, the peak memory of its process tree (RSS summed, and PSS,
which counts pages shared by the workers once), precision and recall against the plants, and
the ratio against a plain-Python exact-13-gram set-intersection baseline (one core). It also
times MinHash signatures + LSH queries per document with rensa and with datasketch.

    nice .venv/bin/python bench/contam_bench.py [--lines 1000000 --cases 10000 --workers 2]
                                                [--backend datasketch --skip-baseline]
"""
from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

from gradeloop.data.planted import planted_corpus, precision_recall

WORK = Path(__file__).resolve().parent / ".work"
_RUN_CLI = ("import sys, gradeloop.cli as c\n"
            "if 'contam' not in c._COMMAND_MODULES:\n"
            "    c._COMMAND_MODULES = c._COMMAND_MODULES + ('contam',)\n"
            "sys.exit(c.main(sys.argv[1:]))\n")


def corpus(lines: int, cases: int, seed: int) -> tuple[Path, Path, dict]:
    """The training file, the suite and the planted truth, generated once per parameter set."""
    from gradeloop.suite import dump_suite

    tag = f"{lines}x{cases}s{seed}"
    train, suite, truth_file = WORK / f"train-{tag}.txt", WORK / f"eval-{tag}.yaml", WORK / f"truth-{tag}.json"
    if not truth_file.exists():
        started = time.perf_counter()
        made = planted_corpus(train, n_eval=cases, n_train=lines, seed=seed)
        dump_suite(made.suite, suite)
        truth_file.write_text(json.dumps([[line, case, kind] for (line, case), kind in made.truth.items()]))
        print(f"generated {lines:,} training lines and {cases:,} cases in {time.perf_counter() - started:.0f} s")
    truth = {(line, case): kind for line, case, kind in json.loads(truth_file.read_text())}
    return train, suite, truth


def _tree(root: int) -> list[int]:
    pids, frontier = [root], [root]
    while frontier:
        pid = frontier.pop()
        try:
            for task in os.listdir(f"/proc/{pid}/task"):
                children = Path(f"/proc/{pid}/task/{task}/children").read_text().split()
                pids += [int(c) for c in children]
                frontier += [int(c) for c in children]
        except OSError:
            continue
    return pids


def _memory(pids: list[int]) -> tuple[int, int]:
    rss = pss = 0
    for pid in pids:
        try:
            text = Path(f"/proc/{pid}/smaps_rollup").read_text()
        except OSError:
            continue
        rss += int(re.search(r"^Rss:\s+(\d+)", text, re.M).group(1))
        pss += int(re.search(r"^Pss:\s+(\d+)", text, re.M).group(1))
    return rss * 1024, pss * 1024


def run_cli(args: list[str]) -> tuple[float, int, int, int]:
    """Wall time, exit code and peak tree RSS / PSS (bytes) of one `gradeloop` process."""
    started = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-c", _RUN_CLI, *args], stdout=subprocess.PIPE, text=True)
    peak = [0, 0]

    def watch() -> None:
        while proc.poll() is None:
            rss, pss = _memory(_tree(proc.pid))
            peak[0], peak[1] = max(peak[0], rss), max(peak[1], pss)
            time.sleep(0.1)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    out, _ = proc.communicate()
    wall = time.perf_counter() - started
    watcher.join()
    print("   ", out.strip().splitlines()[-1] if out.strip() else "(no output)")
    return wall, proc.returncode, peak[0], peak[1]


def baseline(train: Path, suite: Path, n: int = 13) -> tuple[float, int]:
    """Plain Python: every evaluation 13-gram in a set; each training line's 13-grams intersected with it."""
    from gradeloop.suite import load_suite

    strip = str.maketrans({c: " " for c in "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"})
    grams: set[tuple[str, ...]] = set()
    for case in load_suite(suite).cases:
        toks = str(case.input).lower().translate(strip).split()
        grams.update(tuple(toks[i:i + n]) for i in range(len(toks) - n + 1))
    started = time.perf_counter()
    flagged = 0
    with train.open(encoding="utf-8") as handle:
        for line in handle:
            toks = line.lower().translate(strip).split()
            if not grams.isdisjoint(tuple(toks[i:i + n]) for i in range(len(toks) - n + 1)):
                flagged += 1
    return time.perf_counter() - started, flagged


def minhash_costs(train: Path, docs: int = 20_000) -> dict[str, tuple[float, float]]:
    """Per document: signature time and LSH query time (µs), for each installed backend."""
    from itertools import islice

    from gradeloop.data.minhash import BACKENDS, MinHashIndex
    from gradeloop.data.text import shingles, words

    with train.open(encoding="utf-8") as handle:
        sets = [shingles(words(line), 2) for line in islice(handle, docs)]
    out = {}
    for backend in BACKENDS:
        try:
            index = MinHashIndex(sets[: docs // 2], threshold=0.7, backend=backend)
        except ImportError:
            continue
        lists = [list(s) for s in sets if s]
        started = time.perf_counter()
        sigs = index.signatures(lists)
        sign = (time.perf_counter() - started) / len(lists) * 1e6
        started = time.perf_counter()
        index.query_signatures(sigs)
        out[backend] = (sign, (time.perf_counter() - started) / len(lists) * 1e6)
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--lines", type=int, default=1_000_000)
    ap.add_argument("--cases", type=int, default=10_000)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--backend", default=None, help="MinHash library for the CLI run: rensa | datasketch")
    ap.add_argument("--skip-baseline", action="store_true")
    args = ap.parse_args()
    WORK.mkdir(parents=True, exist_ok=True)
    train, suite, truth = corpus(args.lines, args.cases, args.seed)
    print(f"load average before: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    hits_file = WORK / "hits.json"
    wall, rc, rss, pss = run_cli(["contam", str(train), "--against", str(suite), "--workers", str(args.workers),
                                  "--json", str(hits_file), "--show", "0"]
                                 + (["--backend", args.backend] if args.backend else []))
    hits = json.loads(hits_file.read_text())["hits"]
    scores = precision_recall([_Hit(h) for h in hits], truth)
    print(f"gradeloop contam: {wall:.1f} s wall, exit {rc}, peak memory {rss / 2**20:.0f} MiB RSS summed over "
          f"the process tree ({pss / 2**20:.0f} MiB PSS); {len(hits):,} hits")
    print("  precision {precision:.4f}  recall {recall:.4f}  (exact {recall_exact:.4f}, near {recall_near:.4f}, "
          "ngram {recall_ngram:.4f}) over {planted:.0f} planted pairs".format(**scores))
    if not args.skip_baseline:
        seconds, flagged = baseline(train, suite)
        print(f"plain-Python exact-13-gram baseline (1 core, no exact/near checks): {seconds:.1f} s, "
              f"{flagged:,} lines flagged; gradeloop contam / baseline = {wall / seconds:.2f}")
    for backend, (sign, query) in minhash_costs(train).items():
        print(f"MinHash {backend}: {sign:.1f} µs per signature, {query:.1f} µs per LSH query (128 permutations)")


class _Hit:
    """A hit from the JSON file with the fields precision_recall reads."""

    def __init__(self, h: dict) -> None:
        self.train_line, self.case_id, self.kind = h["train"]["line"], h["eval"]["case_id"], h["kind"]


if __name__ == "__main__":
    main()
