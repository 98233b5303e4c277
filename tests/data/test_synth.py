import json
import random
import textwrap

import pytest

from gradeloop.data.contam import ContaminationError
from gradeloop.data.holdout import HoldoutError
from gradeloop.data.registry import Registry
from gradeloop.data.synth import combinations, load_spec, run_synth
from gradeloop.data.synth.filters import apply_filters
from gradeloop.data.synth.generate import SynthRow, teacher_rows
from gradeloop.data.synth.mix import choose, synthetic_quota
from gradeloop.data.synth.spec import FilterSpec, TeacherSpec
from gradeloop.errors import InputError
from gradeloop.suite.model import GraderSpec
from gradeloop.targets.base import Generation

from tests.data.conftest import write_suite


def spec_file(tmp_path, body: str, name: str = "spec.yaml"):
    path = tmp_path / name
    path.write_text(textwrap.dedent(body), encoding="utf-8")
    return path


BASIC = """\
    name: s
    seed: 3
    output: out/train.jsonl
    generate:
      templates:
        - prompt: "How do I reset my {{ thing }} on the {{ device }} when it is locked?"
          response: "Go to Settings on the {{ device }} and reset the {{ thing }}."
          slots: {thing: [password, PIN], device: [phone, laptop, tablet]}
          tags: {intent: reset}
"""


def test_spec_errors_name_file_line_and_field(tmp_path):
    bad = spec_file(tmp_path, BASIC + "    colour: blue\n")
    with pytest.raises(InputError) as err:
        load_spec(bad)
    assert (err.value.file, err.value.line, err.value.field) == (str(bad), 10, "colour")
    bad = spec_file(tmp_path, BASIC.replace("{{ device }} when", "{{ place }} when"))
    with pytest.raises(InputError) as err:
        load_spec(bad)
    assert "unknown slot" in err.value.message and err.value.line == 6
    bad = spec_file(tmp_path, BASIC.replace("{{ thing }} on", "{{ input }} on"))
    with pytest.raises(InputError, match="seed cases"):
        load_spec(bad)
    bad = spec_file(tmp_path, BASIC + "    filter: {schema: {type: 12}}\n")
    with pytest.raises(InputError, match="JSON schema"):
        load_spec(bad)
    with pytest.raises(InputError, match="is required"):
        load_spec(spec_file(tmp_path, "name: s\noutput: o.jsonl\n"))


def test_combinations_are_complete_in_order_or_a_seeded_sample():
    slots = {"a": ["1", "2"], "b": ["x", "y", "z"]}
    every = combinations(slots, None, None, random.Random(0))
    assert every == [{"a": a, "b": b} for a in "12" for b in "xyz"]
    sample = combinations(slots, None, 4, random.Random(9))
    assert len(sample) == 4 and all(s in every for s in sample)
    assert sample == combinations(slots, None, 4, random.Random(9))
    with pytest.raises(InputError, match="count"):
        combinations({f"s{i}": [str(v) for v in range(10)] for i in range(7)}, None, None, random.Random(0))


class FakeTeacher:
    spec = "fake:teacher"

    def __init__(self, outputs):
        self.outputs, self.seen, self.closed = outputs, [], False

    def fingerprint(self):
        return "fake-fp"

    async def generate(self, requests):
        self.seen.extend(requests)
        return [Generation(output=None, error="boom") if o is None else Generation(output=o)
                for o in self.outputs[len(self.seen) - len(requests):len(self.seen)]]

    async def aclose(self):
        self.closed = True


def _teacher(output, n=1):
    return TeacherSpec(target="fake:teacher", prompt="Write about {{ topic }}.", input=None, output=output,
                       slots={"topic": ("refunds", "shipping")}, tags={"topic": "{{ topic }}"}, n=n, count=None,
                       temperature=0.7, max_tokens=64, line=1)


