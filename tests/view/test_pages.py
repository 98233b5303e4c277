"""Every viewer page through FastAPI's TestClient: figures, filters, pagination, labels, safety."""
from __future__ import annotations

import json
import re

import pytest
from fastapi.testclient import TestClient

from gradeloop.run.store import Store
from gradeloop.view import create_app
from tests.view.storebuild import XSS, add_run, two_runs


@pytest.fixture
def store_path(tmp_path):
    path = tmp_path / ".gradeloop" / "gradeloop.db"
    two_runs(path)
    return path


@pytest.fixture
def client(store_path):
    return TestClient(create_app(store_path), base_url="http://127.0.0.1")


def rows(page: str, table: str) -> list[str]:
    body = page.split(f'<table id="{table}">', 1)[1].split("</table>", 1)[0]
    return re.findall(r"<tr>(.*?)</tr>", body.split("<tbody>", 1)[1], re.S)


def sample_keys(page: str) -> list[tuple[str, int]]:
    """(case id, sample index) of each row of the samples table."""
    out = []
    for r in rows(page, "samples"):
        m = re.search(r"case=([^&\"]+)&amp;i=(\d+)", r)
        if m:
            out.append((m.group(1), int(m.group(2))))
    return out


def test_runs_page_lists_runs_with_intervals_and_search(client):
    page = client.get("/").text
    listed = rows(page, "runs")
    assert len(listed) == 2 and "run-cand" in listed[0]  # newest first
    base_row = listed[1]
    assert "0.800 [" in base_row  # 16 of 20 cases pass
    assert "replay:base.jsonl" in base_row and "math" in base_row and "done" in base_row
    cand_row = listed[0]
    assert "2.5%" in cand_row  # 1 target error of 40 samples
    found = rows(client.get("/?q=cand.jsonl").text, "runs")
    assert len(found) == 1 and "run-cand" in found[0]
    assert "no runs" in client.get("/?q=nothing-like-this").text


def test_run_page_tables(client):
    page = client.get("/runs/run-base").text
    assert "0.800 [" in rows(page, "suites")[0] and ">pass<" in rows(page, "suites")[0]
    slices = {re.search(r">([^<]+)</a>", r).group(1): r for r in rows(page, "slices")}
    assert set(slices) == {"area=a", "area=b", "suite=math"}
    graders = {re.search(r">([^<]+)</a>", r).group(1): r for r in rows(page, "graders")}
    assert set(graders) == {"contains", "judge"} and "0.800 [" in graders["contains"]
    assert page.count("<svg") == 2  # slice and grader interval plots, inline
    assert "40 sample(s) match" in page


@pytest.mark.parametrize("query, expected", [
    ("verdict=fail", {(f"m-{i}", s) for i in (12, 13, 14, 15, 18, 19) for s in (0, 1)} - {("m-12", 0), ("m-19", 0)}),
    ("verdict=error", {("m-19", 0)}),
    ("error=target", {("m-19", 0)}),
    ("flaky=1", {("m-12", 0), ("m-12", 1)}),
    ("grader=judge&verdict=pass", {(f"m-{i}", s) for i in list(range(12)) + [16, 17] for s in (0, 1)
                                   if i not in (3, 4)} | {("m-12", 0)}),
    ("q=m-17", {("m-17", 0), ("m-17", 1)}),
    ("q=question+m-5", {("m-5", 0), ("m-5", 1)}),  # text in the case input
    ("slice=area%3Da&verdict=pass", {(f"m-{i}", s) for i in (1, 3, 5, 7, 9, 11, 17) for s in (0, 1)}),
    ("suite=math&q=%25", set()),  # LIKE wildcards are literal
])
def test_sample_filters_server_side(client, query, expected):
    page = client.get(f"/runs/run-cand?{query}&per_page=500").text
    assert set(sample_keys(page)) == expected
    assert f"{len(expected)} sample(s) match" in page


def test_pagination_walks_every_sample_once_in_order(client):
    seen = []
    first = client.get("/runs/run-cand?per_page=7").text
    assert "page 1 of 6" in first
    for n in range(1, 7):
        page = client.get(f"/runs/run-cand?per_page=7&page_no={n}").text
        keys = sample_keys(page)
        assert len(keys) == (7 if n < 6 else 5)
        seen += keys
    assert len(seen) == 40 and len(set(seen)) == 40
    assert seen == sorted(seen)  # primary-key order: case id, then sample
    assert 'rel="next"' not in client.get("/runs/run-cand?per_page=7&page_no=6").text
    assert sample_keys(client.get("/runs/run-cand?per_page=7&page_no=99").text) == []
    # the filter survives paging
    nxt = re.search(r'href="([^"]+)" rel="next"', client.get("/runs/run-cand?verdict=fail&per_page=3").text)
    assert "verdict=fail" in nxt.group(1)


