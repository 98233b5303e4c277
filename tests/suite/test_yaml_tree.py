"""The node-tree reader (used for small YAML files such as config): values, lines, errors."""
from __future__ import annotations

import pytest
import yaml

from gradeloop.errors import InputError
from gradeloop.suite.yaml_tree import collect_lines, compose, line_of, to_python

DOC = "base: &b {a: 1, b: [x, 2.5, yes, ~]}\nm:\n  <<: *b\n  a: own\nd: 2024-05-01\n"


def test_values_and_tags_match_pyyaml():
    node = compose(DOC, "c.yaml")
    expected = yaml.safe_load(DOC)
    expected["d"] = "2024-05-01"  # dates stay text
    assert to_python(node, "c.yaml") == expected
    assert to_python(node, "c.yaml", raw=True)["base"] == {"a": "1", "b": ["x", "2.5", "yes", None]}


def test_lines():
    node = compose(DOC, "c.yaml")
    lines: dict[str, int] = {}
    collect_lines(node, "", lines, 3)
    assert lines["m"] == 2 and lines["m.a"] == 4 and lines["base.b[1]"] == 1 and line_of(node) == 1


@pytest.mark.parametrize("text, line, field, message", [
    ("a: [1\n", 2, None, "malformed YAML"),
    ("a: 1\na: 2\n", 2, "a", "duplicate key"),
    ("a: !!set {x}\n", 1, "a", "unsupported"),
])
def test_errors(text, line, field, message):
    with pytest.raises(InputError) as info:
        to_python(compose(text, "c.yaml"), "c.yaml")
    assert (info.value.line, info.value.field) == (line, field) and message in info.value.message
