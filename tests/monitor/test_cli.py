"""`gradeloop monitor`: exit 0 without alerts, 1 when one fires, 2 on bad input; JSON and tables."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from gradeloop.cli import app, main
from gradeloop.cli import monitor as monitor_cli
from tests.monitor.fakes import T0, rows, write_config, write_log, write_suite

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "monitor"

if not any(c.name == "monitor" for c in app.registered_commands):  # until the lead wires it into the CLI
    monitor_cli.register(app)


@pytest.fixture
def files(workdir):
    suite = write_suite(workdir / "suite.yaml")
    write_log(workdir / "baseline.jsonl", rows(800, seed=1, start=T0 - 86400))
    cfg = write_config(workdir / "monitor.yaml", suite, window="2h", slices=["locale"], baseline="baseline.jsonl",
                       alerts=[{"pass_rate_below": 0.8}, {"drift": {"feature": "any"}}])
    return workdir, cfg


def test_exit_0_without_alerts_and_json_written(files, capsys):
    tmp, cfg = files
    log = write_log(tmp / "t.jsonl", rows(1440, seed=2))
    assert main(["monitor", str(log), "--config", str(cfg), "--json", "out/m.json"]) == 0
    doc = json.loads((tmp / "out" / "m.json").read_text())
    assert doc["schema"] == "gradeloop.monitor/v1" and doc["summary"]["windows"] == 2
    out = capsys.readouterr().out
    assert "window 0" in out and "locale=de" in out and "no alerts" in out


def test_exit_1_when_an_alert_fires(files, capsys):
    tmp, cfg = files
    log = write_log(tmp / "t.jsonl", rows(720, seed=3, fail=0.4))
    assert main(["monitor", str(log), "-c", str(cfg), "-q"]) == 1
    out = capsys.readouterr().out
    assert "alert(s)" in out and "pass_rate_below 0.8" in out and "window 0" not in out  # -q: no tables


@pytest.mark.parametrize("mutate, needle", [
    (lambda tmp, cfg: (write_log(tmp / "t.jsonl", rows(5) + ['{"timestamp": "x", "input": "q", "output": "a"}']),
                       []), "t.jsonl:6: timestamp: not an ISO 8601"),
    (lambda tmp, cfg: (write_log(tmp / "t.jsonl", rows(5)), ["--window", "1y"]), "window"),
    (lambda tmp, cfg: (write_log(tmp / "t.jsonl", rows(5)), ["--config", str(tmp / "none.yaml")]), "none.yaml"),
    (lambda tmp, cfg: (tmp / "missing.jsonl", []), "no such log file"),
])
def test_exit_2_on_bad_input_with_one_line(files, capsys, mutate, needle):
    tmp, cfg = files
    log, extra = mutate(tmp, cfg)
    args = ["monitor", str(log), "--config", str(cfg), *extra]
    if "--config" in extra:
        args = ["monitor", str(log), *extra]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert needle in err and "Traceback" not in err


def test_skip_bad_reports_what_it_skipped(files, capsys):
    tmp, cfg = files
    log = write_log(tmp / "t.jsonl", rows(50) + ["{broken"])
    assert main(["monitor", str(log), "-c", str(cfg), "--skip-bad", "1", "-q", "--window", "25"]) == 0
    assert "skipped 1 bad line(s)" in capsys.readouterr().out


def test_the_example_finds_its_planted_drift_and_only_it(workdir, capsys):
    rc = main(["monitor", str(EXAMPLE / "traffic.jsonl"), "-c", str(EXAMPLE / "monitor.yaml"), "--json", "m.json"])
    assert rc == 1
    doc = json.loads((workdir / "m.json").read_text())
    assert doc["summary"]["alerting_windows"] == [2, 3]  # the drift starts at noon; 6h windows
    slices = {a["slice"] for w in doc["windows"] for a in w["alerts"] if a["kind"] == "refusal_rate_above"}
    assert slices == {"locale=de"}
    assert "output_words" in doc["summary"]["drifted_features"]
    assert "ALERT" in capsys.readouterr().out
