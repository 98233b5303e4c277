"""Log ingestion: validation with file:line:field, timestamps, the bad-line budget, streaming, merging."""
from __future__ import annotations

import gzip
import json

import pytest

from gradeloop.errors import InputError
from gradeloop.monitor import BadLines, iter_logs, parse_record, parse_timestamp
from tests.monitor.fakes import write_log

GOOD = {"timestamp": "2025-03-04T10:00:00Z", "input": "q", "output": "a"}


def _error(tmp_path, line: str) -> InputError:
    path = write_log(tmp_path / "log.jsonl", [GOOD, line])
    with pytest.raises(InputError) as exc:
        list(iter_logs([path]))
    assert exc.value.file == str(path) and exc.value.line == 2
    return exc.value


@pytest.mark.parametrize("line, field, words", [
    ('{"input": "q", "output": "a"}', "timestamp", "missing"),
    ('{"timestamp": "yesterday", "input": "q", "output": "a"}', "timestamp", "ISO 8601"),
    ('{"timestamp": 1741082400000, "input": "q", "output": "a"}', "timestamp", "milliseconds"),
    ('{"timestamp": true, "input": "q", "output": "a"}', "timestamp", "epoch seconds"),
    ('{"timestamp": 1741082400, "output": "a"}', "input", "missing"),
    ('{"timestamp": 1741082400, "input": [{"role": "user"}], "output": "a"}', "input[0]", "role"),
    ('{"timestamp": 1741082400, "input": "q"}', "output", "error"),
    ('{"timestamp": 1741082400, "input": "q", "output": 3}', "output", "string"),
    ('{"timestamp": 1741082400, "input": "q", "output": "a", "confidence": 1.5}', "confidence", "[0, 1]"),
    ('{"timestamp": 1741082400, "input": "q", "output": "a", "latency_s": -1}', "latency_s", ">= 0"),
    ('{"timestamp": 1741082400, "input": "q", "output": "a", "tags": {"k": [1]}}', "tags.k", "string"),
    ('{"timestamp": 1741082400, "input": "q", "output": "a", "tags": "x"}', "tags", "mapping"),
    ('{"timestamp": 1741082400, "input": "q", "output": "a", "error": 5}', "error", "string"),
    ('[1, 2]', None, "JSON object"),
    ('{"timestamp": 1741082400, "input": "q", ', None, "malformed JSON"),
])
def test_bad_line_names_file_line_and_field(tmp_path, line, field, words):
    err = _error(tmp_path, line)
    assert err.field == field
    assert words in err.message
    assert "log.jsonl:2: " in str(err)


def test_invalid_utf8_is_a_bad_line(tmp_path):
    path = tmp_path / "log.jsonl"
    path.write_bytes(json.dumps(GOOD).encode() + b"\n" + b'{"x": "\xff"}\n')
    with pytest.raises(InputError, match="UTF-8") as exc:
        list(iter_logs([path]))
    assert exc.value.line == 2


def test_timestamps_iso_epoch_and_naive_utc():
    assert parse_timestamp("2025-03-04T10:00:00Z") == 1741082400.0
    assert parse_timestamp("2025-03-04T11:00:00+01:00") == 1741082400.0
    assert parse_timestamp("2025-03-04T10:00:00") == 1741082400.0  # naive: UTC
    assert parse_timestamp(1741082400) == 1741082400.0
    assert parse_timestamp(1741082400.5) == 1741082400.5


def test_record_fields_are_kept():
    r = parse_record({"timestamp": 5, "input": [{"role": "user", "content": "hi"}], "output": "yo",
                      "tags": {"locale": "de", "tier": 2, "beta": True}, "latency_s": 0.5, "confidence": 0.9,
                      "error": "", "request_id": "abc"}, "f.jsonl", 7)
    assert r.ts == 5.0 and r.output == "yo" and r.error is None  # an empty error is no error
    assert dict(r.tags) == {"locale": "de", "tier": "2", "beta": "true"}
    assert r.latency_s == 0.5 and r.confidence == 0.9 and (r.file, r.line) == ("f.jsonl", 7)
    failed = parse_record({"timestamp": 5, "input": "q", "output": None, "error": "timeout"})
    assert failed.output is None and failed.error == "timeout"


def test_skip_bad_counts_and_reports_up_to_the_budget(tmp_path):
    path = write_log(tmp_path / "log.jsonl", [GOOD, "not json", GOOD, '{"timestamp": 1}', "", GOOD])
    bad = BadLines(limit=2)
    records = list(iter_logs([path], bad))
    assert len(records) == 3 and [r.line for r in records] == [1, 3, 6]
    assert bad.count == 2 and bad.lines == 5  # the blank line is neither a record nor bad
    assert bad.examples[0].startswith(f"{path}:2: malformed JSON")
    assert bad.as_dict()["bad_lines"] == 2
    with pytest.raises(InputError, match="more than 1 bad lines") as exc:
        list(iter_logs([path], BadLines(limit=1)))
    assert exc.value.line == 4


def test_streams_without_reading_ahead(tmp_path):
    """The first record arrives before a bad line further down is read: lines are not held in memory."""
    path = write_log(tmp_path / "log.jsonl", [GOOD] * 3 + ["broken"])
    it = iter_logs([path])
    assert next(it).line == 1
    with pytest.raises(InputError):
        list(it)


def test_files_merge_by_timestamp_and_gzip_is_read(tmp_path):
    a = write_log(tmp_path / "a.jsonl", [{**GOOD, "timestamp": t, "output": f"a{t}"} for t in (1, 4, 6)])
    b = tmp_path / "b.jsonl.gz"
    with gzip.open(b, "wt") as fh:
        for t in (2, 3, 5):
            fh.write(json.dumps({**GOOD, "timestamp": t, "output": f"b{t}"}) + "\n")
    assert [r.output for r in iter_logs([a, b])] == ["a1", "b2", "b3", "a4", "b5", "a6"]


def test_missing_file_is_input_error(tmp_path):
    with pytest.raises(InputError, match="no such log file"):
        list(iter_logs([tmp_path / "nope.jsonl"]))
