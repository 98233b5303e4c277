"""The `openai:` target against hostile endpoints: huge and endless bodies, secrets in the URL, Azure-style queries."""
from __future__ import annotations

import asyncio
import base64
import json
import os
import sqlite3
import subprocess
import sys

import pytest

from gradeloop.targets.base import Request
from gradeloop.targets.openai import DEFAULT_MAX_RESPONSE_BYTES, OpenAITarget, endpoint_url, parse_spec
from gradeloop.targets.redact import has_secret, redact_spec, secret_param
from gradeloop.targets.transport import LeanTransport, ResponseTooLarge
from gradeloop.testing import Fault, StubServer


@pytest.fixture(autouse=True)
def _no_ambient_key(monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)


def generate(t: OpenAITarget, prompts: list[str]):
    async def go():
        try:
            return await t.generate([Request(f"c{i}", p) for i, p in enumerate(prompts)])
        finally:
            await t.aclose()

    return asyncio.run(go())


# --- body size cap ------------------------------------------------------------------------------

@pytest.mark.parametrize("client_path", [False, True], ids=["lean", "httpx"])
def test_huge_and_endless_bodies_are_target_errors_not_memory(monkeypatch, client_path):
    if client_path:  # https endpoints and proxies go through httpx.AsyncClient; drive that path over http
        monkeypatch.setattr("gradeloop.targets.openai._plain_http_without_proxy", lambda url: False)
    server = StubServer(faults=[Fault("huge", match="huge", size=3 * 1024 * 1024),
                                Fault("endless", match="endless")])
    with server as url:
        t = OpenAITarget("m", url, timeout=30, backoff=0.01, max_response_bytes=1024 * 1024)
        ok, huge, endless = generate(t, ["fine", "huge please", "endless please"])
        assert ok.output == "echo: fine"
        assert huge.output is None and "max_response_bytes=1048576" in huge.error
        assert endless.output is None and "max_response_bytes" in endless.error
        # recorded at once, never retried: the same prompt would overflow again
        assert server.count("huge") == 1 and server.count("endless") == 1


def test_max_response_bytes_option_and_default():
    assert parse_spec("openai:m@http://h/v1;max_response_bytes=4096")["max_response_bytes"] == 4096
    assert OpenAITarget("m", "http://h/v1").max_response_bytes == DEFAULT_MAX_RESPONSE_BYTES == 8 * 1024 * 1024
    from gradeloop.errors import InputError

    with pytest.raises(InputError, match="max_response_bytes must be at least 1024"):
        parse_spec("openai:m@http://h/v1;max_response_bytes=10")


