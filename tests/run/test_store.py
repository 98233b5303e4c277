"""The store round-trips what it is given: cases, samples and their JSON columns."""
from __future__ import annotations

import json

import pytest

from gradeloop.run.store import SampleRow, Store, _loads


@pytest.mark.parametrize("text", ['{"a": [1, 2.5, null]}', ' {"a": 1} ', '"x"', "[]", '{"a": 1}\n'])
def test_loads_reads_any_json_text(text):
    assert _loads(text) == json.loads(text)


def test_loads_still_refuses_malformed_text():
    with pytest.raises(json.JSONDecodeError):
        _loads('{"a": 1} trailing')


def test_cases_and_samples_round_trip(tmp_path):
    store = Store(tmp_path / "s.db")
    store.create_run("r1", "key", "spec", "fp", {"samples": 1}, [{"name": "s"}])
    chat = [{"role": "user", "content": "héllo"}]
    store.add_cases("r1", [("s", "a", 0, {"lang": "fr"}, None, "answer", chat, "ref", {"n": 1}),
                           ("s", "b", 1, {}, "a", None, "plain", None, {})])
    row = SampleRow("s", "a", 0, "out", None, None, 0.5, True, 1.0,
                    [{"grader": "g", "score": 1.0, "passed": True, "reason": "ok", "signals": {"c": 0.5}}],
                    {"confidence": 0.9}, [-0.1], {"prompt_tokens": 2}, False)
    store.add_samples("r1", [row])
    cases = store.cases("r1")
    assert [(c["id"], c["tags"], c["input"], c["metadata"], c["parent"]) for c in cases] == [
        ("a", {"lang": "fr"}, chat, {"n": 1}, None), ("b", {}, "plain", {}, "a")]
    assert list(store.samples("r1")) == [row]
    assert store.sample_outcomes("r1") == [("s", "a", 1, 1.0, None)]
    assert store.case_tags("r1") == [{"suite": "s", "id": "a", "tags": {"lang": "fr"}},
                                     {"suite": "s", "id": "b", "tags": {}}]
    store.close()