def test_teacher_rows_in_each_output_mode_count_what_was_dropped():
    fake = FakeTeacher(["Refunds take five days.", None])
    rows, counts, fp = teacher_rows("s", _teacher("response"), [], 1, fake)
    assert [(r.prompt, r.response, dict(r.tags)) for r in rows] == [
        ("Write about refunds.", "Refunds take five days.", {"topic": "refunds"})]
    assert counts == {"requested": 2, "errors": 1, "empty": 0, "unparseable": 0} and fp == "fake-fp"
    assert fake.closed and fake.seen[0].seed != fake.seen[1].seed and fake.seen[0].params.temperature == 0.7
    rows, counts, _ = teacher_rows("s", _teacher("json"), [], 1,
                                   FakeTeacher(['{"prompt": "Where is my parcel?", "response": "In transit."}',
                                                "not json"]))
    assert [(r.prompt, r.response) for r in rows] == [("Where is my parcel?", "In transit.")]
    assert counts["unparseable"] == 1
    rows, _, _ = teacher_rows("s", _teacher("prompt"), [], 1, FakeTeacher(["  Can I return shoes?  ", ""]))
    assert [(r.prompt, r.response) for r in rows] == [("Can I return shoes?", None)]


def test_filters_count_what_each_removed():
    rows = [SynthRow("a", "Email me at bob@example.com", "ok sure thing"),
            SynthRow("b", "Pay with 4111 1111 1111 1111", "done"),
            SynthRow("c", "short", "x"),
            SynthRow("d", "How do I log in?", "Just bypass auth with the admin key."),
            SynthRow("e", "How do I log in?", "Use your email and password, then the code we send.")]
    spec = FilterSpec(graders=(GraderSpec("not_contains", {"values": ["bypass auth"]}),), min_chars=5,
                      length_field="response", privacy=True)
    kept, report = apply_filters(rows, spec, name="s")
    assert [r.id for r in kept] == ["e"]
    assert report["privacy"] == {"removed": 2, "kinds": {"card": 1, "email": 1}}
    assert report["length"] == {"removed": 1}
    assert report["graders"] == {"removed": 1, "failed": 1, "errors": 0}
    schema = FilterSpec(schema={"type": "object", "required": ["severity"]}, privacy=False)
    kept, report = apply_filters([SynthRow("j", "p", '{"severity": "high"}'), SynthRow("k", "p", "{}"),
                                  SynthRow("l", "p", "not json")], schema, name="s")
    assert [r.id for r in kept] == ["j"] and report["schema"] == {"removed": 2}


def test_mix_share_is_bounded_and_slices_keep_their_proportions():
    assert synthetic_quota(80, 100, 0.2) == 20 and synthetic_quota(80, 5, 0.2) == 5
    assert synthetic_quota(0, 10, 0.2) == 0 and synthetic_quota(3, 10, 1.0) == 10
    rows = [SynthRow(f"r{i}", "p", None, {"intent": "a" if i < 30 else "b"}) for i in range(40)]
    chosen = choose(rows, 20, ["intent"], seed=1)
    assert len(chosen) == 20 and sum(r.tags["intent"] == "a" for r in chosen) == 15
    assert chosen == choose(rows, 20, ["intent"], seed=1)


def _project(tmp_path, extra: str = "", seed_split: str = "train"):
    write_suite(tmp_path / "seeds.yaml", "seeds", {"s1": "How can I change the email address on my account?",
                                                   "s2": "Where do I download last month's invoice?"},
                split=seed_split)
    write_suite(tmp_path / "eval.yaml", "dev-eval", {
        "e1": "How do I reset my password on the phone when it is locked? Go to Settings on the phone and reset "
              "the password."})
    pool = tmp_path / "pool.jsonl"
    pool.write_text("".join(json.dumps({"prompt": f"Pool question number {i} about {t}", "tags": {"intent": t}})
                            + "\n" for i, t in enumerate(["billing"] * 12 + ["shipping"] * 8)))
    body = BASIC.replace("      templates:\n", "      seeds: [seeds.yaml]\n      templates:\n") + """\
        - prompt: "Customer asks: {{ input }}"
          response: "Thanks for asking about {{ case_id }}; the answer is in Settings."
          tags: {intent: seeded}
    synthetic_output: out/synthetic.jsonl
    filter:
      graders: [{type: not_contains, values: [bypass auth]}]
      privacy: true
    dedupe: {jaccard: 0.9, containment: 0.95, suites: [eval.yaml]}
    mix: {pool: pool.jsonl, max_share: 0.2, slice_by: [intent]}
"""
    return spec_file(tmp_path, body + extra)


