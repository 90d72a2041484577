"""Headless-browser checks of the built website (the top of the test pyramid).

Each page of the toc is opened in headless Chromium, as a reader would see it:
MathJax must typeset the maths, every image (the figures the notebooks drew)
must load, saved widgets must render their controls, and no script may throw.

The site loads MathJax, RequireJS and the widget manager from CDNs; this
machine (and CI) is offline, so those requests are answered from the npm
packages that ``make browser-deps`` installs into ``.venv/site-assets``.
Subresource-integrity attributes are dropped from the served HTML because the
npm files are byte-different builds of the same libraries.

Skipped (with the reason) when Chromium, Playwright or the assets are missing,
unless ``MBRL_LESSONS_REQUIRE_BROWSER=1`` (set by ``.ci/run``), which turns a
skip into a failure.
"""

from __future__ import annotations

import functools
import http.server
import os
import re
import shutil
import socketserver
import sys
import threading
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from test_notebooks import ROOT, _toc_files  # noqa: E402

HTML = Path(os.environ.get("MBRL_LESSONS_SITE", ROOT / "_build" / "html"))
ASSETS = ROOT / ".venv" / "site-assets" / "node_modules"
SHOTS = HTML.parent / "screenshots"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CDN = {
    "https://cdn.jsdelivr.net/npm/mathjax@3/": ASSETS / "mathjax",
    "https://cdnjs.cloudflare.com/ajax/libs/require.js/2.3.4/require.min.js":
        ASSETS / "requirejs" / "require.js",
    "https://cdn.jsdelivr.net/npm/@jupyter-widgets/html-manager@1.0.6/dist/":
        ASSETS / "@jupyter-widgets" / "html-manager" / "dist",
}
# Known, harmless errors of third-party scripts (the page still renders):
# - the theme's launch-button script declares THEBE_JS_URL twice;
# - the widget manager (html-manager 1.0.6) calls MathJax 2's ``MathJax.Hub.Queue``
#   to typeset widget labels, which MathJax 3 does not have; widgets still
#   render (checked below), only maths inside widget labels stays untypeset.
KNOWN_PAGE_ERRORS = [
    re.compile(r"Identifier 'THEBE_JS_URL' has already been declared"),
    re.compile(r"Cannot read properties of undefined \(reading 'Queue'\)"),
]


def _missing() -> str | None:
    if not HTML.exists():
        return "the site is not built (make test-book builds it)"
    if CHROMIUM is None:
        return "no chromium on PATH (make browser-deps installs it as root)"
    try:
        import playwright  # noqa: F401
    except ImportError:
        return "playwright is not installed"
    if not (ASSETS / "mathjax").exists():
        return "MathJax assets missing (make browser-deps installs them with npm)"
    return None


_reason = _missing()
if _reason and os.environ.get("MBRL_LESSONS_REQUIRE_BROWSER"):
    raise RuntimeError(f"browser tests required but cannot run: {_reason}")
pytestmark = pytest.mark.skipif(_reason is not None, reason=_reason or "")


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):  # keep test output readable
        pass


@pytest.fixture(scope="module")
def site():
    handler = functools.partial(_QuietHandler, directory=str(HTML))
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"],
        )
        yield b
        b.close()


def _router(base: str, blocked: list[str]):
    def route(r):
        url = r.request.url
        if url.startswith(base):
            path = HTML / url[len(base) + 1:].split("#")[0].split("?")[0]
            if path.suffix == ".html" and path.is_file():
                body = re.sub(r'\sintegrity="[^"]*"', "", path.read_text("utf-8"))
                return r.fulfill(body=body, content_type="text/html")
            return r.continue_()
        for prefix, local in CDN.items():
            if url.startswith(prefix):
                rest = url[len(prefix):].split("?")[0]
                path = local / rest if rest else local
                if path.is_file():
                    ctype = "application/javascript" if path.suffix == ".js" else None
                    if ctype:
                        return r.fulfill(path=str(path), content_type=ctype)
                    return r.fulfill(path=str(path))
        blocked.append(url)  # everything else (fonts, analytics, ...) stays offline
        return r.abort()

    return route


