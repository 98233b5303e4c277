"""Windowing by time (epoch-aligned, with lateness) and by request count."""
from __future__ import annotations

import pytest

from gradeloop.errors import InputError
from gradeloop.monitor.scoring import Scored
from gradeloop.monitor.windows import OTHER, Window, count_windows, time_windows


def _s(ts: float, passed: bool = True, **tags: str) -> Scored:
    return Scored(ts, tags, False, passed, 1.0 if passed else 0.0, None, False, 3, 0.5, 0.9)


def _make(start: float, end: float) -> Window:
    return Window(start, end, ("locale",), ("locale",), 2)


def _raise(err: InputError) -> None:
    raise err


def test_time_windows_align_to_the_epoch_and_skip_empty_ones():
    stream = [(_s(t), "f", i) for i, t in enumerate([3600 * 5 + 10, 3600 * 5 + 3500, 3600 * 6 + 1, 3600 * 9 + 5])]
    wins = list(time_windows(iter(stream), 3600, 0, _make, _raise))
    assert [(w.start, w.end, w.counts.n) for w in wins] == [(18000, 21600, 2), (21600, 25200, 1), (32400, 36000, 1)]
    assert wins[0].bounds == ("1970-01-01T05:00:00Z", "1970-01-01T06:00:00Z")
    assert [w.partial for w in wins] == [False, False, True]


def test_windows_are_emitted_as_soon_as_they_close():
    """Memory is bounded by the open windows: the first window arrives before the stream ends."""
    def stream():
        yield _s(10), "f", 1
        yield _s(100), "f", 2
        yield _s(200), "f", 3
        raise AssertionError("read too far")

    it = time_windows(stream(), 60, 0, _make, _raise)
    first = next(it)
    assert (first.start, first.counts.n) == (0, 1)


def test_lateness_accepts_slightly_out_of_order_lines_and_rejects_older_ones():
    stream = [(_s(100), "f", 1), (_s(125), "f", 2), (_s(118), "f", 3), (_s(190), "f", 4), (_s(110), "f", 5)]
    late: list[InputError] = []
    wins = list(time_windows(iter(stream), 60, 30, _make, late.append))
    assert [w.counts.n for w in wins] == [2, 1, 1]  # 118 joins the 120-180 window, still open
    assert len(late) == 1 and (late[0].file, late[0].line, late[0].field) == ("f", 5, "timestamp")
    with pytest.raises(InputError, match="time order"):
        list(time_windows(iter(stream), 60, 30, _make, _raise))


def test_count_windows_with_a_partial_last_one():
    wins = list(count_windows((_s(t) for t in range(25)), 10, _make))
    assert [(w.counts.n, w.start, w.end, w.partial) for w in wins] == [(10, 0, 9, False), (10, 10, 19, False),
                                                                      (5, 20, 24, True)]


def test_slices_cap_high_cardinality_tags_and_collect_features():
    w = _make(0, 1)
    for loc in ["de", "en", "fr", "it", "de"]:
        w.add(_s(0, passed=loc != "fr", locale=loc))
    w.add(_s(0))
    assert set(w.slices) == {"locale=de", "locale=en", f"locale={OTHER}"}
    assert w.slices[f"locale={OTHER}"].n == 3 and w.slices[f"locale={OTHER}"].passed == 2  # fr (failed), it, (missing)
    f = w.features()
    assert f.size("output_words") == 6 and f.categorical["tag:locale"]["(missing)"] == 1
    assert bytes(w.outcomes) == bytes([1, 1, 0, 1, 1, 1])