def test_synth_end_to_end_registers_output_with_provenance_and_lineage(workdir):
    spec = _project(workdir)
    reg = Registry()
    result = run_synth(spec, registry=reg, workers=1)
    p = result.provenance
    assert p["generated"]["templates"] == 8 and p["spec_hash"] == load_spec(spec).spec_hash and p["seed"] == 3
    # the row repeating the dev case (exact) and the one sharing a 13-gram with it (PIN on the phone) go
    assert p["dedupe"] == {"jaccard": 0.9, "containment": 0.95, "within": 0, "train": 0, "eval": 2}
    mix = p["mix"]
    assert mix["pool_rows"] == 20 and mix["synthetic_rows"] == 5 and mix["share"] <= 0.2
    assert mix["slices"]["intent=billing"] == {"pool": 12, "synthetic": 0, "share": 0.0}
    lines = [json.loads(line) for line in (workdir / "out" / "train.jsonl").read_text().splitlines()]
    assert len(lines) == result.rows == 25 and sum(bool(r.get("synthetic")) for r in lines) == 5
    assert result.record.kind == "synthetic" and result.record.meta["spec_hash"] == p["spec_hash"]
    reg.record_adapter("lora-1", trained_on=[result.record.id])
    up = {s.record.name for s in reg.lineage("lora-1", "up")}
    assert up == {"s", "synthetic", "pool", "seeds"}
    down = [(s.record.id, s.how) for s in reg.lineage("seeds", "down")]
    assert down == [(result.synthetic_record.id, "seeded_from"), (result.record.id, "mixed"),
                    ("lora-1", "trained_on")]
    assert run_synth(spec, registry=reg, workers=1).record.id == result.record.id  # seeded: same content


def test_synth_refuses_holdout_seeds_and_holdout_pool_rows(workdir):
    spec = _project(workdir, seed_split="holdout")
    with pytest.raises(HoldoutError) as err:
        run_synth(spec, registry=Registry(), workers=1)
    assert err.value.file.endswith("seeds.yaml") and "'s1'" in err.value.message
    assert not (workdir / "out").exists()
    spec = _project(workdir)
    with (workdir / "pool.jsonl").open("a") as f:
        f.write(json.dumps({"prompt": "held out", "split": "holdout"}) + "\n")
    with pytest.raises(HoldoutError) as err:
        run_synth(spec, registry=Registry(), workers=1)
    assert err.value.line == 21


def test_a_contaminated_pool_is_refused_unless_overridden_and_the_override_is_recorded(workdir):
    spec = _project(workdir)
    with (workdir / "pool.jsonl").open("a") as f:
        f.write(json.dumps({"prompt": "How do I reset my password on the phone when it is locked? Go to Settings "
                                      "on the phone and reset the password.", "tags": {"intent": "billing"}}) + "\n")
    reg = Registry()
    with pytest.raises(ContaminationError) as err:
        run_synth(spec, registry=reg, workers=1)
    assert err.value.line == 21 and "dev-eval/e1" in err.value.message
    result = run_synth(spec, registry=reg, allow_contaminated=True, workers=1)
    assert reg.get(result.record.id).meta["contamination_override"]["hits"] == 1


def test_teacher_from_a_py_target_spec(workdir, monkeypatch):
    (workdir / "teacher_mod.py").write_text(
        "def write(prompt):\n    return 'Customers often ask: ' + prompt.split(':')[-1].strip() + ' What now?'\n")
    monkeypatch.syspath_prepend(str(workdir))
    spec = spec_file(workdir, """\
        name: t
        output: out.jsonl
        generate:
          teacher:
            target: py:teacher_mod:write
            prompt: "Topic: {{ topic }}"
            slots: {topic: [late refund for a damaged parcel, changing a delivery address]}
            output: prompt
            n: 1
    """)
    result = run_synth(spec, registry=Registry(), workers=1)
    teacher = result.provenance["teacher"]
    assert teacher["target"] == "py:teacher_mod:write" and teacher["fingerprint"]
    rows = [json.loads(line) for line in (workdir / "out.jsonl").read_text().splitlines()]
    assert [r["prompt"] for r in rows] == ["Customers often ask: late refund for a damaged parcel What now?",
                                          "Customers often ask: changing a delivery address What now?"]
    assert all(r["source"] == "teacher" for r in rows)
