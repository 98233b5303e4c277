"""What real OpenAI-compatible servers showed (vLLM, llama.cpp, transformers serve, LiteLLM), against the stub:
spec sampling options applied, logprobs asked for properly and part of the cache key, silent
servers warned about, 501 not retried, a deadline, a hint for a base URL without /v1."""
from __future__ import annotations

import asyncio
import random

from gradeloop.targets.base import Request, SamplingParams
from gradeloop.targets.openai import OpenAITarget
from gradeloop.testing import Fault, StubServer

RUN = SamplingParams(temperature=0.0, max_tokens=256)  # what a run asks for by default


def generate(t: OpenAITarget, requests: list[Request]):
    async def go():
        try:
            return await t.generate(requests)
        finally:
            await t.aclose()

    return asyncio.run(go())


def test_sampling_options_in_the_spec_are_sent_and_fingerprinted() -> None:
    server = StubServer()
    with server as url:
        t = OpenAITarget.from_spec(f"openai:m@{url};temperature=0.9;max_tokens=10;backoff=0.01", params=RUN)
        generate(t, [Request("a", "hi", params=RUN)])
    body = server.received[0].body
    assert body["temperature"] == 0.9 and body["max_tokens"] == 10
    plain = OpenAITarget.from_spec(f"openai:m@{url}", params=RUN)
    assert t.fingerprint() != plain.fingerprint()


def test_logprobs_ask_for_top_logprobs_and_enter_the_cache_key() -> None:
    server = StubServer()
    with server as url:
        t = OpenAITarget.from_spec(f"openai:m@{url};logprobs=true", params=RUN)
        gen = generate(t, [Request("a", "one two", params=RUN)])[0]
    assert server.received[0].body["logprobs"] is True and server.received[0].body["top_logprobs"] == 1
    assert gen.logprobs and t.warnings() == []
    assert t.fingerprint() != OpenAITarget.from_spec(f"openai:m@{url}", params=RUN).fingerprint()


class _NoLogprobs(StubServer):
    """A server that ignores `logprobs` (as `transformers serve` does)."""

    def _completion(self, body, messages, content, kind, calls=None):  # type: ignore[no-untyped-def]
        return super()._completion({k: v for k, v in body.items() if k != "logprobs"}, messages, content, kind, calls)


def test_a_server_that_drops_logprobs_is_warned_about() -> None:
    with _NoLogprobs() as url:
        t = OpenAITarget.from_spec(f"openai:m@{url};logprobs=true", params=RUN)
        generate(t, [Request(str(i), f"q{i}", params=RUN) for i in range(3)])
    assert any("3 of 3 answers came without them" in w for w in t.warnings())


def test_identical_samples_at_temperature_one_are_warned_about() -> None:
    hot = SamplingParams(temperature=1.0, max_tokens=16)
    requests = [Request(f"c{c}", f"question {c}", sample_index=k, seed=0, params=hot) for c in range(3) for k in range(4)]
    with StubServer() as url:  # echo: the same answer every time, as a server that does not sample
        deaf = OpenAITarget.from_spec(f"openai:m@{url}", params=hot)
        generate(deaf, requests)
    assert any("samples are identical (3 cases)" in w for w in deaf.warnings())
    rng = random.Random(0)
    with StubServer(responder=lambda m: f"answer {rng.random()}") as url:
        sampling = OpenAITarget.from_spec(f"openai:m@{url}", params=hot)
        generate(sampling, requests)
    assert sampling.warnings() == []


def test_http_501_is_not_retried_but_503_is() -> None:
    server = StubServer(faults=[Fault("status", match="five-oh-one", status=501),
                                Fault("status", match="five-oh-three", status=503, times=1)])
    with server as url:
        t = OpenAITarget.from_spec(f"openai:m@{url};backoff=0.01", params=RUN)
        not_impl, unavailable = generate(t, [Request("a", "five-oh-one", params=RUN),
                                             Request("b", "five-oh-three", params=RUN)])
    assert not_impl.error.startswith("http 501") and server.count("five-oh-one") == 1
    assert unavailable.output is not None and server.count("five-oh-three") == 2


def test_a_deadline_stops_sending_to_a_slow_endpoint() -> None:
    server = StubServer(faults=[Fault("slow", delay=0.2)])
    requests = [Request(str(i), f"q{i}", params=RUN) for i in range(6)]
    with server as url:
        t = OpenAITarget.from_spec(f"openai:m@{url};deadline=0.05;concurrency=1", params=RUN)
        gens = generate(t, requests)
    assert gens[0].output is not None  # sent before the deadline, answered after it
    assert all(g.error and "deadline" in g.error for g in gens[1:])
    assert server.total == 1


class _OnlyV1(StubServer):
    """Routes only /v1/..., as vLLM and llama.cpp's server do."""

    def _route(self, method, path, headers, body):  # type: ignore[no-untyped-def]
        if not path.startswith("/v1/"):
            return super()._route(method, "/nowhere", headers, body)
        return super()._route(method, path, headers, body)


def test_a_base_url_without_v1_gets_a_hint_on_404() -> None:
    with _OnlyV1() as url:
        t = OpenAITarget.from_spec(f"openai:m@{url.removesuffix('/v1')}", params=RUN)
        gen = generate(t, [Request("a", "hi", params=RUN)])[0]
    assert gen.error.startswith("http 404") and "no /v1" in gen.error
    with _OnlyV1() as url:
        ok = generate(OpenAITarget.from_spec(f"openai:m@{url}", params=RUN), [Request("a", "hi", params=RUN)])[0]
    assert ok.output is not None


def test_a_judge_spec_keeps_its_own_max_tokens() -> None:
    from gradeloop.targets.judge import judge_factory

    server = StubServer(responder=lambda m: "VERDICT: PASS")
    with server as url:
        judge = judge_factory(f"openai:judge-m@{url};max_tokens=64")
        assert judge("Grade this") == "VERDICT: PASS"
    assert server.received[0].body["max_tokens"] == 64 and server.received[0].body["temperature"] == 0.0


def test_target_warnings_reach_the_eval_command(tmp_path, capsys) -> None:
    from gradeloop.cli import main

    suite = tmp_path / "s.yaml"
    suite.write_text("name: s\ncases:\n" + "".join(
        f"  - {{id: c{i}, input: q{i}, graders: [{{type: contains, value: q}}]}}\n" for i in range(3)))
    with StubServer() as url:
        main(["eval", str(suite), "-t", f"openai:m@{url}", "--samples", "2", "--temperature", "1",
              "--store", str(tmp_path / "db.sqlite")])
    out = capsys.readouterr()
    assert "samples are identical (3 cases)" in " ".join((out.out + out.err).split()), out
