"""dump_suite writes YAML or JSONL that loads back to the same content and version."""
from __future__ import annotations

import pytest

from gradeloop.errors import InputError
from gradeloop.suite import Case, GraderSpec, Suite, Thresholds, dump_suite, load_suite, suite_version


def _tricky_suite() -> Suite:
    cases = (
        Case(id="001", input="multi\nline\ninput\n", reference="0.50",
             tags={"flag": "yes", "n": "1", "empty": "", "null": "null"},
             graders=(GraderSpec("regex", {"pattern": "^Step 1", "flags": ["multiline"]}),
                      GraderSpec("numeric", {"value": "{{ reference }}", "tolerance": 0.01, "weight": 2})),
             metadata={"nested": {"list": [1, 2.5, True, None]}, "<<": "not a merge", "date": "2024-05-01"}),
        Case(id="chat", input=({"role": "system", "content": "trailing spaces  \nhere"},
                               {"role": "user", "content": "héllo ✓", "name": "u1"}),
             expect="refuse", parent="001", graders=(GraderSpec("refusal", {}),)),
        Case(id="no-trailing-newline", input="a\nb"),
    )
    suite = Suite(name="tricky", cases=cases, split="canary", description="round trip",
                  default_graders=(GraderSpec("not_contains", {"values": ["bypass auth"]}),),
                  thresholds=Thresholds(0.75, "ci_low"))
    return suite


def _content(suite: Suite) -> list[tuple]:
    return [(c.id, c.input, c.reference, dict(c.tags), c.expect, [(g.type, dict(g.params)) for g in c.graders],
             c.parent, dict(c.metadata)) for c in suite.cases]


@pytest.mark.parametrize("name", ["out.yaml", "out.yml", "out.jsonl"])
def test_round_trip_keeps_content_and_version(tmp_path, name):
    suite = _tricky_suite()
    path = tmp_path / "sub" / name
    dump_suite(suite, path)
    loaded = load_suite(path)
    assert loaded.version == suite_version(suite)
    assert _content(loaded) == _content(suite)
    assert (loaded.name, loaded.split, loaded.description, loaded.thresholds) == \
        ("tricky", "canary", "round trip", Thresholds(0.75, "ci_low"))
    assert [g.type for g in loaded.default_graders] == ["not_contains"]
    assert [p.name for p in path.parent.iterdir()] == [name]  # no temporary file left behind


def test_loaded_suite_round_trips(tmp_path, write):
    original = load_suite(write("s.yaml", """
        name: again
        cases:
          - {id: a, input: hi, tags: {k: v}, graders: [{type: contains, value: hi}]}
    """))
    dump_suite(original, tmp_path / "again.yaml")
    text = (tmp_path / "again.yaml").read_text()
    assert "id: a" in text and "file" not in text and "line" not in text
    assert load_suite(tmp_path / "again.yaml").version == original.version


def test_multiline_strings_are_written_as_blocks(tmp_path):
    dump_suite(_tricky_suite(), tmp_path / "s.yaml")
    assert "input: |\n" in (tmp_path / "s.yaml").read_text()


def test_unknown_extension_is_refused(tmp_path):
    with pytest.raises(InputError, match="cannot write suites"):
        dump_suite(_tricky_suite(), tmp_path / "s.csv")
    assert not (tmp_path / "s.csv").exists()


def test_overwrite_replaces_the_file(tmp_path):
    path = tmp_path / "s.jsonl"
    path.write_text("old content\n")
    dump_suite(_tricky_suite(), path)
    assert load_suite(path).name == "tricky"
