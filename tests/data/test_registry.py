import pytest

from gradeloop.data.holdout import HoldoutError
from gradeloop.data.registry import Registry
from gradeloop.errors import InputError

from tests.data.conftest import write_suite


def test_add_is_idempotent_per_content_and_versions_on_edit(workdir):
    suite = write_suite(workdir / "s.yaml", "greet", {"a": "hello there"})
    reg = Registry()
    first = reg.add(suite)
    assert (workdir / ".gradeloop" / "data.db").exists()
    assert first.name == "greet" and first.kind == "suite" and first.split == "dev"
    assert first.source == str(suite.resolve()) and first.id.startswith("greet@")
    assert reg.add(suite).id == first.id and len(reg.list()) == 1
    write_suite(suite, "greet", {"a": "hello there", "b": "good morning"})
    second = reg.add(suite)
    assert second.id != first.id and [r.id for r in reg.list()] == [first.id, second.id]
    assert reg.get("greet").id == second.id  # a name means its latest version
    assert reg.get(str(suite)).id == second.id  # so does its file


def test_training_files_are_hashed_by_content(workdir):
    data = workdir / "train.jsonl"
    data.write_text('{"prompt": "x"}\n')
    reg = Registry(workdir / "r.db")
    rec = reg.add(data, kind="train", meta={"source": "crawl"})
    assert rec.kind == "train" and rec.split == "train" and rec.meta == {"source": "crawl"}
    data.write_text('{"prompt": "y"}\n')
    assert reg.add(data, kind="train").hash != rec.hash


def test_unknown_parent_or_kind_is_refused_and_nothing_is_written(workdir):
    data = workdir / "t.txt"
    data.write_text("x\n")
    reg = Registry()
    with pytest.raises(InputError) as err:
        reg.add(data, kind="train", parents=[("no-such@1", "derived")])
    assert "no dataset" in err.value.message and reg.list() == []
    with pytest.raises(InputError):
        reg.add(data, kind="weights")


def test_lineage_round_trip_suite_to_synthetic_to_adapter(workdir):
    seeds = write_suite(workdir / "seeds.yaml", "seeds", {"a": "reset my password"}, split="train")
    synth = workdir / "synth.jsonl"
    synth.write_text('{"prompt": "how do I reset my password"}\n')
    pool = workdir / "pool.jsonl"
    pool.write_text('{"prompt": "hello"}\n')
    reg = Registry()
    s = reg.add(seeds)
    p = reg.add(pool, kind="train")
    y = reg.add(synth, kind="synthetic", parents=[(s.id, "seeded_from"), (p.id, "mixed")], meta={"seed": 7})
    a = reg.record_adapter("adapter-1", trained_on=["synth"], meta={"steps": 30})
    assert a.parents == ((y.id, "trained_on"),)  # the exact version, resolved from the name
    up = reg.lineage("adapter-1", "up")
    assert [(st.record.id, st.how, st.depth) for st in up] == [
        (y.id, "trained_on", 1), (p.id, "mixed", 2), (s.id, "seeded_from", 2)]
    down = reg.lineage(s.id, "down")
    assert [(st.record.id, st.via, st.depth) for st in down] == [(y.id, s.id, 1), ("adapter-1", y.id, 2)]
    with pytest.raises(InputError):
        reg.lineage(s.id, "sideways")


def test_an_adapter_cannot_be_recorded_as_trained_on_a_holdout(workdir):
    hold = write_suite(workdir / "h.yaml", "hold", {"a": "x"}, split="holdout")
    reg = Registry()
    reg.add(hold)
    with pytest.raises(HoldoutError):
        reg.record_adapter("ad", trained_on=["hold"])
    with pytest.raises(InputError):
        reg.record_adapter("ad", trained_on=[])


def test_a_file_that_is_not_a_registry_is_an_input_error(workdir):
    bad = workdir / "not.db"
    bad.write_text("this is not sqlite " * 100)
    with pytest.raises(InputError) as err:
        Registry(bad)
    assert err.value.file == str(bad)
