"""A chat message with an unknown key is refused: in YAML flow style, `, ` or `: ` in unquoted text
silently splits the content into a new key (issue 15)."""
from __future__ import annotations

import pytest

from gradeloop.errors import InputError
from gradeloop.suite import load_suite


def _suite(tmp_path, message: str):
    path = tmp_path / "s.yaml"
    path.write_text(f"name: s\ncases:\n  - id: a\n    input:\n      - {{role: user, content: Hi}}\n      - {message}\n"
                    "    graders: [{type: contains, value: x}]\n")
    return path


@pytest.mark.parametrize("message, key", [
    ("{role: assistant, content: Sure, what is the order number?}", "what is the order number?"),
    ("{role: assistant, content: Order: 1234}", None),  # `Order: 1234` is a nested mapping: not a string
])
def test_split_content_is_an_error_naming_line_and_key(tmp_path, message, key):
    with pytest.raises(InputError) as info:
        load_suite(_suite(tmp_path, message))
    assert info.value.line == 6
    if key:
        assert info.value.field.endswith(key) and "put the content in quotes" in info.value.message


def test_known_keys_and_quoted_content_load(tmp_path):
    suite = load_suite(_suite(tmp_path, '{role: assistant, content: "Sure, what is the order number?", name: bot}'))
    assert suite.cases[0].input[1]["content"] == "Sure, what is the order number?"
