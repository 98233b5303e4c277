"""JSONL lines as people write them: spaces, CRLF, trailing text and duplicate keys."""
from __future__ import annotations

import pytest

from gradeloop.errors import InputError
from gradeloop.suite.jsonl_loader import parse_json_line


@pytest.mark.parametrize("line", ['{"id": "a"}', '  {"id": "a"}  ', '{"id": "a"}\r', '\t{"id":"a"}'])
def test_surrounding_whitespace_is_accepted(line):
    assert parse_json_line(line, "s.jsonl", 3) == {"id": "a"}


@pytest.mark.parametrize("line, needle", [
    ('{"id": "a"} {"id": "b"}', "Extra data"),
    ('{"id": "a",}', "column"),
    ('  {"id": }', "column"),
])
def test_malformed_lines_name_the_line(line, needle):
    with pytest.raises(InputError) as info:
        parse_json_line(line, "s.jsonl", 3)
    assert (info.value.file, info.value.line) == ("s.jsonl", 3) and needle in info.value.message


def test_duplicate_keys_are_refused_at_any_depth():
    for line in ('{"id": "a", "id": "b"}', '{"id": "a", "graders": [{"type": "x", "type": "y"}]}'):
        with pytest.raises(InputError) as info:
            parse_json_line(line, "s.jsonl", 7)
        assert info.value.line == 7 and "duplicate key" in info.value.message
