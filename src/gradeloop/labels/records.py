"""Reading and writing human labels in the results store, and their JSONL export.

Every review is a new row (who, when, note): the history stays, and the latest label of a
(sample, grader) pair is the one that counts. The grade's verdict at labelling time is copied into
the row, so an export is self-contained and `human_passed` can be derived without the run.
"""
from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Iterable

from gradeloop.errors import InputError
from gradeloop.files import read_input_bytes
from gradeloop.run.store import Store

LABELS_SCHEMA = "gradeloop.labels/v1"
VERDICTS = ("right", "wrong")
MAX_NOTE = 4000  # a note is a sentence or two; a pasted novel is cut, never refused silently
MAX_WHO = 100


@dataclass(frozen=True, slots=True)
class Label:
    """One reviewer's judgement of one grader's verdict on one sample."""

    run_id: str
    suite: str
    case_id: str
    sample_index: int
    grader: str
    grade_passed: bool | None  # the grader's recorded verdict when the label was made
    label: str  # "right" | "wrong"
    note: str
    who: str
    created: float

    @property
    def human_passed(self) -> bool | None:
        """The reviewer's verdict: the grade's, or its opposite when marked wrong."""
        if self.grade_passed is None:
            return None
        return self.grade_passed if self.label == "right" else not self.grade_passed

    def as_dict(self) -> dict:
        return {"schema": LABELS_SCHEMA, **asdict(self), "human_passed": self.human_passed}


_COLUMNS = "run_id, suite, case_id, sample_index, grader, grade_passed, label, note, who, created"


def _row(r: tuple) -> Label:
    return Label(r[0], r[1], r[2], int(r[3]), r[4], None if r[5] is None else bool(r[5]), r[6], r[7], r[8],
                 float(r[9]))


def add_label(store: Store, run_id: str, suite: str, case_id: str, sample_index: int, grader: str,
              label: str, note: str = "", who: str = "") -> Label:
    """Record a review of `grader`'s verdict on a stored sample; the sample and grade must exist."""
    if label not in VERDICTS:
        raise InputError(f"must be one of {', '.join(VERDICTS)}", field="label")
    row = store.db.execute("SELECT grades FROM samples WHERE run_id=? AND suite=? AND case_id=? AND sample_index=?",
                           (run_id, suite, case_id, sample_index)).fetchone()
    if row is None:
        raise InputError(f"no sample {suite}/{case_id}#{sample_index} in run {run_id!r}", field="sample")
    grades = [g for g in json.loads(row[0]) if isinstance(g, dict) and g.get("grader") == grader]
    if not grades:
        raise InputError(f"sample {suite}/{case_id}#{sample_index} has no grade by {grader!r}", field="grader")
    grade = grades[0]
    passed = None if grade.get("error") is not None or grade.get("passed") is None else bool(grade["passed"])
    item = Label(run_id, suite, case_id, int(sample_index), grader, passed, label, str(note)[:MAX_NOTE],
                 (str(who).strip() or "unknown")[:MAX_WHO], time.time())
    with store.db:
        store.db.execute(f"INSERT INTO labels ({_COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?,?)",
                         (item.run_id, item.suite, item.case_id, item.sample_index, item.grader,
                          None if passed is None else int(passed), item.label, item.note, item.who, item.created))
    return item


def sample_labels(store: Store, run_id: str, suite: str, case_id: str, sample_index: int) -> list[Label]:
    """Every label of one sample, oldest first (the history a reviewer sees)."""
    rows = store.db.execute(f"SELECT {_COLUMNS} FROM labels WHERE run_id=? AND suite=? AND case_id=? "
                            "AND sample_index=? ORDER BY label_id", (run_id, suite, case_id, sample_index))
    return [_row(r) for r in rows]


def latest_labels(store: Store, run_id: str | None = None) -> list[Label]:
    """The latest label of each (run, sample, grader): earlier reviews of the same grade are superseded."""
    where, args = ("WHERE run_id=?", (run_id,)) if run_id else ("", ())
    rows = store.db.execute(
        f"SELECT {_COLUMNS} FROM labels WHERE label_id IN (SELECT MAX(label_id) FROM labels {where} "
        "GROUP BY run_id, suite, case_id, sample_index, grader) ORDER BY run_id, suite, case_id, sample_index, grader",
        args)
    return [_row(r) for r in rows]


def export_labels(labels: Iterable[Label]) -> str:
    """JSONL, one label a line: what `gradeloop labels export` writes."""
    return "".join(json.dumps(item.as_dict(), ensure_ascii=False) + "\n" for item in labels)


def read_labels_file(path: str | Path) -> list[Label]:
    """Labels from an export; a malformed line is one InputError naming file, line and field."""
    raw = read_input_bytes(Path(path), what="labels file")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError("not valid UTF-8", file=str(path), line=raw[: exc.start].count(b"\n") + 1) from None
    out: list[Label] = []
    for lineno, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            d = json.loads(line)
        except (json.JSONDecodeError, RecursionError):
            raise InputError("not valid JSON", file=str(path), line=lineno) from None
        if not isinstance(d, dict):
            raise InputError("each line must be a JSON object", file=str(path), line=lineno)
        for field in ("run_id", "suite", "case_id", "grader", "label"):
            if not isinstance(d.get(field), str):
                raise InputError("missing or not a string", file=str(path), line=lineno, field=field)
        if d["label"] not in VERDICTS:
            raise InputError(f"must be one of {', '.join(VERDICTS)}", file=str(path), line=lineno, field="label")
        index = d.get("sample_index", 0)
        if not isinstance(index, int) or isinstance(index, bool) or index < 0:
            raise InputError("must be a non-negative integer", file=str(path), line=lineno, field="sample_index")
        gp = d.get("grade_passed")
        if gp is not None and not isinstance(gp, bool):
            raise InputError("must be true, false or null", file=str(path), line=lineno, field="grade_passed")
        created = d.get("created", 0.0)
        out.append(Label(d["run_id"], d["suite"], d["case_id"], index, d["grader"], gp, d["label"],
                         str(d.get("note") or ""), str(d.get("who") or "unknown"),
                         float(created) if isinstance(created, (int, float)) else 0.0))
    return out


def all_labels(store: Store, run_id: str | None = None) -> list[Label]:
    """Every review, oldest first (`labels export --history`)."""
    where, args = ("WHERE run_id=?", (run_id,)) if run_id else ("", ())
    return [_row(r) for r in store.db.execute(f"SELECT {_COLUMNS} FROM labels {where} ORDER BY label_id", args)]