def test_sample_page_shows_everything_recorded(tmp_path):
    path = tmp_path / "s.db"
    store = Store(path)
    calls = [{"name": "lookup", "arguments": {"city": "Paris"}}]
    traj = [{"role": "assistant", "content": "", "tool_calls": calls}, {"role": "tool", "content": "sunny"}]
    add_run(store, "r1", {("t", "c-1"): [True, False]}, extra={"tool_calls": calls, "trajectory": traj})
    store.close()
    client = TestClient(create_app(path), base_url="http://127.0.0.1")
    page = client.get("/runs/r1/sample?suite=t&case=c-1&i=1").text
    assert "question c-1" in page and "wrong answer" in page
    grades = rows(page, "grades")
    assert len(grades) == 2 and "looked for ok in c-1" in grades[0] and "the judge&#39;s reasoning" in grades[1]
    assert "lookup" in page and "Paris" in page and "sunny" in page and 'id="trajectory"' in page
    assert "confidence" in page and "0.75" in page and "1.250s" in page
    assert 'href="/runs/r1/sample?suite=t&amp;case=c-1&amp;i=0"' in page  # the case's other sample
    assert client.get("/runs/r1/sample?suite=t&case=c-1&i=7").status_code == 404
    assert client.get("/runs/nope/sample?suite=t&case=c-1&i=0").status_code == 404


def test_labels_are_stored_with_who_and_never_change_the_grade(client, store_path, monkeypatch):
    monkeypatch.setenv("USER", "ada")
    store = Store(store_path)
    before = store.db.execute("SELECT * FROM samples WHERE run_id='run-cand' AND case_id='m-3'").fetchall()
    form = {"suite": "math", "case": "m-3", "i": "0", "grader": "judge", "label": "wrong", "note": "it was right"}
    r = client.post("/runs/run-cand/label", data=form, follow_redirects=False)
    assert r.status_code == 303 and "saved=1" in r.headers["location"]
    page = client.get(r.headers["location"]).text
    assert "Label saved" in page
    labelled = rows(page, "labels")
    assert len(labelled) == 1 and "ada" in labelled[0] and "wrong" in labelled[0] and "it was right" in labelled[0]
    assert client.post("/runs/run-cand/label", data={**form, "label": "right", "who": "bob"},
                       follow_redirects=False).status_code == 303
    after = store.db.execute("SELECT * FROM samples WHERE run_id='run-cand' AND case_id='m-3'").fetchall()
    assert after == before
    got = store.db.execute("SELECT who, label, grade_passed FROM labels ORDER BY label_id").fetchall()
    assert got == [("ada", "wrong", 0), ("bob", "right", 0)]  # the judge failed m-3 (flipped)
    assert "human labels: 1 right</p>" in client.get("/runs/run-cand").text  # the latest review counts
    # bad reviews are refused, and nothing is written
    assert client.post("/runs/run-cand/label", data={**form, "label": "maybe"}).status_code == 400
    assert client.post("/runs/run-cand/label", data={**form, "grader": "nope"}).status_code == 400
    assert client.post("/runs/run-cand/label", data={**form, "i": "x"}).status_code == 400
    assert client.post("/runs/run-cand/label", data={**form, "case": "m-99"}).status_code == 400
    assert client.post("/runs/nope/label", data=form).status_code == 404
    assert client.post("/runs/run-cand/label", data=form, headers={"Origin": "http://evil.example"}).status_code == 403
    for other in ("http://127.0.0.1:3000", "null", "http://localhost"):  # another port, a sandboxed frame
        assert client.post("/runs/run-cand/label", data=form, headers={"Origin": other}).status_code == 403
    assert client.post("/runs/run-cand/label", data=form, headers={"Origin": "http://127.0.0.1"},
                       follow_redirects=False).status_code == 303
    assert store.db.execute("SELECT COUNT(*) FROM labels").fetchone()[0] == 3
    store.close()