@pytest.mark.parametrize("doc", _toc_files())
def test_page_renders_in_a_browser(doc, site, browser):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    errors: list[str] = []
    blocked: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.route("**/*", _router(site, blocked))
    page.goto(f"{site}/{doc}.html")
    page.wait_for_load_state("networkidle")
    raw = (HTML / f"{doc}.html").read_text("utf-8")

    if 'class="math' in raw:
        page.wait_for_selector("mjx-container", timeout=15_000)
        assert page.locator("mjx-container").count() > 0, f"{doc}: maths not typeset"
        assert page.locator("mjx-merror").count() == 0, f"{doc}: a TeX error"

    broken = page.evaluate(
        "Array.from(document.images).filter(i => !(i.complete && i.naturalWidth > 0))"
        ".map(i => i.src)")
    assert not broken, f"{doc}: images that did not load: {broken}"

    # no widget without a kernel behind it: the controls' static note instead
    assert page.locator(".jupyter-widgets").count() == 0, f"{doc}: a dead widget"
    if 'class="mbrl-static-controls"' in raw:
        assert page.locator(".mbrl-static-controls:visible").count() > 0

    real_errors = [e for e in errors
                   if not any(p.search(e) for p in KNOWN_PAGE_ERRORS)]
    assert not real_errors, f"{doc}: script errors: {real_errors}"

    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{doc.replace('/', '_')}.png"))
    page.close()


@pytest.mark.parametrize("doc", _toc_files())
def test_page_fits_a_phone(doc, site, browser):
    """At 390 px nothing pushes the page sideways: tables and wide maths
    scroll inside the text column, figures shrink to it."""
    page = browser.new_page(viewport={"width": 390, "height": 844})
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.route("**/*", _router(site, []))
    page.goto(f"{site}/{doc}.html")
    page.wait_for_load_state("networkidle")
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 1, f"{doc}: the page is {overflow} px wider than a 390 px screen"
    real_errors = [e for e in errors if not any(p.search(e) for p in KNOWN_PAGE_ERRORS)]
    assert not real_errors, f"{doc}: script errors at 390 px: {real_errors}"
    page.close()


@pytest.mark.parametrize("doc", _toc_files())
def test_figures_at_natural_size(doc, site, browser):
    """At 1280 px no figure is scaled below the width it was drawn at (the
    house width, ``mbrl_lessons.viz.style``, fits the column), and every image
    has alt text."""
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.route("**/*", _router(site, []))
    page.goto(f"{site}/{doc}.html")
    page.wait_for_load_state("networkidle")
    images = page.evaluate("""() => Array.from(
        document.querySelectorAll('article.bd-article img')).map(i => ({
            src: i.src.split('/').pop(), natural: i.naturalWidth,
            shown: i.getBoundingClientRect().width, alt: i.alt}))""")
    shrunk = [f"{i['src']}: {i['shown']:.0f} of {i['natural']} px" for i in images
              if i["shown"] > 0 and i["shown"] < i["natural"] - 1]
    assert not shrunk, f"{doc}: figures scaled below their natural width: {shrunk}"
    no_alt = [i["src"] for i in images if not i["alt"].strip()
              or re.search(r"_images/|\.(png|jpe?g|svg|gif)$", i["alt"])]
    assert not no_alt, f"{doc}: images without alt text: {no_alt}"
    page.close()


@pytest.mark.parametrize("doc", _toc_files())
def test_tables_fit_the_column(doc, site, browser):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.route("**/*", _router(site, []))
    page.goto(f"{site}/{doc}.html")
    page.wait_for_load_state("networkidle")
    too_wide = page.evaluate("""() => {
        const col = document.querySelector('article.bd-article');
        if (!col) return [];
        const right = col.getBoundingClientRect().right + 1;
        return Array.from(col.querySelectorAll('table'))
            .filter(t => t.getBoundingClientRect().right > right)
            .map(t => t.innerText.slice(0, 60));
    }""")
    assert not too_wide, f"{doc}: tables wider than the text column: {too_wide}"
    page.close()


def _sidebar_x(page, which: str) -> float:
    return page.evaluate(
        f"document.querySelector('.bd-sidebar-{which}').getBoundingClientRect().x")


@pytest.mark.parametrize("width", [390, 1280])
def test_navigation_toggles_work(width, site, browser):
    """The chapter (primary) and on-page (secondary) navigation buttons the
    reader sees must move their sidebars at phone and desktop widths."""
    doc = next(d for d in _toc_files() if d.startswith("book/ch02"))
    page = browser.new_page(viewport={"width": width, "height": 844})
    page.route("**/*", _router(site, []))
    page.goto(f"{site}/{doc}.html")
    page.wait_for_load_state("networkidle")
    for which in ("primary", "secondary"):
        toggle = page.locator(f".{which}-toggle:visible")
        if width > 1200 and which == "secondary":
            continue  # the on-page contents sit beside the text, no toggle needed
        assert toggle.count() >= 1, f"no visible {which} toggle at {width} px"
        before = _sidebar_x(page, which)
        toggle.first.click()
        page.wait_for_timeout(600)
        after = _sidebar_x(page, which)
        assert abs(after - before) > 50, \
            f"the {which} toggle did nothing at {width} px (x {before} -> {after})"
        page.keyboard.press("Escape")
        page.reload()
        page.wait_for_load_state("networkidle")
    page.close()
