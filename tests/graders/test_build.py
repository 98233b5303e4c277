"""build_grader / build_graders: templates, InputErrors with file, line and field, caching, docs."""
from __future__ import annotations

import pytest

from gradeloop.errors import InputError
from gradeloop.graders import build_grader, build_graders, grader_docs
from gradeloop.suite.model import Case, GraderSpec, Suite
from tests.graders.helpers import CASE, bad, grade, spec


def test_templates_fill_case_fields():
    assert grade("contains", "locale en-GB", value="{{ tags.locale }}").passed
    assert grade("contains", "case c1", value="{{id}}").passed
    assert grade("contains", "x is meta-x", value="{{ metadata.x }}").passed
    assert grade("exact", "ref=19 in en-GB", value="ref={{ reference }} in {{ tags.locale }}").passed
    assert grade("contains", "What is 12+7?", value="{{ input }}").passed


def test_a_whole_template_keeps_the_field_type():
    case = Case("k", "q", metadata={"must": ["otp", "lockout"]})
    g = build_grader(spec("contains_all", values="{{ metadata.must }}"), case)
    assert g.grade(case, "otp, lockout").passed


def test_missing_template_field_names_file_line_and_field():
    case = Case("no-ref", "q")
    err = bad("numeric", case=case, value="{{ reference }}")
    assert err.field == "grader.value" and "no-ref" in err.message and "reference" in err.message
    assert "tags.locale" in bad("contains", case=case, value="{{ tags.locale }}").message
    assert bad("contains", case=CASE, value="{{ metadata.nope }}").field == "grader.value"


def test_template_without_a_case_and_malformed_templates():
    assert "needs a case" in bad("contains", case=None, value="{{ reference }}").message
    assert "malformed" in bad("contains", value="{{ reference").message
    assert "malformed" in bad("contains", value="{{ two words }}").message


def test_unknown_type_and_non_mapping_parameters():
    err = bad("contians", value="x")
    assert err.field == "grader.type" and "contains" in err.message
    with pytest.raises(InputError):
        build_grader(GraderSpec("contains", ["x"], file="s.yaml", line=1))


def test_where_prefixes_the_field():
    with pytest.raises(InputError) as info:
        build_grader(spec("regex", pattern="["), CASE, where="cases[c1].graders[2]")
    assert info.value.field == "cases[c1].graders[2].pattern"


def _suite(defaults, cases, source="/tmp/suites/s.yaml"):
    return Suite("s", tuple(cases), default_graders=tuple(defaults), source=source)


def test_build_graders_defaults_first_and_caches_untemplated():
    d = GraderSpec("not_contains", {"values": ["bypass auth"]})
    t = GraderSpec("numeric", {"value": "{{ reference }}"})
    c1 = Case("a", "q", reference="1", graders=(GraderSpec("contains", {"value": "x"}),))
    c2 = Case("b", "q", reference="2")
    suite = _suite([d, t], [c1, c2])
    g1, g2 = build_graders(suite, c1), build_graders(suite, c2)
    assert [g.name for g in g1] == ["not_contains", "numeric", "contains"]
    assert g1[0] is g2[0]  # untemplated default: built once
    assert g1[1] is not g2[1]  # templated: built per case
    assert g1[1].grade(c1, "1").passed and g2[1].grade(c2, "2").passed and not g2[1].grade(c2, "1").passed
    assert build_graders(suite, c1)[2] is g1[2]


def test_build_graders_cache_respects_the_judge_factory():
    d = GraderSpec("llm_judge", {"rubric": "r", "model": "m"})
    case = Case("a", "q")
    suite = _suite([d], [case])
    a = build_graders(suite, case, judge_factory=lambda m: (lambda p: "VERDICT: PASS"))
    b = build_graders(suite, case, judge_factory=lambda m: (lambda p: "VERDICT: FAIL"))
    assert a[0].grade(case, "x").passed and not b[0].grade(case, "x").passed


def test_build_graders_errors_name_where_in_the_suite():
    bad_default = GraderSpec("contains_all", {"values": "otp"}, file="s.yaml", line=5)
    case = Case("c9", "q", graders=(GraderSpec("regex", {"pattern": "("}, file="s.yaml", line=14),))
    with pytest.raises(InputError) as info:
        build_graders(_suite([bad_default], [case]), case)
    assert (info.value.field, info.value.line) == ("defaults.graders[0].values", 5)
    with pytest.raises(InputError) as info:
        build_graders(_suite([], [case]), case)
    assert (info.value.field, info.value.line) == ("cases[c9].graders[0].pattern", 14)
    assert str(info.value).startswith("s.yaml:14: cases[c9].graders[0].pattern: ")