def test_compare_page_verdict_forest_and_flips(client):
    page = client.get("/compare?base=run-base&cand=run-cand").text
    assert re.search(r'id="verdict">FAIL<', page)  # four cases lost, one errored: a regression
    assert page.count("<svg") >= 1 and "<circle" in page
    worse = rows(page, "flips-worse")
    assert {re.search(r"math/(m-\d+)", r).group(1) for r in worse} == {f"m-{i}" for i in range(12, 16)}
    better = rows(page, "flips-better")
    assert {re.search(r"math/(m-\d+)", r).group(1) for r in better} == {"m-16", "m-17"}
    assert "ok answer" in better[0] and "wrong answer" in better[0]  # both outputs side by side
    assert "Flipped pass → fail (4)" in page
    picker = client.get("/compare").text
    assert picker.count("<option") == 4 and 'id="verdict"' not in picker
    assert client.get("/compare?base=run-base&cand=missing").status_code == 404


def test_tuning_pages(tmp_path, store_path):
    tunes = store_path.parent / "tunes" / "t-abc"
    tunes.mkdir(parents=True)
    est = {"mean": 0.5, "ci_low": 0.3, "ci_high": 0.7, "n_cases": 20, "n_samples": 20, "stderr": 0.1}
    state = {"tune_id": "t-abc", "status": "done", "started": 1.0, "stopped_because": "target met",
             "kept_adapter": "ad-1", "baseline": {"run_id": "run-base", "focus": est, "holdout": None, "guard": {}},
             "iterations": [{"iteration": 1, "strategy": "sft", "parent": None, "focus": {**est, "mean": 0.6},
                             "kept": True, "adapter": "ad-1", "reasons": [], "gate": {"verdict": "pass"},
                             "run_id": "run-cand"},
                            {"iteration": 2, "strategy": "sft", "parent": "ad-1", "focus": {**est, "mean": 0.4},
                             "kept": False, "adapter": None, "reasons": [XSS], "gate": {"verdict": "fail"}}]}
    (tunes / "state.json").write_text(json.dumps(state))
    client = TestClient(create_app(store_path), base_url="http://127.0.0.1")
    listing = client.get("/tunes").text
    assert "t-abc" in listing and "target met" in listing
    page = client.get("/tunes/t-abc").text
    its = rows(page, "iterations")
    assert len(its) == 3 and "kept" in its[1] and "rolled back" in its[2] and "0.600 [" in its[1]
    assert "<svg" in page and "<script" not in page
    assert "t-abc" in client.get("/").text  # linked from the runs page


@pytest.mark.parametrize("url", [
    "/tunes/..%2F..%2Fetc", "/tunes/../../etc/passwd", "/tunes/.hidden", "/tunes/%2Fetc%2Fpasswd",
    "/runs/..%2F..%2Fetc%2Fpasswd", "/static/..%2F..%2Fapp.py", "/static/../app.py", "/runs/run-base/../../etc",
])
def test_path_parameters_cannot_escape_the_store(client, url, store_path):
    (store_path.parent / "secret.json").write_text('{"status": "SECRET"}')
    r = client.get(url)
    assert r.status_code == 404
    assert "SECRET" not in r.text and "root:" not in r.text and "create_app" not in r.text


def test_host_header_must_be_loopback(store_path):
    client = TestClient(create_app(store_path), base_url="http://attacker.example")
    assert client.get("/").status_code == 421
    ok = TestClient(create_app(store_path), base_url="http://localhost:8765")
    r = ok.get("/")
    assert r.status_code == 200
    assert "script-src" not in r.headers["content-security-policy"]  # no script may run at all
    assert "default-src 'none'" in r.headers["content-security-policy"]
    assert r.headers["x-content-type-options"] == "nosniff"


def test_hostile_text_stays_text_everywhere(tmp_path):
    """XSS in outputs, case ids, suite names, tag values, reasons, target specs: escaped on every page."""
    path = tmp_path / "x.db"
    store = Store(path)
    suite, case = f"suite{XSS}", f"case{XSS}"
    verdicts = {(suite, case): [False], (suite, "plain"): [True]}
    add_run(store, f"r{XSS}"[:1] + "-hostile", verdicts, target=f"replay:{XSS}",
            tags={(suite, case): {"area": XSS}, (suite, "plain"): {XSS: "v"}},
            outputs={(suite, case, 0): XSS, (suite, "plain", 0): f"ok {XSS}"})
    add_run(store, "r-other", {(suite, case): [True], (suite, "plain"): [False]}, outputs={(suite, case, 0): XSS})
    store.close()
    client = TestClient(create_app(path), base_url="http://127.0.0.1")
    from urllib.parse import urlencode
    pages = ["/", "/runs/r-hostile", "/runs/r-hostile?" + urlencode({"q": XSS, "slice": f"area={XSS}"}),
             "/runs/r-hostile/sample?" + urlencode({"suite": suite, "case": case, "i": 0}),
             "/compare?base=r-hostile&cand=r-other", "/runs/" + XSS.replace("/", "%2F"),
             "/compare?" + urlencode({"base": XSS, "cand": XSS})]
    client.post("/runs/r-hostile/label", data={"suite": suite, "case": case, "i": "0", "grader": "judge",
                                               "label": "right", "note": XSS, "who": XSS})
    for url in pages:
        r = client.get(url)
        assert r.status_code in (200, 404), url
        html = r.text
        assert "<script>alert" not in html and "<img src=x" not in html, url
        assert "onerror=alert(1)>" not in html.replace("onerror=alert(1)&gt;", ""), url
    sample = client.get(pages[3]).text
    assert sample.count("&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;") >= 4  # suite, case, output, note...
    run = client.get(pages[2]).text
    assert "1 sample(s) match" in run  # the filter found it by its hostile text


