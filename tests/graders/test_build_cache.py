"""The content cache of build_graders: equal specs share a grader, anything that differs does not."""
from __future__ import annotations

import pytest

from gradeloop.errors import InputError
from gradeloop.graders import build_graders
from gradeloop.suite.model import Case, GraderSpec, Suite


def _suite(cases, source="/tmp/suites/s.jsonl", defaults=()):
    return Suite("s", tuple(cases), default_graders=tuple(defaults), source=source)


def _case(i, *specs):
    return Case(f"c{i}", "q", reference=str(i), graders=tuple(specs))


def test_equal_specs_in_different_cases_share_one_grader():
    a = _case(1, GraderSpec("contains", {"value": "42"}, "s.jsonl", 1))
    b = _case(2, GraderSpec("contains", {"value": "42"}, "s.jsonl", 2))
    c = _case(3, GraderSpec("contains", {"value": "43"}, "s.jsonl", 3))
    suite = _suite([a, b, c])
    ga, gb, gc = (build_graders(suite, x)[0] for x in (a, b, c))
    assert ga is gb and ga is not gc
    assert ga.grade(a, "it is 42").passed and not gc.grade(c, "it is 42").passed


@pytest.mark.parametrize("first, second", [
    ({"value": "1", "weight": 1}, {"value": "1", "weight": True}),
    ({"value": "1"}, {"value": 1}),
    ({"values": ["a"]}, {"values": ["a"], "case_sensitive": True}),
])
def test_values_that_look_alike_are_not_confused(first, second):
    a, b = _case(1, GraderSpec("contains", first)), _case(2, GraderSpec("contains", second))
    suite = _suite([a, b])
    assert build_graders(suite, a)[0] is not build_graders(suite, b)[0]


def test_a_bad_spec_fails_at_its_own_place_even_after_a_good_one():
    good = _case(1, GraderSpec("contains", {"value": "x"}, "s.jsonl", 1))
    bad = _case(2, GraderSpec("contains", {"value": ""}, "s.jsonl", 2))
    suite = _suite([good, bad])
    build_graders(suite, good)
    for _ in range(2):  # a failure is never cached as a success
        with pytest.raises(InputError) as info:
            build_graders(suite, bad)
        assert (info.value.line, info.value.field) == (2, "cases[c2].graders[0]")


def test_templated_specs_are_still_built_per_case():
    spec = {"value": "{{ reference }}"}
    a, b = _case(1, GraderSpec("contains", spec)), _case(2, GraderSpec("contains", dict(spec)))
    suite = _suite([a, b])
    for _ in range(2):
        ga, gb = build_graders(suite, a)[0], build_graders(suite, b)[0]
        assert ga.grade(a, "1").passed and not ga.grade(a, "2").passed
        assert gb.grade(b, "2").passed and not gb.grade(b, "1").passed


def test_python_graders_resolve_files_per_suite_folder(tmp_path):
    for name, verdict in (("one", "True"), ("two", "False")):
        (tmp_path / name).mkdir()
        (tmp_path / name / "g.py").write_text(f"def grade(case, output):\n    return {verdict}\n")
    spec = GraderSpec("python", {"file": "g.py"})
    case = _case(1, spec)
    one = build_graders(_suite([case], source=str(tmp_path / "one" / "s.yaml")), case)[0]
    two = build_graders(_suite([case], source=str(tmp_path / "two" / "s.yaml")), case)[0]
    assert one.grade(case, "x").passed and not two.grade(case, "x").passed


def test_a_changed_spec_is_rebuilt():
    params = {"value": "a"}
    case = _case(1, GraderSpec("contains", params))
    suite = _suite([case])
    assert build_graders(suite, case)[0].grade(case, "a").passed
    params["value"] = "b"  # the cache follows the content, not the object
    assert not build_graders(suite, case)[0].grade(case, "a").passed
