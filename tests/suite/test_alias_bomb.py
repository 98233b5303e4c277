"""YAML alias bombs are refused within a budget (suites and config files); ordinary aliases still work."""
from __future__ import annotations

import pytest

from gradeloop.configfile import load_yaml_config
from gradeloop.errors import InputError
from gradeloop.gate.policy import GatePolicy
from gradeloop.suite import load_suite
from gradeloop.suite.yaml_events import load_located
from gradeloop.testing.fuzz import _alias_bomb

CASES = "cases:\n  - id: x\n    input: {ref}\n    graders: [{{type: contains, value: a}}]\n"


def test_nine_levels_of_aliases_in_a_suite_are_refused_with_the_line(tmp_path):
    path = tmp_path / "bomb.yaml"
    path.write_text("name: bomb\n" + _alias_bomb(9) + CASES.format(ref="*a9"))
    with pytest.raises(InputError, match="aliases expand to over") as err:
        load_suite(path)
    assert err.value.file == str(path) and err.value.line is not None and err.value.line <= 11


def test_bomb_in_a_config_file_is_refused(tmp_path):
    path = tmp_path / "policy.yaml"
    path.write_text(_alias_bomb(9))
    with pytest.raises(InputError, match="aliases expand to over"):
        load_yaml_config(path, GatePolicy)


def test_ordinary_aliases_and_merges_still_load(tmp_path):
    path = tmp_path / "ok.yaml"
    lines = ["name: reuse", "defaults: {graders: &g [{type: contains, value: a}, {type: length, max: 99}]}",
             "cases:", "  - &first {id: c0, input: q0, tags: &t {area: x}}"]
    lines += [f"  - {{<<: *first, id: c{i}, input: q{i}, graders: *g, tags: *t}}" for i in range(1, 2000)]
    path.write_text("\n".join(lines) + "\n")
    suite = load_suite(path)
    assert len(suite.cases) == 2000 and dict(suite.cases[5].tags) == {"area": "x"}


def test_budget_counts_nested_expansion_not_alias_uses():
    # 2 levels of 9 aliases (81 leaves): fine; the same shape 9 levels deep: 387 million nodes, refused
    assert load_located(_alias_bomb(2), "f.yaml") is not None
    with pytest.raises(InputError):
        load_located(_alias_bomb(9), "f.yaml")
