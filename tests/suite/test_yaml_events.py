"""The event-based YAML reader: the same values as PyYAML, lines by field path, errors with fields."""
from __future__ import annotations

import pytest
import yaml

from gradeloop.errors import InputError
from gradeloop.suite.yaml_events import TreeLines, load_located

DOC = """\
base: &base {a: 1, b: [x, 2.5, true, null, ~, 0x1f, '7', 2024-05-01]}
other: &other {b: overridden-by-base, c: 3}
merged:
  <<: [*base, *other]
  a: own
list:
  - *base
  - k: v
    deep:
      - {z: 1}
"""


def test_values_match_pyyaml_except_dates_which_stay_text():
    values, _ = load_located(DOC, "f.yaml")
    expected = yaml.safe_load(DOC)
    expected["base"]["b"][-1] = "2024-05-01"
    assert values == expected


def test_lines_by_path():
    _, lines = load_located(DOC, "f.yaml")
    tree = TreeLines(lines)
    assert tree["base"] == 1 and tree["merged.a"] == 5 and tree["merged.c"] == 2
    assert tree["list[1]"] == 8 and tree["list[1].deep[0].z"] == 10
    assert "list[9]" not in tree and "nope.x" not in tree
    assert "list[1].deep[0].z" in set(tree) and len(tree) == len(set(tree))


def test_raw_spec_keeps_text_where_asked():
    values, _ = load_located("a: {x: 1, y: yes}\nb: {x: 1, y: yes}\nc: [1, 2]\n", "f.yaml",
                             {"a": True, "c": [True]})
    assert values == {"a": {"x": "1", "y": "yes"}, "b": {"x": 1, "y": True}, "c": ["1", "2"]}


@pytest.mark.parametrize("text, line, field, message", [
    ("a:\n  b: 1\n  b: 2\n", 3, "a.b", "duplicate key 'b' (first at line 2)"),
    ("a: [1, {k: *nope}]\n", 1, "a[1].k", "alias"),
    ("a: &x [1, *x]\n", 1, "a[1]", "alias"),
    ("a:\n  - !!binary aGk=\n", 2, "a[0]", "unsupported YAML type"),
    ("a: !!int abc\n", 1, "a", "bad int"),
    ("a: {<<: 5}\n", 1, "a.<<", "merges only mappings"),
    ("? [k]\n: v\n", 1, None, "plain strings"),
    ("a: 1\n---\nb: 2\n", 2, None, "single document"),
])
def test_errors_name_line_and_field(text, line, field, message):
    with pytest.raises(InputError) as info:
        load_located(text, "f.yaml")
    err = info.value
    assert (err.file, err.line, err.field) == ("f.yaml", line, field) and message in err.message


def test_empty_stream():
    assert load_located("# nothing\n", "f.yaml") is None
