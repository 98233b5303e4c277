"""Holm and Benjamini–Hochberg against hand-worked examples."""
from __future__ import annotations

import pytest

from gradeloop.errors import InputError
from gradeloop.stats import benjamini_hochberg, bonferroni, holm


def test_holm_hand_example():
    # sorted: .005*4=.02, .01*3=.03, .03*2=.06, .04*1=.04 -> monotone .02, .03, .06, .06
    assert holm([0.01, 0.04, 0.03, 0.005]) == pytest.approx([0.03, 0.06, 0.06, 0.02])


def test_holm_caps_at_one_and_keeps_order_monotone():
    # sorted: .3*3=.9, .5*2=1.0, .9*1=.9 -> running max .9, 1.0, 1.0
    assert holm([0.5, 0.3, 0.9]) == pytest.approx([1.0, 0.9, 1.0])
    assert holm([]) == []


def test_benjamini_hochberg_hand_example():
    # sorted: .005*4/1=.02, .01*4/2=.02, .03*4/3=.04, .04*4/4=.04 (step-up minima)
    assert benjamini_hochberg([0.01, 0.04, 0.03, 0.005]) == pytest.approx([0.02, 0.04, 0.04, 0.02])


def test_bonferroni():
    assert bonferroni([0.01, 0.3]) == pytest.approx([0.02, 0.6])


@pytest.mark.parametrize("bad", [[0.1, 1.2], [0.1, float("nan")], [-0.01]])
def test_invalid_p_values(bad):
    with pytest.raises(InputError) as err:
        holm(bad)
    assert err.value.field.startswith("p_values[")
