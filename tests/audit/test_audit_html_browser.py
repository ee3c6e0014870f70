"""The HTML report in a real browser: Debian's headless Chromium, driven by Selenium.

The report is opened from ``file://`` as a person would open it: the index renders, its
links open the file pages, the marked lines are where the JSON says, sorting works, and
no script error (or blocked script) is logged. ``.ci/run`` installs ``chromium`` and
``chromium-driver``; under CI a missing browser fails the run instead of skipping.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from tests.audit.conftest import FIXTURE_APP, write_tree
from tests.audit.html_helpers import render, verdict_of
from tests.audit.test_audit_html import HOSTILE_NAME, HOSTILE_SOURCE

FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1280,1600",
)
TRANSPARENT = "rgba(0, 0, 0, 0)"


def _binaries() -> tuple[str, str]:
    """Find Debian's chromium and chromedriver, or fail (CI) / skip (elsewhere) saying why."""
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver")
    if chromium and driver:
        return chromium, driver
    why = "chromium and chromium-driver are not installed"
    how = "apt-get install -y chromium chromium-driver (.ci/run does)"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"the browser tests must run in CI, but {why}: {how}", pytrace=False)
    pytest.skip(f"{why}: {how}")


@pytest.fixture(scope="module")
def browser():
    """One headless Chromium for the module, with a fresh profile and console logging."""
    chromium, driver = _binaries()
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    profile = tempfile.mkdtemp(prefix="autocapture-chromium-")
    for flag in (*FLAGS, f"--user-data-dir={profile}"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    session = webdriver.Chrome(service=Service(driver), options=options)
    session.set_page_load_timeout(60)
    try:
        yield session
    finally:
        session.quit()
        shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture(scope="module")
def fixture_report(tmp_path_factory):
    """The fixture app rendered once: (output folder, its JSON document)."""
    out = tmp_path_factory.mktemp("browser") / "report"
    return out, render(FIXTURE_APP, out)


def open_page(browser, page: Path) -> None:
    """Open a page from file:// and drop the console messages of earlier pages."""
    browser.get_log("browser")
    browser.get(page.as_uri())


def console_problems(browser) -> list[str]:
    """Console messages at warning level or worse since the last call."""
    return [e["message"] for e in browser.get_log("browser") if e["level"] != "INFO"]


def test_index_renders_its_layer_bars(browser, fixture_report):
    """The index shows each layer's bar, segments as wide as their share of handlers."""
    out, doc = fixture_report
    open_page(browser, out / "index.html")
    assert browser.title == f"autocapture audit: {doc['root']}"
    routes = browser.find_element(By.CSS_SELECTOR, 'tr[data-layer="routes"] .bar')
    segments = routes.find_elements(By.CSS_SELECTOR, "span[data-verdict]")
    counts = {
        s.get_attribute("data-verdict"): int(s.get_attribute("data-count")) for s in segments
    }
    total = sum(counts.values())
    for segment in segments:
        share = int(segment.get_attribute("data-count")) / total
        assert abs(segment.size["width"] - share * routes.size["width"]) <= 2
        assert segment.value_of_css_property("background-color") != TRANSPARENT
    assert counts["exception"] == doc["layers"]["routes"]["reached"]
    assert console_problems(browser) == []


def test_a_file_page_opens_from_the_index_with_lines_marked_as_the_json_says(
    browser, fixture_report
):
    """Clicking a file opens its page; each handler's line is marked with its verdict."""
    out, doc = fixture_report
    open_page(browser, out / "index.html")
    browser.find_element(By.LINK_TEXT, "routes/chat.py").click()
    WebDriverWait(browser, 30).until(lambda b: b.title.startswith("routes/chat.py"))
    handlers = [h for h in doc["handlers"] if h["path"] == "routes/chat.py"]
    assert handlers
    marked = {
        int(e.get_attribute("id")[1:]): e.get_attribute("data-verdict")
        for e in browser.find_elements(By.CSS_SELECTOR, ".src .ln.head")
    }
    assert marked == {h["line"]: verdict_of(h) for h in handlers}
    for handler in handlers:
        line = browser.find_element(By.ID, f"L{handler['line']}")
        assert line.is_displayed()
        assert "except" in line.text
        assert line.value_of_css_property("background-color") != TRANSPARENT
    assert console_problems(browser) == []
    browser.find_element(By.LINK_TEXT, "\u2190 index").click()
    WebDriverWait(browser, 30).until(lambda b: b.title.startswith("autocapture audit:"))


def test_the_files_table_sorts_and_filters(browser, fixture_report):
    """Clicking a column sorts the files table up then down; the filter hides rows."""
    out, _ = fixture_report
    open_page(browser, out / "index.html")
    table = browser.find_element(By.ID, "files")
    headers = table.find_elements(By.CSS_SELECTOR, "thead th")
    gaps = next(i for i, h in enumerate(headers) if h.text == "gaps")

    def column() -> list[int]:
        return [int(r.find_elements(By.TAG_NAME, "td")[gaps].text) for r in rows()]

    def rows():
        return [r for r in table.find_elements(By.CSS_SELECTOR, "tbody tr") if r.is_displayed()]

    headers[gaps].click()
    assert column() == sorted(column())
    assert headers[gaps].get_attribute("aria-sort") == "ascending"
    headers[gaps].click()
    assert column() == sorted(column(), reverse=True)
    browser.find_element(By.ID, "filter").send_keys("routes/")
    assert sorted(r.find_element(By.TAG_NAME, "a").text for r in rows()) == [
        "routes/chat.py",
        "routes/health.py",
    ]
    assert console_problems(browser) == []


def test_hostile_names_and_code_run_nothing(browser, tmp_path):
    """A file named and filled with markup opens from its link; nothing of it runs."""
    root = write_tree(tmp_path / "app", {HOSTILE_NAME: HOSTILE_SOURCE})
    out = tmp_path / "out"
    render(root, out)
    open_page(browser, out / "index.html")
    title = browser.title
    browser.find_element(By.PARTIAL_LINK_TEXT, "we ird #1?q=%41&").click()
    WebDriverWait(browser, 30).until(lambda b: b.title.startswith(HOSTILE_NAME))
    assert "</script><script>alert(1)</script>" in browser.find_element(By.ID, "L1").text
    assert browser.find_elements(By.TAG_NAME, "img") == []
    # A script that escaped escaping would be blocked by the page's policy, and logged.
    assert console_problems(browser) == []
    assert title.startswith("autocapture audit:")
    assert "pwned" not in browser.title
