"""The monitor config: defaults, relative paths, windows, and errors naming file, line and field."""
from __future__ import annotations

import pytest

from gradeloop.errors import InputError
from gradeloop.monitor import load_monitor_config, parse_window


def _load(tmp_path, text: str):
    path = tmp_path / "monitor.yaml"
    path.write_text(text)
    return path, load_monitor_config(path)


def test_defaults_and_relative_paths(tmp_path):
    (tmp_path / "base.jsonl").write_text("")
    _, cfg = _load(tmp_path, "suite: s.yaml\nslices: [locale]\nbaseline: base.jsonl\n"
                             "alerts:\n  - {refusal_rate_above: 0.1, slice: intent}\n  - {pass_rate_below: 0.8}\n")
    assert cfg.suite == str(tmp_path / "s.yaml") and cfg.baseline == str(tmp_path / "base.jsonl")
    assert cfg.window_spec.seconds == 3600 and cfg.lateness_s == 300
    assert cfg.slice_keys == ["locale", "intent"]  # an alert's slice key is reported too
    assert cfg.drift_features == ["output_words", "confidence", "latency_s", "tag:locale"]
    assert [r.bound for r in cfg.alerts] == ["ci_low", "ci_high"]  # the confident bound by default
    assert cfg.alerts[0].label == "refusal_rate_above 0.1 on ci_low [intent]"


def test_a_run_id_baseline_is_not_made_a_path(tmp_path):
    _, cfg = _load(tmp_path, "suite: s.yaml\nbaseline: latest\n")
    assert cfg.baseline == "latest"


@pytest.mark.parametrize("value, seconds, count", [("30m", 1800, None), ("1d", 86400, None), ("2w", 1209600, None),
                                                    ("500", None, 500), (250, None, 250)])
def test_windows(value, seconds, count):
    spec = parse_window(value)
    assert (spec.seconds, spec.count) == (seconds, count)


@pytest.mark.parametrize("bad", ["0", "1y", "-5m", "soon", True])
def test_bad_window(bad):
    with pytest.raises(InputError, match="window|count|duration"):
        parse_window(bad)


@pytest.mark.parametrize("text, line, field, words", [
    ("suite: s.yaml\nwindow: 1y\n", 2, "window", "duration"),
    ("suite: s.yaml\nwindo: 1h\n", 2, "windo", "unknown field"),
    ("window: 1h\n", 1, "suite", "required"),
    ("suite: s.yaml\nalerts:\n  - {pass_rate_below: 0.9, refusal_rate_above: 0.1}\n", 3, "alerts[0]", "exactly one"),
    ("suite: s.yaml\nalerts:\n  - {pass_rate_below: 1.5}\n", 3, "alerts[0].pass_rate_below", "less than or equal"),
    ("suite: s.yaml\nalerts:\n  - {drift: {feature: words}}\n", 3, "alerts[0].drift.feature", "unknown drift feature"),
    ("suite: s.yaml\nalerts:\n  - {drift: {feature: confidence}, slice: locale}\n", 3, "alerts[0]", "do not apply"),
    ("suite: s.yaml\nslices: [locale=de]\n", 2, "slices", "tag key"),
    ("suite: s.yaml\ndrift: {features: [tag:locale]}\nalerts:\n  - {drift: {feature: output_words}}\n", None, None,
     "not among drift.features"),
])
def test_config_errors_name_line_and_field(tmp_path, text, line, field, words):
    path = tmp_path / "monitor.yaml"
    path.write_text(text)
    with pytest.raises(InputError) as exc:
        load_monitor_config(path)
    assert exc.value.file == str(path) and words in exc.value.message
    if line is not None:
        assert exc.value.line == line and exc.value.field == field
