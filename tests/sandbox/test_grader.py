"""The python grader runs in the sandbox: `gradeloop eval` with hostile graders ends, records errors, leaks nothing."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import pytest

from gradeloop.graders import build_grader
from gradeloop.suite.model import Case, GraderSpec

CASE = Case("c1", "hi", reference="19")

HANG = textwrap.dedent("""\
    import os, subprocess, sys, time
    def grade(case, output):
        fds = [int(fd) for fd in os.listdir('/proc/self/fd') if int(fd) > 2]
        subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(300)'], start_new_session=True,
                         pass_fds=fds, close_fds=False)
        time.sleep(300)
""")
DETACH_AND_RETURN = textwrap.dedent("""\
    import subprocess, sys
    def grade(case, output):
        subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(300)'], start_new_session=True)
        return output == 'hello'
""")
SNOOP = textwrap.dedent("""\
    import os
    def grade(case, output):
        leaked = [k for k in os.environ if 'KEY' in k]
        try:
            open(os.path.join(case['metadata']['store'], 'gradeloop.db'), 'ab').write(b'x')
            wrote = True
        except OSError:
            wrote = False
        return {'score': 0.0 if leaked or wrote else 1.0, 'reason': f'leaked={leaked} wrote={wrote}'}
""")


def _suite(timeout: float) -> str:
    def grader(src: str) -> str:
        return (f"      - type: python\n        timeout: {timeout}\n        source: |\n"
                + textwrap.indent(src, " " * 10))
    return ("name: hostile\ncases:\n"
            "  - id: hang\n    input: hi\n    graders:\n" + grader(HANG)
            + "  - id: detach\n    input: hi\n    graders:\n" + grader(DETACH_AND_RETURN)
            + "  - id: snoop\n    input: hi\n    metadata: {store: STORE}\n    graders:\n" + grader(SNOOP))


@pytest.mark.timeout(240)
def test_eval_with_detaching_and_snooping_graders_ends_with_recorded_errors(workdir):
    store = workdir / ".gradeloop"
    (workdir / "s.yaml").write_text(_suite(timeout=8).replace("STORE", str(store)))
    (workdir / "r.jsonl").write_text("".join(json.dumps({"case_id": c, "output": "hello"}) + "\n"
                                             for c in ("hang", "detach", "snoop")))
    env = {**os.environ, "OPENAI_API_KEY": "sk-should-not-leak"}
    code = ("import sys; from gradeloop.cli import main; "
            "sys.exit(main(['eval', 's.yaml', '--target', 'replay:r.jsonl', '--json', 'run.json']))")
    proc = subprocess.run([sys.executable, "-c", code], cwd=workdir, env=env, capture_output=True, text=True,
                          timeout=200)
    assert proc.returncode in (0, 1), proc.stderr[-2000:]  # no threshold in this suite: 1 only if one fails
    assert "Traceback" not in proc.stderr
    run = json.loads((workdir / "run.json").read_text())
    by_id = {c["id"]: c["samples"][0] for c in run["cases"]}
    assert "timed out" in (by_id["hang"]["error"] or "") and not by_id["hang"]["passed"]
    assert by_id["detach"]["passed"] and not by_id["detach"]["error"]
    assert by_id["snoop"]["passed"], by_id["snoop"]


def test_grader_errors_and_results_through_the_sandbox():
    def grade(source: str, output: str = "x", **params):
        g = build_grader(GraderSpec("python", {"source": source, **params}, file="s.yaml", line=1), CASE)
        return g.grade(CASE, output)

    assert grade("def grade(case, output):\n    return case['reference'] == output\n", "19").passed
    boom = grade("def grade(case, output):\n    return [0] * (10 ** 10)\n", memory_mb=128)
    assert boom.error and "MemoryError" in boom.error and not boom.passed
    net = grade("import socket\ndef grade(case, output):\n    socket.create_connection(('1.1.1.1', 53), 2)\n"
                "    return True\n")
    assert net.error and "Network is unreachable" in net.error and not net.passed


def test_grader_file_reads_files_next_to_it_but_runs_in_a_private_folder(tmp_path):
    (tmp_path / "graders").mkdir()
    (tmp_path / "graders" / "expected.json").write_text('{"answer": "19"}')
    (tmp_path / "graders" / "g.py").write_text(
        "import json, os\nfrom pathlib import Path\n"
        "EXPECTED = json.loads((Path(__file__).parent / 'expected.json').read_text())\n"
        "def grade(case, output):\n"
        "    return {'passed': output == EXPECTED['answer'], 'reason': os.getcwd()}\n")
    g = build_grader(GraderSpec("python", {"file": "graders/g.py"}, file=str(tmp_path / "s.yaml"), line=1), CASE)
    good, bad = g.grade(CASE, "19"), g.grade(CASE, "20")
    assert good.passed and not bad.passed and good.error is None
    assert good.reason != str(tmp_path / "graders")  # cwd is the sandbox's own folder


def test_grader_where_the_sandbox_is_refused_records_an_error_naming_the_opt_out(tmp_path, monkeypatch):
    refusing = tmp_path / "refusing_worker.py"
    refusing.write_text("import json, os, struct\n"
                        "body = json.dumps({'ready': False, 'error': 'cannot create the sandbox namespaces'}).encode()\n"
                        "os.write(1, struct.pack('>I', len(body)) + body)\n")
    from gradeloop.sandbox import process, shared_pool
    monkeypatch.setattr(process, "WORKER_SCRIPT", str(refusing))
    g = build_grader(GraderSpec("python", {"source": "def grade(case, output):\n    return True\n",
                                           "memory_mb": 77}, file="s.yaml", line=1), CASE)
    try:
        grades = [g.grade(CASE, "x") for _ in range(3)]
    finally:
        shared_pool(g.sandbox).close()  # the next build of this config gets a fresh pool
    assert all(not gr.passed and gr.error and "GRADELOOP_SANDBOX=limits" in gr.error for gr in grades)
