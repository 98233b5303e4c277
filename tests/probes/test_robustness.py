"""Stability, worst case and flip rates against values computed by hand."""
from __future__ import annotations

import pytest

from gradeloop.errors import InputError
from gradeloop.probes import robustness
from gradeloop.probes.robustness import operator_of

from .runs import case, run

P, F = True, False


def constructed_run() -> dict:
    return run(
        case("p1", [P]),                                                # passes
        case("p1~typos~1", [P], parent="p1", tags={"mutation": "typos"}),
        case("p1~typos~2", [P, F, F, F], parent="p1", tags={"mutation": "typos"}),  # 0.25: fails
        case("p1~casing~1", [P], parent="p1"),                         # op read from the id
        case("p2", [F]),                                                # fails
        case("p2~typos~1", [P], parent="p2", tags={"mutation": "typos"}),
        case("p2~casing~1", [F], parent="p2", tags={"mutation": "casing"}),
        case("p3", [P, F]),                                             # 0.5: passes
        case("p3~casing~1", [F, P, F, F], parent="p3", tags={"mutation": "casing"}),  # 0.25: fails
        case("p4~casing~1", [P], parent="p4"),                          # orphan: p4 not in the run
        case("p1~casing~2", [None], parent="p1", tags={"mutation": "casing"}),  # errored: left out
        case("solo", [P]),                                              # no variants: not a parent
    )


def test_overall_figures_match_hand_computation():
    r = robustness(constructed_run())
    o = r.overall
    assert o.n_parents == 3 and o.n_variants == 6
    # stability per parent: p1 2/3, p2 1/2, p3 0/1
    assert o.stability.mean == pytest.approx((2 / 3 + 1 / 2 + 0) / 3)
    assert o.stability.n_cases == 3 and o.stability.n_samples == 6
    # worst case per parent: p1 min(1, 1, .25, 1) = .25, p2 0, p3 min(.5, .25) = .25
    assert o.worst_case.mean == pytest.approx((0.25 + 0 + 0.25) / 3)
    # pass->fail under passing parents: p1 1/3, p3 1/1; fail->pass under p2: 1/2
    assert o.flip_pass_to_fail.mean == pytest.approx((1 / 3 + 1) / 2)
    assert o.flip_pass_to_fail.n_cases == 2
    assert o.flip_fail_to_pass.mean == pytest.approx(0.5) and o.flip_fail_to_pass.n_cases == 1
    for est in (o.stability, o.worst_case, o.flip_pass_to_fail):
        assert est.ci_low <= est.mean <= est.ci_high


def test_per_operator_figures():
    r = robustness(constructed_run())
    assert sorted(r.by_operator) == ["casing", "typos"]
    typos, casing = r.by_operator["typos"], r.by_operator["casing"]
    assert typos.n_parents == 2 and typos.n_variants == 3
    assert typos.stability.mean == pytest.approx((1 / 2 + 0) / 2)
    assert typos.flip_pass_to_fail.mean == pytest.approx(0.5)
    assert typos.flip_fail_to_pass.mean == pytest.approx(1.0)
    assert casing.n_parents == 3 and casing.n_variants == 3
    assert casing.stability.mean == pytest.approx(2 / 3)
    assert casing.flip_pass_to_fail.mean == pytest.approx(0.5)
    assert casing.flip_fail_to_pass.mean == pytest.approx(0.0)
    assert casing.worst_case.mean == pytest.approx((1.0 + 0.0 + 0.25) / 3)


def test_flips_skips_and_orphans_are_listed():
    r = robustness(constructed_run())
    assert {(f.variant, f.direction, f.op) for f in r.flips} == {
        ("p1~typos~2", "pass->fail", "typos"), ("p2~typos~1", "fail->pass", "typos"),
        ("p3~casing~1", "pass->fail", "casing")}
    assert r.skipped == ("s/p1~casing~2",)
    assert r.orphans == ("s/p4~casing~1",)


def test_as_dict_is_json_and_render_text_names_the_figures():
    import json

    r = robustness(constructed_run())
    d = json.loads(json.dumps(r.as_dict()))
    assert d["verdict_threshold"] == 0.5
    assert d["overall"]["stability"]["mean"] == pytest.approx(7 / 18)
    assert d["by_operator"]["typos"]["flip_fail_to_pass"]["mean"] == 1.0
    text = r.render_text()
    assert "stability" in text and "p1~typos~2" in text and "0.389" in text


def test_run_without_variants_reports_nothing_measured():
    r = robustness(run(case("a", [P]), case("b", [F])))
    assert r.overall.n_parents == 0 and r.overall.stability is None and r.by_operator == {}


def test_operator_of_prefers_the_tag_then_the_id():
    assert operator_of({"id": "x~typos~1", "tags": {"mutation": "casing"}}) == "casing"
    assert operator_of({"id": "x~typos~1", "tags": {}}) == "typos"
    assert operator_of({"id": "x", "tags": {}}) == "unknown"


def test_not_a_run_is_an_input_error():
    with pytest.raises(InputError):
        robustness({"cases": "nope"})
    with pytest.raises(InputError, match="id"):
        robustness({"cases": [{"samples": []}]})
