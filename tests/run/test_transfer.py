"""Copying a store: a run becomes done in the destination only after its samples are in."""
from __future__ import annotations

import json

from gradeloop.api import run_document
from gradeloop.run import Store
from gradeloop.run import transfer


def test_a_run_is_done_in_the_destination_only_once_its_samples_are_there(tmp_path, monkeypatch):
    suite = tmp_path / "s.yaml"
    suite.write_text("name: s\ncases:\n" + "".join(
        f"  - id: c{i}\n    input: q{i}\n    graders: [{{type: contains, value: ok}}]\n" for i in range(30)))
    (tmp_path / "r.jsonl").write_text("".join(json.dumps({"case_id": f"c{i}", "output": "ok"}) + "\n"
                                              for i in range(30)))
    monkeypatch.chdir(tmp_path)
    doc = run_document([suite], "replay:r.jsonl", store=tmp_path / "a.db")
    monkeypatch.setattr(transfer, "_BATCH", 7)  # samples arrive in five batches
    source, dest = Store(tmp_path / "a.db"), Store(tmp_path / "b.db")
    seen: list[tuple[str, int]] = []
    real = dest.db.executemany

    class Watching:  # what a reader of the destination would see between two sample batches
        def __getattr__(self, name):
            return getattr(real.__self__, name)

        def executemany(self, sql, rows):
            if "INTO samples" in sql:
                status = real.__self__.execute("SELECT status FROM runs").fetchone()[0]
                n = real.__self__.execute("SELECT COUNT(*) FROM samples").fetchone()[0]
                seen.append((status, n))
            return real(sql, rows)

        def __enter__(self):
            return real.__self__.__enter__()

        def __exit__(self, *exc):
            return real.__self__.__exit__(*exc)

    try:
        dest.db = Watching()
        report = transfer.copy_store(source, dest)
        dest.db = real.__self__
        assert report.written["samples"] == 30 and len(seen) == 5
        assert all(status == "running" for status, _ in seen)  # never "done" with samples missing
        row = dest.db.execute("SELECT status, finished FROM runs WHERE run_id = ?", (doc["run_id"],)).fetchone()
        assert row[0] == "done" and row[1] == source.db.execute("SELECT finished FROM runs").fetchone()[0]
    finally:
        source.close()
        dest.db = real.__self__
        dest.close()
