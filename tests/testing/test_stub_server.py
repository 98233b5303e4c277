"""The stub server itself: OpenAI-shaped answers, fault selection, counts, bounded lifetime, scale."""
from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time

import httpx
import pytest

from gradeloop.targets.base import Request
from gradeloop.targets.openai import OpenAITarget
from gradeloop.testing import Fault, StubServer


def chat(url: str, prompt: str, **extra) -> httpx.Response:
    body = {"model": "m", "messages": [{"role": "user", "content": prompt}], **extra}
    return httpx.post(f"{url}/chat/completions", json=body, timeout=30)  # a hang guard only


def test_answers_in_the_openai_shape():
    server = StubServer(model="tiny")
    with server as url:
        data = chat(url, "ping pong", logprobs=True).json()
        models = httpx.get(f"{url}/models", timeout=30).json()
        missing = httpx.get(f"{url}/nowhere", timeout=30)
    assert data["object"] == "chat.completion" and data["model"] == "m"
    choice = data["choices"][0]
    assert choice["message"] == {"role": "assistant", "content": "echo: ping pong"}
    assert [t["token"] for t in choice["logprobs"]["content"]] == ["echo:", "ping", "pong"]
    assert data["usage"] == {"prompt_tokens": 2, "completion_tokens": 3, "total_tokens": 5}
    assert models["data"][0]["id"] == "tiny"
    assert missing.status_code == 404
    assert server.total == 1 and server.counts == {"ping pong": 1}


def test_bad_requests_get_400():
    with StubServer() as url:
        not_json = httpx.post(f"{url}/chat/completions", content=b"{nope", timeout=30)
        no_messages = httpx.post(f"{url}/chat/completions", json={"model": "m"}, timeout=30)
    assert not_json.status_code == 400 and no_messages.status_code == 400


def test_fault_times_count_per_prompt_or_per_server():
    faults = [Fault("status", match="per-prompt", status=503, times=1),
              Fault("status", match="shared", status=500, times=1, scope="server", retry_after="7")]
    server = StubServer(faults=faults)
    with server as url:
        codes = [chat(url, p).status_code for p in ("per-prompt a", "per-prompt a", "per-prompt b")]
        shared = [chat(url, p) for p in ("shared a", "shared b")]
    assert codes == [503, 200, 503]
    assert [r.status_code for r in shared] == [500, 200]
    assert shared[0].headers["retry-after"] == "7"
    assert [r.fault for r in server.received] == ["status", None, "status", "status", None]
    assert server.count("per-prompt") == 3


def test_body_faults():
    faults = [Fault("malformed", match="mal"), Fault("empty_choices", match="empty"),
              Fault("no_content", match="none")]
    with StubServer(faults=faults) as url:
        with pytest.raises(json.JSONDecodeError):
            json.loads(chat(url, "mal").content)
        assert chat(url, "empty").json()["choices"] == []
        assert "content" not in chat(url, "none").json()["choices"][0]["message"]


def test_drop_closes_without_a_response_and_hang_waits_for_the_client():
    with StubServer(faults=[Fault("drop", match="drop"), Fault("hang", match="hang")]) as url:
        with pytest.raises(httpx.RemoteProtocolError):
            chat(url, "drop")
        with pytest.raises(httpx.ReadTimeout):  # the server holds the request until the client leaves
            httpx.post(f"{url}/chat/completions", json={"messages": [{"role": "user", "content": "hang"}]},
                       timeout=0.3)


def test_responder_errors_become_500():
    def responder(messages):
        raise RuntimeError("user bug")

    with StubServer(responder=responder) as url:
        resp = chat(url, "x")
    assert resp.status_code == 500 and "RuntimeError" in resp.json()["error"]["message"]


def test_stop_ends_hung_requests_and_lifetime_ends_the_server():
    server = StubServer(faults=[Fault("hang")])
    url = server.start()

    async def hung():
        async with httpx.AsyncClient(timeout=60) as client:  # the server ends the request, not this
            with pytest.raises(httpx.RemoteProtocolError):
                await client.post(f"{url}/chat/completions", json={"messages": [{"role": "user", "content": "h"}]})

    async def go():
        task = asyncio.create_task(hung())
        # stop only once the server holds the request (counted; a fixed sleep lost this race on a
        # loaded machine and the client then met a closed listener); the deadline only bounds a hang
        deadline = time.monotonic() + 30
        while server.in_flight < 1 and not task.done() and time.monotonic() < deadline:
            await asyncio.sleep(0.01)
        assert server.in_flight == 1, "the hung request never reached the server"
        await asyncio.to_thread(server.stop)
        await asyncio.wait_for(task, 30)

    asyncio.run(go())
    brief = StubServer(lifetime=0.3)
    brief_url = brief.start()
    brief.wait(30)  # a hang guard: the server ends after its 0.3 s lifetime
    with pytest.raises(httpx.ConnectError):
        chat(brief_url, "too late")


def test_unknown_fault_kind_is_rejected():
    with pytest.raises(ValueError):
        Fault("explode")  # type: ignore[arg-type]


def test_sustains_256_concurrent_slow_requests():
    # latency is the window in which the requests must overlap: wide, for a loaded machine
    server = StubServer(latency=2.0, record=False)
    with server as url:
        target = OpenAITarget("m", url, concurrency=256, timeout=60)  # a retry would break total == 256

        async def go():
            try:
                return await target.generate([Request(str(i), f"p{i}") for i in range(256)])
            finally:
                await target.aclose()

        gens = asyncio.run(go())
    assert all(g.error is None for g in gens) and server.total == 256
    assert server.max_in_flight > 128  # they overlap (counted at the server, not timed)
    assert server.in_flight == 0


def test_runs_standalone_in_another_process():
    proc = subprocess.Popen([sys.executable, "-m", "gradeloop.testing.stub_server", "--lifetime", "20"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:")
        assert chat(url, "hi").json()["choices"][0]["message"]["content"] == "echo: hi"
    finally:
        proc.terminate()
        _, err = proc.communicate(timeout=10)
    assert "Warning" not in err


def test_unusual_status_and_bad_responder_output():
    server = StubServer(responder=lambda messages: 42, faults=[Fault("status", match="odd", status=599)])  # type: ignore[arg-type, return-value]
    with server as url:
        assert chat(url, "odd").status_code == 599
        resp = chat(url, "plain")
    assert resp.status_code == 500 and "int" in resp.json()["error"]["message"]
    with pytest.raises(ValueError):
        Fault("status", status=42)
