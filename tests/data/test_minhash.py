import pytest

from gradeloop.data.minhash import MinHashIndex, lsh_bands
from gradeloop.errors import InputError

BASE = {f"w{i} w{i + 1}" for i in range(40)}


def test_bands_reach_the_recall_target_at_the_threshold():
    for threshold in (0.5, 0.7, 0.9):
        bands, rows = lsh_bands(threshold, 128)
        assert bands * rows == 128
        assert 1 - (1 - threshold ** rows) ** bands >= 0.99


@pytest.mark.parametrize("backend", ["rensa", "datasketch"])
def test_near_sets_are_candidates_and_unrelated_ones_are_not(backend):
    pytest.importorskip(backend)
    near = set(list(BASE)[:36]) | {"x y", "y z"}
    unrelated = {f"u{i} u{i + 1}" for i in range(40)}
    index = MinHashIndex([BASE, unrelated], threshold=0.7, backend=backend)
    assert index.query([near, {"nothing here"}, set()]) == [[0], [], []]


def test_bad_threshold_and_backend_are_input_errors():
    with pytest.raises(InputError):
        MinHashIndex([BASE], threshold=1.5)
    with pytest.raises(InputError):
        MinHashIndex([BASE], threshold=0.7, backend="faiss")
