"""Input validation: bad sample values are InputErrors naming the entry, never tracebacks."""
from __future__ import annotations

import math

import numpy as np
import pytest

from gradeloop.errors import InputError
from gradeloop.stats import estimate
from gradeloop.stats.cases import case_data


@pytest.mark.parametrize("bad, field", [
    ([[1.0], [1.5]], "per_case[1][0]"),
    ([[0.0, math.nan]], "per_case[0][1]"),
    ([[1.0], [-0.1, 0.2]], "per_case[1][0]"),
    ([[1.0], []], "per_case[1]"),
    ([[1.0], ["yes"]], "per_case[1]"),
    ([[1.0], "ab"], "per_case[1]"),
    ([1.0, 0.0], "per_case[0]"),
    ("cases", "per_case"),
])
def test_bad_values_name_the_entry(bad, field):
    with pytest.raises(InputError) as err:
        estimate(bad)
    assert err.value.field == field


def test_ragged_cases_and_booleans_are_accepted():
    data = case_data([[True, False, True], [False], np.array([0.5, 1.0])])
    assert data.counts.tolist() == [3, 1, 2]
    assert data.means == pytest.approx([2 / 3, 0.0, 0.75])
    assert not data.binary
    assert math.isnan(data.within_var[1])


def test_rectangular_fast_path_matches_ragged_path():
    rect = [[1, 0, 1], [0, 0, 1]]
    a = case_data(rect)
    b = case_data(rect + [[1.0]])  # ragged: validated case by case
    assert b.means[:2].tolist() == pytest.approx(a.means.tolist())
    assert b.within_var[:2].tolist() == pytest.approx(a.within_var.tolist())
    assert a.binary and b.binary


def test_other_sequence_types_take_the_case_by_case_path():
    data = case_data([range(0, 2), (1.0,), [0.5, 0.5, 1.0]])
    assert data.means == pytest.approx([0.5, 1.0, 2 / 3])
    assert data.counts.tolist() == [2, 1, 3]
