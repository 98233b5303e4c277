"""assert_suite / assert_no_regression: pass quietly, fail with the failing cases or checks named."""
from __future__ import annotations

import sys

import pytest

from gradeloop.testing import assert_no_regression, assert_suite

CASES = "".join(f"  - id: c{i}\n    input: q{i}\n    graders: [{{type: contains, value: ok}}]\n" for i in range(20))


@pytest.fixture
def apps(workdir, monkeypatch):
    (workdir / "s.yaml").write_text("name: s\ncases:\n" + CASES)
    (workdir / "t.yaml").write_text("name: t\nthresholds: {min_pass_rate: 0.5}\ncases:\n" + CASES)
    (workdir / "assert_app.py").write_text(
        "def good(prompt):\n    return 'ok'\n"
        "def half(prompt):\n    return 'ok' if int(prompt[1:]) % 2 else 'no'\n"
        "def broken(prompt):\n    raise ValueError('down')\n")
    monkeypatch.syspath_prepend(str(workdir))
    yield workdir
    sys.modules.pop("assert_app", None)


def test_assert_suite_passes_and_returns_the_run(apps):
    run = assert_suite("s.yaml", "py:assert_app:good", store="a.db")
    assert run.pass_rate.mean == 1.0


def test_without_threshold_every_case_must_pass(apps):
    with pytest.raises(AssertionError) as info:
        assert_suite("s.yaml", "py:assert_app:half", store="a.db")
    text = str(info.value)
    assert "10 case(s) did not pass" in text and "s/c0: contains: missing 'ok' | output: no" in text


def test_threshold_or_min_pass_rate_decides(apps):
    assert assert_suite("t.yaml", "py:assert_app:half", store="a.db").pass_rate.mean == 0.5
    with pytest.raises(AssertionError, match="pass rate 0.500"):
        assert_suite("t.yaml", "py:assert_app:half", store="a.db", min_pass_rate=0.8)


def test_errors_fail_closed(apps):
    with pytest.raises(AssertionError, match="20 target error"):
        assert_suite("t.yaml", "py:assert_app:broken", store="a.db", min_pass_rate=0.0)


def test_assert_no_regression(apps):
    base = assert_suite("s.yaml", "py:assert_app:good", store="a.db")
    same = assert_suite("s.yaml", "py:assert_app:good", store="a.db", seed=1)
    assert assert_no_regression(base, same).passed
    worse = assert_suite("t.yaml", "py:assert_app:half", store="a.db")
    bad = worse.to_json()
    for c in bad["cases"]:
        c["suite"] = "s"
    bad["suites"][0]["name"] = "s"
    with pytest.raises(AssertionError, match=r"(?s)gradeloop gate fail.*no_regression all: -0.500"):
        assert_no_regression(base, bad)
