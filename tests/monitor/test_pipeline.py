"""End to end: logs + config -> the monitor JSON; quiet traffic stays quiet, a planted drift alerts."""
from __future__ import annotations

import json

import pytest

from gradeloop.errors import InputError
from gradeloop.monitor import MONITOR_SCHEMA, load_monitor_config, run_monitor
from gradeloop.run import Engine, RunConfig, Store, build_run_json
from gradeloop.suite import load_suite
from gradeloop.targets import load_target
from tests.monitor.fakes import T0, rows, write_config, write_log, write_suite

RULES = [{"pass_rate_below": 0.85}, {"refusal_rate_above": 0.1, "slice": "locale"}, {"drift": {"feature": "any"}},
         {"pass_rate_drop": {"alpha": 0.05}}, {"error_rate_above": 0.05}]


@pytest.fixture
def setup(tmp_path):
    suite = write_suite(tmp_path / "suite.yaml", max_words=40)
    write_log(tmp_path / "baseline.jsonl", rows(1500, seed=1, start=T0 - 86400))
    return tmp_path, suite


def _config(tmp_path, suite, **fields):
    fields = {"window": "1h", "slices": ["locale"], "baseline": "baseline.jsonl", "alerts": RULES,
              "drift": {"features": ["output_words", "latency_s", "confidence", "tag:locale"]}, **fields}
    return load_monitor_config(write_config(tmp_path / "monitor.yaml", suite, **fields))


def test_quiet_traffic_raises_no_alert(setup):
    tmp_path, suite = setup
    log = write_log(tmp_path / "traffic.jsonl", rows(2160, seed=2))  # 6 hours, 360 requests per hour
    doc = run_monitor([log], _config(tmp_path, suite))
    assert doc["schema"] == MONITOR_SCHEMA
    assert doc["summary"]["windows"] == 6 and doc["summary"]["requests"] == 2160
    assert doc["summary"]["alerts"] == 0 and doc["summary"]["drifted_features"] == []
    w = doc["windows"][0]
    assert (w["start"], w["n"]) == ("2023-11-14T00:00:00Z", 360)
    assert set(w) >= {"start", "end", "n", "rates", "slices", "drift", "alerts", "pass_rate_change", "sequential"}
    assert set(w["rates"]) == {"pass_rate", "refusal_rate", "error_rate", "latency_s"}
    assert set(w["rates"]["pass_rate"]) >= {"mean", "stderr", "ci_low", "ci_high", "n_cases", "n_samples"}
    assert set(w["slices"]) == {"locale=de", "locale=en"}
    assert {d["feature"] for d in w["drift"]} == {"output_words", "latency_s", "confidence", "tag:locale"}
    assert doc["baseline"]["n"] == 1500 and doc["baseline"]["kind"] == "log"
    json.dumps(doc, allow_nan=False)  # plain JSON: no NaN or infinity


def test_planted_drift_in_one_locale_alerts(setup):
    tmp_path, suite = setup
    quiet = rows(1080, seed=3)
    drifted = rows(1080, seed=4, start=T0 + 1080 * 10, drift_locale="de", drift_words=45, drift_refuse=0.3)
    log = write_log(tmp_path / "traffic.jsonl", quiet + drifted)
    doc = run_monitor([log], _config(tmp_path, suite))
    by_window = [{a["rule"] for a in w["alerts"]} for w in doc["windows"]]
    assert by_window[:3] == [set(), set(), set()]  # before the drift: nothing
    assert all("drift any" in fired for fired in by_window[3:])
    assert any("refusal_rate_above 0.1 on ci_low [locale]" in fired for fired in by_window[3:])
    assert any("pass_rate_drop (sequential)" in fired for fired in by_window[3:])
    refusal = [a for w in doc["windows"] for a in w["alerts"] if a["kind"] == "refusal_rate_above"]
    assert {a["slice"] for a in refusal} == {"locale=de"}
    assert "output_words" in doc["summary"]["drifted_features"]
    assert doc["summary"]["alerting_windows"][0] == 3


def test_count_windows_and_skip_bad(setup):
    tmp_path, suite = setup
    log = write_log(tmp_path / "traffic.jsonl", rows(300, seed=5) + ["oops", '{"timestamp": 1}'] + rows(5, seed=6))
    cfg = _config(tmp_path, suite)
    with pytest.raises(InputError) as exc:
        run_monitor([log], cfg, window=100)
    assert exc.value.line == 301
    doc = run_monitor([log], cfg, window=100, skip_bad=2)
    assert [w["n"] for w in doc["windows"]] == [100, 100, 100, 5] and doc["windows"][-1]["partial"]
    assert doc["ingest"]["bad_lines"] == 2 and doc["ingest"]["bad_examples"][0].startswith(f"{log}:301")
    with pytest.raises(InputError, match="window"):
        run_monitor([log], cfg, window="1y", skip_bad=2)


def test_rates_only_without_a_baseline(setup):
    tmp_path, suite = setup
    log = write_log(tmp_path / "traffic.jsonl", rows(200, seed=7, fail=0.5))
    cfg = _config(tmp_path, suite, baseline=None, alerts=[{"pass_rate_below": 0.8}])
    doc = run_monitor([log], cfg)
    assert doc["baseline"] is None and doc["windows"][0]["drift"] == []
    assert doc["summary"]["alerts"] == 1
    with pytest.raises(InputError, match="needs a `baseline`"):
        run_monitor([log], _config(tmp_path, suite, baseline=None))


def test_baseline_from_a_release_run_is_regraded_with_the_monitor_graders(setup):
    tmp_path, suite = setup
    release = tmp_path / "release.yaml"
    release.write_text("name: release\ncases:\n" + "".join(
        f"  - id: c{i}\n    input: q{i}\n    tags: {{locale: en}}\n    graders: [{{type: contains, values: [ok]}}]\n"
        for i in range(40)))
    replay = write_log(tmp_path / "replay.jsonl",
                       [{"case_id": f"c{i}", "output": "ok bypass" if i < 10 else "ok fine"} for i in range(40)])
    store = Store(tmp_path / "store.db")
    outcome = Engine([load_suite(release)], load_target(f"replay:{replay}"), store, RunConfig()).run()
    run = build_run_json(store, outcome.run_id)
    store.close()
    (tmp_path / "run.json").write_text(json.dumps(run))
    log = write_log(tmp_path / "traffic.jsonl", rows(100, seed=8))
    for ref, kw in (("run.json", {}), (outcome.run_id, {"store": tmp_path / "store.db"})):
        cfg = _config(tmp_path, suite, baseline=ref, alerts=[], drift={"features": ["output_words"], "min_n": 5})
        doc = run_monitor([log], cfg, **kw)
        base = doc["baseline"]
        assert base["kind"] == "run" and base["n"] == 40
        assert base["stored_pass_rate"]["mean"] == 1.0  # the run's own graders: all contain "ok"
        assert base["rates"]["pass_rate"]["mean"] == 0.75  # the monitor's graders: 10 say "bypass"
        assert doc["windows"][0]["drift"][0]["n_baseline"] == 40


def test_no_requests_is_bad_input(setup):
    tmp_path, suite = setup
    log = write_log(tmp_path / "traffic.jsonl", [""])
    with pytest.raises(InputError, match="no requests"):
        run_monitor([log], _config(tmp_path, suite))
