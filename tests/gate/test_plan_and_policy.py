from __future__ import annotations

import pytest

from gradeloop.errors import InputError
from gradeloop.gate import load_policy, plan


def test_plan_needs_more_cases_for_smaller_effects(runs_factory):
    base, cand = runs_factory({"a": 30, "b": 30}, {"a": 10, "b": 3}, {"a": 12, "b": 3})
    small = plan(base, 0.03)
    large = plan(base, 0.10)
    assert small["options"][0]["cases"] > large["options"][0]["cases"] > 1
    # with one sample per case the within-case variance is unidentified: K does not change n
    paired = plan(base, 0.03, candidate=cand)
    assert paired["basis"].startswith("paired")
    assert paired["options"][0]["cases"] < small["options"][0]["cases"]


def test_policy_errors_name_file_line_and_field(tmp_path):
    p = tmp_path / "gate.yaml"
    p.write_text("alpha: 0.05\nnon_inferiority:\n  - slice: risk=high\n    margn: 0.1\n")
    with pytest.raises(InputError) as err:
        load_policy(p)
    assert err.value.file == str(p) and err.value.line == 4
    assert err.value.field == "non_inferiority[0].margn"
    p.write_text("alpha: 2\n")
    with pytest.raises(InputError) as err:
        load_policy(p)
    assert err.value.field == "alpha" and err.value.line == 1
