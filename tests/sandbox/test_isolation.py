"""What the code can reach: no network, no environment, no parent's secrets, no store, a private folder."""
from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest

from gradeloop.sandbox import Source

CONNECT = Source("import socket\ndef f(port):\n    try:\n        socket.create_connection(('127.0.0.1', port), 2).close()\n"
                 "        return 'connected'\n    except OSError as exc:\n        return f'refused: {exc}'\n")


@pytest.fixture
def listener():
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(8)
    yield srv.getsockname()[1]
    srv.close()


def test_network_is_blocked_by_default_and_allowed_on_request(make_pool, listener):
    blocked = make_pool().call(CONNECT, "f", [listener])
    assert blocked.ok and blocked.result.startswith("refused"), blocked
    # the same call with network=True does connect: the refusal above is the sandbox, not the test
    assert make_pool(network=True).call(CONNECT, "f", [listener]).result == "connected"


def test_environment_is_empty_unless_given(make_pool, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-secret-4242")
    src = Source("import os\ndef f():\n    return dict(os.environ)\n")
    assert make_pool().call(src, "f").result == {}
    assert make_pool(env={"LANG": "C.UTF-8"}).call(src, "f").result == {"LANG": "C.UTF-8"}
    assert make_pool(isolation="limits").call(src, "f").result == {}


def test_parent_environ_and_shadow_are_out_of_reach(make_pool, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-secret-4242")
    src = Source(
        "import os\n"
        "def f(ppid):\n"
        "    found, reads = [], {}\n"
        "    paths = [f'/proc/{ppid}/environ', '/etc/shadow'] + [f'/proc/{p}/environ' for p in os.listdir('/proc') if p.isdigit()]\n"
        "    for p in paths:\n"
        "        try:\n"
        "            data = open(p, 'rb').read()\n"
        "        except OSError as exc:\n"
        "            reads[p] = type(exc).__name__\n"
        "            continue\n"
        "        reads[p] = len(data)\n"
        "        if b'sk-test-secret-4242' in data or b'root:' in data:\n"
        "            found.append(p)\n"
        "    return {'found': found, 'reads': reads, 'procs': sorted(p for p in os.listdir('/proc') if p.isdigit())}\n")
    r = make_pool().call(src, "f", [os.getpid()])
    assert r.ok and r.result["found"] == [], r.result
    assert r.result["reads"][f"/proc/{os.getpid()}/environ"] in ("FileNotFoundError", "PermissionError")
    if Path("/etc/shadow").exists():  # hidden: unreadable, or an empty file mounted over it
        assert r.result["reads"]["/etc/shadow"] in (0, "PermissionError", "FileNotFoundError")
    assert len(r.result["procs"]) <= 2  # a private /proc: only the sandbox's own processes


def test_working_folder_is_private_and_emptied_between_calls(make_pool, workdir):
    pool = make_pool()
    src = Source("import os\ndef write(name):\n    open(name, 'w').write('x')\n    return os.getcwd(), sorted(os.listdir('.'))\n"
                 "def look():\n    return os.getcwd(), sorted(os.listdir('.'))\n")
    first = pool.call(src, "write", ["left-behind.txt"])
    cwd, files = first.result
    assert files == ["left-behind.txt"] and cwd != str(workdir)
    second = pool.call(src, "look")
    assert second.worker == first.worker and second.result == [cwd, []]
    assert not (workdir / "left-behind.txt").exists()


def test_limits_mode_folder_is_private_and_removed(make_pool):
    pool = make_pool(isolation="limits")
    src = Source("import os\ndef f():\n    open('x', 'w').write('x')\n    return os.getcwd()\n")
    r = pool.call(src, "f")
    folder = Path(r.result)
    assert r.ok and folder.is_dir() and folder.name.startswith("gradeloop-sandbox-")
    assert pool.call(Source("import os\ndef f():\n    return os.listdir('.')\n"), "f").result == []
    pool.close()
    assert not folder.exists()


def test_store_is_hidden_and_the_file_system_read_only(make_pool, workdir):
    store = workdir / ".gradeloop"
    store.mkdir()
    (store / "gradeloop.db").write_text("runs")
    (workdir / "graders").mkdir()
    (workdir / "graders" / "helper.py").write_text("VALUE = 41\n")
    pool = make_pool(paths=[str(workdir / "graders")], hide=[str(store)])
    src = Source(
        "import os, helper\n"
        "def f(store, project):\n"
        "    out = {'helper': helper.VALUE + 1}\n"
        "    try:\n"
        "        out['store'] = sorted(os.listdir(store))\n"
        "    except OSError as exc:\n"
        "        out['store'] = type(exc).__name__\n"
        "    for p in [os.path.join(store, 'gradeloop.db'), os.path.join(project, 'graders', 'evil.py'), '/var/tmp/x']:\n"
        "        try:\n"
        "            open(p, 'w').write('pwned')\n"
        "            out[p] = 'written'\n"
        "        except OSError as exc:\n"
        "            out[p] = type(exc).__name__\n"
        "    return out\n")
    r = make_pool(paths=[str(workdir / "graders")]).call(src, "f", [str(store), str(workdir)])
    assert r.ok and r.result["helper"] == 42
    assert r.result["store"] in ([], "FileNotFoundError", "PermissionError")
    assert "written" not in r.result.values(), r.result
    assert (store / "gradeloop.db").read_text() == "runs" and not (workdir / "graders" / "evil.py").exists()
    assert pool.call(src, "f", [str(store), str(workdir)]).result["store"] in ([], "FileNotFoundError")


def test_default_config_hides_the_store_of_the_current_folder(make_pool, workdir):
    from gradeloop.sandbox import SandboxConfig
    assert str((workdir / ".gradeloop").resolve()) in SandboxConfig().hide  # even before it exists
    (workdir / ".gradeloop").mkdir()
    (workdir / ".gradeloop" / "gradeloop.db").write_text("runs")
    workdir.chmod(0o755)  # so that, run as root, the sandbox's nobody could list it were it not hidden
    src = Source("import os\ndef f(p):\n    return os.listdir(p)\n")
    assert make_pool(paths=[str(workdir)]).call(src, "f", [str(workdir / ".gradeloop")]).result == []


def test_no_descriptor_of_the_parent_is_inherited(make_pool, tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("s3cret")
    with open(secret) as held:  # an open file in the parent, not marked close-on-exec
        os.set_inheritable(held.fileno(), True)
        src = Source("import os\ndef f():\n    out = {}\n    for fd in os.listdir('/proc/self/fd'):\n        try:\n"
                     "            out[fd] = os.readlink(f'/proc/self/fd/{fd}')\n        except OSError:\n"
                     "            pass  # the descriptor listdir itself used\n    return out\n")
        for isolation in ("namespaces", "limits"):
            fds = make_pool(isolation=isolation).call(src, "f").result
            assert not any("secret" in target for target in fds.values()), fds
            assert len(fds) <= 5, fds  # stdin/out/err (/dev/null) and the two protocol pipes