def test_run_page_shows_mutation_robustness(tmp_path):
    path = tmp_path / "m.db"
    store = Store(path)
    verdicts = {("s", "q1"): [True], ("s", "q1~typos~0"): [False], ("s", "q1~casing~0"): [True],
                ("s", "q2"): [True], ("s", "q2~typos~0"): [True]}
    add_run(store, "r-mut", verdicts)
    store.close()
    page = TestClient(create_app(path), base_url="http://127.0.0.1").get("/runs/r-mut").text
    table = rows(page, "robustness")
    assert len(table) == 3 and ">all<" in table[0] and ">typos<" in "".join(table)
    assert "q1~typos~0" in page  # the flipped variant, linked to its samples


def test_warm_up_computes_the_newest_runs_figures(store_path):
    import time

    app = create_app(store_path, warm=True)
    viewer = app.state.viewer
    for _ in range(2400):  # the thread's work is counted, not timed: wait until it is there (120 s: a hang guard)
        if {("graders", "run-base"), ("graders", "run-cand")} <= {k[:2] for k in list(viewer._cache)}:
            break
        time.sleep(0.05)
    kinds = {k[:2] for k in list(viewer._cache)}
    assert {("overview", "run-cand"), ("summary", "run-cand"), ("graders", "run-base")} <= kinds
    page = TestClient(app, base_url="http://127.0.0.1").get("/runs/run-cand").text
    assert "0.725 [" in page  # served from the warmed figures


def test_assets_are_local_no_cdn(client):
    css = client.get("/static/view.css")
    assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")
    for url in ("/", "/runs/run-cand", "/runs/run-cand/sample?suite=math&case=m-1&i=0", "/compare?base=run-base&cand=run-cand",
                "/tunes"):
        page = client.get(url).text
        assert not re.search(r"""(src|href|action)=["']?(https?:)?//""", page), url
        assert "<script" not in page, url  # the viewer runs no script at all


def test_calibration_page(tmp_path):
    path = tmp_path / "c.db"
    store = Store(path)
    verdicts = {("s", f"c{i}"): [i % 3 != 0, i % 4 != 0] for i in range(60)}
    add_run(store, "r-cal", verdicts)
    # a signal that tracks the verdict, and one outside [0, 1]
    for case, idx, passed in store.db.execute("SELECT case_id, sample_index, passed FROM samples").fetchall():
        sig = json.dumps({"confidence": 0.8 if passed else 0.3, "avg_logprob": -1.5})
        store.db.execute("UPDATE samples SET signals=? WHERE case_id=? AND sample_index=?", (sig, case, idx))
    store.db.commit()
    store.close()
    client = TestClient(create_app(path), base_url="http://127.0.0.1")
    assert "/runs/r-cal/calibration" in client.get("/runs/r-cal").text
    page = client.get("/runs/r-cal/calibration").text
    assert 'id="calibration"' in page and page.count("<svg") == 2 and "<polyline" in page
    assert "<option value=\"avg_logprob\"" in page  # listed first, but not in [0, 1]: not the default
    auroc = rows(page, "calibration")[0]
    assert "1.000 [" in auroc  # the signal separates passes from fails perfectly
    bad = client.get("/runs/r-cal/calibration?signal=avg_logprob").text
    assert 'id="problem"' in bad and 'id="calibration"' not in bad
    none = client.get("/runs/r-cal/calibration?signal=nothing").text
    assert "no sample with a verdict records" in none
    assert client.get("/runs/nope/calibration").status_code == 404
