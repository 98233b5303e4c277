import pytest

from gradeloop.data.holdout import HoldoutError, assert_trainable, seal, verify
from gradeloop.data.registry import Registry
from gradeloop.errors import InputError
from gradeloop.suite import load_suite
from gradeloop.suite.model import Case

from tests.data.conftest import write_suite


def test_holdout_suites_cases_and_rows_are_refused_naming_file_and_case(workdir):
    path = write_suite(workdir / "h.yaml", "hold", {"first": "a question", "second": "another"}, split="holdout")
    suite = load_suite(path)
    with pytest.raises(HoldoutError) as err:
        assert_trainable(suite, "tuning")
    assert err.value.file == str(path) and err.value.line is not None
    assert "'first'" in err.value.message and "tuning refused" in err.value.message
    assert isinstance(err.value, InputError)
    with pytest.raises(HoldoutError):
        assert_trainable([Case(id="c", input="x", metadata={"split": "holdout"})], "pair building")
    with pytest.raises(HoldoutError):
        assert_trainable([{"prompt": "x"}, {"prompt": "y", "split": "holdout", "id": "r2"}], "sft")


def test_trainable_data_passes(workdir):
    suite = load_suite(write_suite(workdir / "d.yaml", "dev", {"a": "x"}))
    assert_trainable([suite, Case(id="c", input="y"), {"prompt": "z"}], "tuning")
    with pytest.raises(InputError):
        assert_trainable([3.5], "tuning")


def test_a_sealed_suite_stays_refused_after_its_split_is_edited(workdir):
    path = write_suite(workdir / "h.yaml", "hold", {"a": "secret question"}, split="holdout")
    reg = Registry()
    seal(reg, path)
    write_suite(path, "hold", {"a": "secret question"}, split="dev")  # someone "unseals" it by hand
    with pytest.raises(HoldoutError) as err:
        assert_trainable(load_suite(path), "tuning")  # the default registry in the working folder is consulted
    assert "sealed" in err.value.message
    with pytest.raises(HoldoutError):
        assert_trainable(path, "synthetic generation", registry=reg)


def test_only_holdout_suites_can_be_sealed(workdir):
    path = write_suite(workdir / "d.yaml", "dev", {"a": "x"})
    with pytest.raises(InputError) as err:
        seal(Registry(), path)
    assert err.value.field == "split"


def test_verify_reports_an_edited_or_missing_holdout(workdir):
    path = write_suite(workdir / "h.yaml", "hold", {"a": "question one"}, split="holdout")
    other = write_suite(workdir / "h2.yaml", "hold2", {"a": "question two"}, split="holdout")
    reg = Registry()
    sealed = seal(reg, path)
    seal(reg, other)
    assert seal(reg, path).id == sealed.id  # re-sealing unchanged content changes nothing
    assert [c.status for c in verify(reg)] == ["ok", "ok"]
    write_suite(path, "hold", {"a": "question one, edited"}, split="holdout")
    other.unlink()
    checks = {c.name: c for c in verify(reg)}
    assert checks["hold"].status == "changed" and checks["hold"].current_hash != sealed.hash
    assert sealed.hash in checks["hold"].detail
    assert checks["hold2"].status == "missing"
    resealed = seal(reg, path)  # an intended change is sealed again as a new version
    assert resealed.id != sealed.id and {c.name: c.status for c in verify(reg)}["hold"] == "ok"