def test_body_read_to_close_is_capped_too():
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n\r\n")  # no length: until close
        for _ in range(64):
            writer.write(b"x" * 65536)
            await writer.drain()
        writer.close()

    async def go():
        server = await asyncio.start_server(handler, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        import httpx

        try:
            await LeanTransport().exchange("GET", httpx.URL(f"http://127.0.0.1:{port}/x"), [], b"", max_body=100_000)
        finally:
            server.close()

    with pytest.raises(ResponseTooLarge):
        asyncio.run(go())


# --- secrets in the spec ------------------------------------------------------------------------

def test_redact_spec_masks_userinfo_and_secret_params_only():
    spec = "openai:m@https://user:PW@host:8443/openai/deployments/d?api-version=2024-02-01&api-key=KEY&sig=S;concurrency=4"
    shown = redact_spec(spec)
    assert "PW" not in shown and "KEY" not in shown and "=S" not in shown and "user" not in shown
    assert shown == ("openai:m@https://***@host:8443/openai/deployments/d?api-version=2024-02-01"
                     "&api-key=***&sig=***;concurrency=4")
    for name in ("key", "api-key", "api_key", "apikey", "token", "access_token", "secret", "client_secret",
                 "password", "sig", "signature", "X-Amz-Signature", "X-Amz-Security-Token", "code"):
        assert secret_param(name), name
    for name in ("api-version", "model", "deployment", "format", "sv"):
        assert not secret_param(name), name
    assert not has_secret("replay:outputs.jsonl") and not has_secret("hf:some/model+adapter=x")


def test_request_path_goes_before_the_query():
    url = endpoint_url("https://r.openai.azure.com/openai/deployments/d?api-version=2024-02-01", "chat/completions")
    assert str(url) == "https://r.openai.azure.com/openai/deployments/d/chat/completions?api-version=2024-02-01"
    assert str(endpoint_url("http://h/v1/", "chat/completions")) == "http://h/v1/chat/completions"


def test_fingerprint_tells_secrets_apart_without_showing_them():
    a = OpenAITarget.from_spec("openai:m@http://u:PW1@h/v1?api-key=K1")
    b = OpenAITarget.from_spec("openai:m@http://u:PW2@h/v1?api-key=K1")
    c = OpenAITarget.from_spec("openai:m@http://u:PW1@h/v1?api-key=K2")
    assert len({a.fingerprint(), b.fingerprint(), c.fingerprint()}) == 3
    for t in (a, b, c):
        assert "PW" not in t.spec + t.fingerprint() + repr(t) and "K1" not in t.spec + repr(t)


def test_eval_with_credentials_in_the_url_leaks_them_nowhere(tmp_path, capsys):
    """A real `gradeloop eval` subprocess against a real local server: the secrets are sent, never stored or printed.

    The commands that read the run afterwards run in-process (same code path, no interpreter start-up).
    """
    from gradeloop.cli import main

    suite = tmp_path / "s.yaml"
    suite.write_text("name: leak\nthresholds: {min_pass_rate: 0.5}\ncases:\n"
                     "  - id: a\n    input: hello [link](x)\n    graders: [{type: contains, value: echo}]\n")
    server = StubServer()
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    env.pop("OPENAI_API_KEY", None)
    with server as url:
        port = url.split(":")[2].split("/")[0]
        spec = f"openai:m@http://alice:PW-s3cret@127.0.0.1:{port}/v1?api-version=2024-02-01&api-key=KEY-s3cret"
        store = tmp_path / "g.db"
        proc = subprocess.run([sys.executable, "-m", "gradeloop.cli", "eval", str(suite), "-t", spec, "--store",
                               str(store), "--json", str(tmp_path / "run.json")],
                              capture_output=True, text=True, env=env, timeout=120, cwd=tmp_path)
        assert proc.returncode == 0, proc.stderr
        outputs = [proc.stdout + proc.stderr]
        for argv in (["runs", "--store", str(store)], ["show", "latest", "--store", str(store)],
                     ["report", "latest", "--store", str(store), "--html", str(tmp_path / "r.html"),
                      "--markdown-out", str(tmp_path / "r.md")],
                     ["compare", str(tmp_path / "run.json"), str(tmp_path / "run.json"), "--json",
                      str(tmp_path / "cmp.json"), "--store", str(store)],
                     ["eval", str(suite), "-t", spec + ";bogus=1", "--store", str(store)]):
            assert main(argv) in (0, 1, 2)
            captured = capsys.readouterr()
            outputs.append(captured.out + captured.err)
        received = list(server.received)
    assert len(received) == 1, "the endpoint was called once"
    # sent: basic auth from the userinfo (the query after the joined path: see the next test)
    assert received[0].headers.get("authorization") == "Basic " + base64.b64encode(b"alice:PW-s3cret").decode()
    stored = sqlite3.connect(store).execute("SELECT target_spec FROM runs").fetchall()
    texts = outputs + [repr(stored)] + [p.read_text() for p in (tmp_path / "run.json", tmp_path / "r.html",
                                                                tmp_path / "r.md", tmp_path / "cmp.json")]
    for text in texts:
        assert "PW-s3cret" not in text and "KEY-s3cret" not in text and "alice" not in text
    assert "api-key=***" in stored[0][0] and "api-version=2024-02-01" in stored[0][0]
    assert "unknown option 'bogus=1'" in outputs[-1]  # errors quote the spec, redacted
    run = json.loads((tmp_path / "run.json").read_text())
    assert run["target"]["spec"].startswith("openai:m@http://***@127.0.0.1:")


def test_stub_server_sees_the_query_after_the_path():
    server = StubServer()
    with server as url:
        t = OpenAITarget("m", url + "?api-version=7", backoff=0.01)
        (gen,) = generate(t, ["q"])
    assert gen.output == "echo: q"  # the stub routes on the path: /v1?api-version=7/chat/completions would 404
