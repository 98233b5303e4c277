"""The viewer in a real browser: Playwright driving Debian's Chromium against a uvicorn server.

Skipped when Playwright or chromium is missing (`make test` installs chromium through
scripts/ensure-chromium.sh; the `dev` extra brings Playwright, which never downloads a browser here).
Set GRADELOOP_UPDATE_SCREENSHOT=1 to refresh docs/viewer.png, the README's picture.
"""
from __future__ import annotations

import os
import shutil
import struct
from pathlib import Path

import pytest

from gradeloop.run.store import Store
from gradeloop.view import create_app
from gradeloop.view.serve import background_server
from tests.view.storebuild import XSS, add_run, two_runs

sync_api = pytest.importorskip("playwright.sync_api")
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="chromium missing (scripts/ensure-chromium.sh installs it)")
DOCS = Path(__file__).resolve().parents[2] / "docs"
# Playwright's and the server's own limits (30 s, 20 s) are waits a loaded 2-core machine can need
# whole: these are hang guards only (each wait ends as soon as its page, element or server is there).
HANG_GUARD_S = 180


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    path = tmp_path_factory.mktemp("view") / "store.db"
    two_runs(path)
    store = Store(path)
    add_run(store, "run-hostile", {(f"s{XSS}", f"c{XSS}"): [False], (f"s{XSS}", "ok"): [True]},
            outputs={(f"s{XSS}", f"c{XSS}", 0): XSS}, target=f"replay:{XSS}")
    store.close()
    with background_server(create_app(path), timeout_s=HANG_GUARD_S) as url:
        yield url, path


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
                              timeout=HANG_GUARD_S * 1000)
        yield b
        b.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(HANG_GUARD_S * 1000)  # navigations, clicks and waits alike
    pg = context.new_page()
    dialogs: list[str] = []
    pg.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    pg.dialogs = dialogs
    yield pg
    context.close()


def assert_layout(page) -> None:
    """The screenshot compared structurally (what docs/viewer.png shows, not its pixels): the section
    headings in order down the page, every table and plot laid out inside the viewport's width and
    below its heading, the filters above the samples they filter."""
    boxes = page.evaluate("""() => [...document.querySelectorAll('h2, table, svg.plot, #filters, #samples')]
        .map(e => ({tag: e.tagName.toLowerCase(), id: e.id, text: e.tagName === 'H2' ? e.innerText : '',
                    ...(({x, y, width, height}) => ({x, y, width, height}))(e.getBoundingClientRect())}))""")
    headings = [b for b in boxes if b["tag"] == "h2"]
    names = [h["text"].strip() for h in headings]
    assert [n for n in names if n in ("Suites", "Slices", "Graders", "Samples")] == ["Suites", "Slices", "Graders",
                                                                                       "Samples"]
    assert all(a["y"] < b["y"] for a, b in zip(headings, headings[1:]))  # stacked, not overlapping
    first = headings[0]["y"]
    for b in boxes:
        assert b["width"] > 0 and b["height"] > 0, b  # rendered, not collapsed
        assert b["x"] >= 0 and b["x"] + b["width"] <= 1280 + 1, b  # nothing runs off the side
        if b["tag"] != "h2":
            assert b["y"] > first, b  # content below the first heading
    filters = next(b for b in boxes if b["id"] == "filters")
    samples = next(b for b in boxes if b["id"] == "samples")
    assert filters["y"] <= samples["y"] + samples["height"]


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


def test_navigate_filter_page_label_and_compare(site, page, tmp_path):
    url, _ = site
    page.goto(url + "/")
    assert page.locator("#runs tbody tr").count() == 3
    page.get_by_role("link", name="run-cand").click()
    page.wait_for_selector("#samples")
    assert page.locator("#slices tbody tr").count() == 3 and page.locator("svg.plot").count() == 2
    assert "40 sample(s) match" in page.inner_text("#match-count")
    shot = page.screenshot(full_page=False)
    assert png_size(shot) == (1280, 900) and len(set(shot[100:5000])) > 20  # a picture, not a blank frame
    assert_layout(page)
    if os.environ.get("GRADELOOP_UPDATE_SCREENSHOT") == "1":
        DOCS.mkdir(exist_ok=True)
        (DOCS / "viewer.png").write_bytes(shot)
    # a server-side filter, then the next page of its results
    page.select_option("select[name=verdict]", "fail")
    page.fill("input[name=q]", "m-1")
    page.click("#filters button[type=submit]")
    page.wait_for_url("**verdict=fail**")
    assert "10 sample(s) match" in page.inner_text("#match-count")  # failing samples of m-1, m-1x
    page.goto(url + "/runs/run-cand?per_page=10")
    page.click("a[rel=next]")
    page.wait_for_url("**page_no=2**")
    assert "page 2 of 4" in page.inner_text("#match-count")
    # label a grade from the sample page
    page.locator("#samples tbody tr a").first.click()
    page.wait_for_selector("#grades")
    form = page.locator("#grades form").nth(1)  # the judge's grade
    form.locator("input[value=wrong]").check()
    form.locator("input[name=note]").fill("reviewed in the browser")
    form.locator("input[name=who]").fill("tester")
    form.locator("button").click()
    page.wait_for_selector("#saved")
    assert "reviewed in the browser" in page.inner_text("#labels") and "tester" in page.inner_text("#labels")
    # compare the two runs from the picker
    page.goto(url + "/compare")
    page.select_option("select[name=base]", "run-base")
    page.select_option("select[name=cand]", "run-cand")
    page.click("form.filters button")
    page.wait_for_selector("#verdict")
    assert page.inner_text("#verdict") == "FAIL"
    assert page.locator("#flips-worse tbody tr").count() == 4 and page.locator("#flips-better tbody tr").count() == 2
    assert page.dialogs == []


def test_hostile_text_stays_inert_in_the_browser(site, page):
    url, _ = site
    for path in ("/", "/runs/run-hostile", "/compare?base=run-hostile&cand=run-base"):
        page.goto(url + path)
    page.goto(url + "/runs/run-hostile")
    page.locator("#samples tbody tr a").first.click()
    page.wait_for_selector("#output")
    assert XSS in page.inner_text("#output")  # shown as text
    assert page.locator("main img").count() == 0 and page.locator("main script").count() == 0
    assert page.dialogs == [] and "gradeloop" in page.title()
