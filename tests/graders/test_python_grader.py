"""The python grader: user code in an isolated child process with a timeout."""
from __future__ import annotations


import pytest

from gradeloop.errors import InputError
from gradeloop.graders import build_grader
from gradeloop.suite.model import GraderSpec
from tests.graders.helpers import CASE, bad, grade, spec


def src(body: str) -> str:
    return "def grade(case, output):\n" + "".join(f"    {line}\n" for line in body.splitlines())


def test_bool_float_and_dict_results():
    assert grade("python", "19", source=src("return output.strip() == case['reference']")).passed
    assert not grade("python", "20", source=src("return output.strip() == case['reference']")).passed
    g = grade("python", "x", source=src("return 0.25"))
    assert (g.score, g.passed) == (0.25, False)
    assert grade("python", "x", source=src("return 0.25"), pass_threshold=0.2).passed
    g = grade("python", "x", source=src("return {'score': 0.5, 'passed': True, 'reason': 'half'}"))
    assert (g.score, g.passed, g.reason) == (0.5, True, "half")
    g = grade("python", "x", source=src("return {'passed': False}"))
    assert (g.score, g.passed) == (0.0, False)


def test_case_fields_reach_the_function():
    body = "return case['id'] == 'c1' and case['tags']['locale'] == 'en-GB' and case['metadata']['x'] == 'meta-x'"
    assert grade("python", "", source=src(body)).passed


@pytest.mark.parametrize("ret", ["1.5", "'yes'", "{'reason': 'no score'}", "float('nan')", "{'score': 2}"])
def test_bad_results_are_errors(ret):
    g = grade("python", "x", source=src(f"return {ret}"))
    assert g.error is not None and not g.passed


def test_exception_is_an_error_with_the_message():
    g = grade("python", "x", source=src("raise KeyError('nope')"))
    assert g.error is not None and "KeyError" in g.error and "nope" in g.error and not g.passed


@pytest.mark.timeout(120)  # a grader left to sleep its hour fails the test here (a hang, not a timing)
def test_timeout_is_an_error_and_is_enforced():
    g = grade("python", "x", source="import time\ndef grade(case, output):\n    time.sleep(3600)\n", timeout=0.5)
    assert g.error is not None and "timed out" in g.error and not g.passed


def test_user_prints_do_not_corrupt_the_reply():
    assert grade("python", "x", source=src("print('noise {\"ok\": false}')\nreturn True")).passed


def test_file_relative_to_the_suite_file(tmp_path):
    (tmp_path / "graders").mkdir()
    (tmp_path / "graders" / "g.py").write_text("def grade(case, output):\n    return 'lockout' in output\n")
    s = GraderSpec("python", {"file": "graders/g.py"}, file=str(tmp_path / "suite.yaml"), line=4)
    g = build_grader(s, CASE)
    assert g.grade(CASE, "lockout after 5").passed and not g.grade(CASE, "nothing").passed
    g2 = build_grader(GraderSpec("python", {"file": "graders/g.py"}), CASE, base_dir=str(tmp_path))
    assert g2.grade(CASE, "lockout").passed


def test_environment_is_minimal_unless_named(monkeypatch):
    monkeypatch.setenv("GRADELOOP_TEST_SECRET", "s3cret")
    body = "import os\ndef grade(case, output):\n    return os.environ.get('GRADELOOP_TEST_SECRET') == 's3cret'\n"
    assert not grade("python", "", source=body).passed
    assert grade("python", "", source=body, env=["GRADELOOP_TEST_SECRET"]).passed


def test_openai_signature_gets_sample_and_item():
    body = ("def grade(sample, item) -> float:\n"
            "    return 1.0 if sample['output_text'].strip() == item['reference'] and item['x'] == 'meta-x' else 0.0\n")
    assert grade("python", "19", source=body).passed
    assert not grade("python", "18", source=body).passed


def test_build_errors(tmp_path):
    assert bad("python").field == "grader"
    assert bad("python", source="x", file="y.py").field == "grader"
    err = bad("python", source="def grade(case, output)\n    return 1\n")
    assert err.field == "grader.source" and "syntax error" in err.message
    assert "defines no top-level function" in bad("python", source="def other():\n    pass\n").message
    assert bad("python", source=src("return 1"), timeout=0).field == "grader.timeout"
    with pytest.raises(InputError) as info:
        build_grader(GraderSpec("python", {"file": "missing.py"}, file=str(tmp_path / "s.yaml"), line=2), CASE)
    assert info.value.field == "grader.file" and info.value.line == 2



def test_source_is_never_templated():
    body = "def grade(case, output):\n    return f'{{{{ {output} }}}}' == '{{ x }}'\n"
    g = build_grader(spec("python", source=body), None)  # no case needed: "{{" here is Python, not a template
    assert g.grade(CASE, "x").passed