def test_python_file_resolves_against_the_suite_source(tmp_path):
    (tmp_path / "g.py").write_text("def grade(case, output):\n    return True\n")
    case = Case("a", "q", graders=(GraderSpec("python", {"file": "g.py"}),))
    graders = build_graders(_suite([], [case], source=str(tmp_path / "suite.yaml")), case)
    assert graders[0].grade(case, "x").passed


def test_build_graders_builds_an_untemplated_grader_once_for_all_cases(monkeypatch) -> None:
    # Counted, not timed: validating a spec (pydantic, ~30 µs a grader) happens once per spec,
    # however many cases share it; a templated spec is built per case, for that case.
    from gradeloop.graders import build as build_module

    built: list[str] = []
    real = build_module._build
    monkeypatch.setattr(build_module, "_CACHE", {})  # what earlier tests in this process built
    monkeypatch.setattr(build_module, "_build", lambda t, *a, **k: built.append(t) or real(t, *a, **k))
    cases = [Case(f"c{i}", "q") for i in range(2000)]
    suite = _suite([GraderSpec("not_contains", {"values": ["a"]}), GraderSpec("contains", {"value": "b"}),
                    GraderSpec("contains", {"value": "{{ id }}"})], cases)
    first = [build_graders(suite, c) for c in cases]
    assert built.count("not_contains") == 1 and built.count("contains") == 1 + len(cases)
    assert all(g[0] is first[0][0] and g[1] is first[0][1] for g in first)  # the one built, shared
    assert [g[2].grade(c, c.id).passed for g, c in zip(first[:3], cases)] == [True] * 3
    assert not first[0][2].grade(cases[0], cases[1].id).passed  # each its own case's id


def test_grader_docs_cover_every_type_with_parameter_docs():
    docs = {d["name"]: d for d in grader_docs()}
    expected = {"contains", "contains_all", "contains_any", "not_contains", "regex", "exact", "normalized_match",
                "numeric", "json_valid", "json_schema", "length", "similarity", "refusal", "not_refusal", "python",
                "llm_judge", "multi", "string_check", "text_similarity", "score_model"}
    assert expected <= set(docs)
    for d in docs.values():
        assert d["description"]
        for p in d["parameters"]:
            assert p["description"], (d["name"], p["name"])
    params = {p["name"]: p for p in docs["regex"]["parameters"]}
    assert params["pattern"]["required"] and params["match"]["default"] == "search"
    assert params["weight"]["default"] == 1.0
    assert "schema" in {p["name"] for p in docs["json_schema"]["parameters"]}


def test_a_grader_file_is_built_anew_in_another_folder_or_once_edited(tmp_path, monkeypatch) -> None:
    # The same relative names (s.yaml -> graders/g.py) in two folders, loaded from each in turn, and
    # the file edited in place: the cached grader of the first must never answer for the others.
    import os

    from gradeloop.suite.loader import load_suite

    suite_text = ("name: s\ncases:\n  - id: c\n    input: q\n"
                  "    graders: [{type: python, file: graders/g.py}]\n")
    answers = {"yes": "return True", "no": "return False"}
    for folder, body in answers.items():
        (tmp_path / folder / "graders").mkdir(parents=True)
        (tmp_path / folder / "s.yaml").write_text(suite_text)
        (tmp_path / folder / "graders" / "g.py").write_text(f"def grade(case, output):\n    {body}\n")

    def verdict(folder: str) -> bool:
        monkeypatch.chdir(tmp_path / folder)
        suite = load_suite("s.yaml")  # a relative path: the folder is only the working directory
        case = suite.cases[0]
        return build_graders(suite, case)[0].grade(case, "x").passed

    assert verdict("yes") is True and verdict("no") is False and verdict("yes") is True
    g = tmp_path / "no" / "graders" / "g.py"
    g.write_text("def grade(case, output):\n    return 1 == 1\n")  # edited: passes now
    os.utime(g, ns=(g.stat().st_atime_ns, g.stat().st_mtime_ns + 10**9))  # a coarse clock still sees it
    assert verdict("no") is True
