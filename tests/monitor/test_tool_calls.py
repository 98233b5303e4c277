"""Monitor on logs that carry tool calls: tool-call rate and failure rate per window, an alert on
the failure rate, and the suite's tool-call graders scoring each logged call."""
from __future__ import annotations

import pytest

from gradeloop.errors import InputError
from gradeloop.monitor import load_monitor_config, run_monitor
from tests.monitor.fakes import T0, write_config, write_log

SUITE = """\
name: prod-tools
defaults:
  tools:
    - {type: function, function: {name: lookup_order, parameters: {type: object, properties: {order_id: {type: string}}, required: [order_id], additionalProperties: false}}}
  graders:
    - {type: tool_call_valid, require_call: false}
cases:
  - {id: c1, input: hi}
"""


def _rows(n_hours: int, fail_from_hour: int) -> list[dict]:
    out = []
    for i in range(n_hours * 100):
        hour = i // 100
        row = {"timestamp": T0 + i * 36, "input": "where is my order?"}
        if i % 4 == 0:
            row["output"] = "Happy to help."
            row["tool_calls"] = []
        elif hour >= fail_from_hour and i % 2 == 1:
            row["tool_calls"] = [{"name": "lookup_order", "arguments": "{order_id: A1"}]  # broken JSON
        elif i % 10 == 3:
            row["tool_calls"] = [{"name": "lookup_order", "arguments": {"order_id": "A1"}, "error": "timeout"}]
        else:
            row["tool_calls"] = [{"type": "function", "function": {"name": "lookup_order",
                                                                   "arguments": "{\"order_id\": \"A1\"}"}}]
        out.append(row)
    return out


def test_tool_call_rates_per_window_and_failure_alert(tmp_path):
    (tmp_path / "suite.yaml").write_text(SUITE)
    log = write_log(tmp_path / "traffic.jsonl", _rows(3, fail_from_hour=2))
    cfg = load_monitor_config(write_config(tmp_path / "monitor.yaml", tmp_path / "suite.yaml", window="1h",
                                           alerts=[{"tool_call_failure_rate_above": 0.3}]))
    doc = run_monitor([log], cfg)
    first, _, last = doc["windows"]
    assert first["rates"]["tool_call_rate"]["mean"] == pytest.approx(0.75)
    assert first["rates"]["tool_call_failure_rate"]["mean"] == pytest.approx(10 / 75)
    assert first["rates"]["pass_rate"]["mean"] == pytest.approx(1.0)  # a failed run is not an invalid call
    assert last["rates"]["tool_call_failure_rate"]["mean"] > 0.6
    assert last["rates"]["pass_rate"]["mean"] == pytest.approx(0.5)  # broken JSON fails tool_call_valid
    assert [a["metric"] for a in last["alerts"]] == ["tool_call_failure_rate"] and not first["alerts"]


def test_logs_without_calls_have_no_tool_rates_and_bad_calls_name_the_line(tmp_path):
    (tmp_path / "suite.yaml").write_text(SUITE)
    cfg = load_monitor_config(write_config(tmp_path / "monitor.yaml", tmp_path / "suite.yaml", window="1h"))
    log = write_log(tmp_path / "plain.jsonl", [{"timestamp": T0 + i, "input": "q", "output": "a"} for i in range(5)])
    assert "tool_call_rate" not in run_monitor([log], cfg)["windows"][0]["rates"]
    bad = write_log(tmp_path / "bad.jsonl", [{"timestamp": T0, "input": "q", "tool_calls": [{"arguments": {}}]}])
    with pytest.raises(InputError) as info:
        run_monitor([bad], cfg)
    assert info.value.line == 1 and info.value.field == "tool_calls[0]"
