"""Accessibility: axe-core (the engine bundled in the axe-playwright-python wheel) audits every
page of the built book in light and in dark mode against the WCAG 2.1 A and AA rules, in the
system Chromium. A serious or critical violation fails; minor and moderate ones are listed."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from urllib.parse import urljoin

import pytest

from test_book import _pages, browser, served_book  # noqa: F401  (shared fixtures)

WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]

AUDIT = """async (tags) => {
  const result = await axe.run(document, {runOnly: {type: 'tag', values: tags}});
  return result.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.length, targets: v.nodes.slice(0, 3).map(n => n.target.join(' '))}));
}"""


# Resolves once MathJax 2 has typeset the page (at once on a page without MathJax).
MATHJAX_DONE = """() => new Promise(resolve => {
  if (!window.MathJax || !MathJax.Hub || !MathJax.Hub.Queue) { resolve(); return; }
  MathJax.Hub.Queue(resolve);
})"""


# Resolves once every finite CSS transition and animation has ended: a link whose colour is
# still fading in has not its final contrast yet (seen on the first page of a loaded machine).
SETTLED = """() => Promise.all(document.getAnimations()
  .filter(a => a.effect && a.effect.getComputedTiming().iterations !== Infinity)
  .map(a => a.finished.catch(() => null)))"""


def _axe_script() -> Path:
    spec = importlib.util.find_spec("axe_playwright_python")
    if spec is None or not spec.submodule_search_locations:
        pytest.fail("axe-playwright-python is not installed (it is in requirements.txt)")
    return Path(list(spec.submodule_search_locations)[0]) / "axe.min.js"


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_no_serious_or_critical_accessibility_violation(built_book, served_book, browser, scheme):
    script = _axe_script()
    context = browser.new_context(color_scheme=scheme)
    serious, other = [], set()
    for path in _pages(built_book):
        name = path.relative_to(built_book).as_posix()
        if 'http-equiv="refresh"' in path.read_text(encoding="utf-8").lower():
            continue  # the root index.html only redirects to the first page
        page = context.new_page()
        page.goto(urljoin(served_book, name), wait_until="networkidle")
        assert page.evaluate("document.documentElement.dataset.theme") == scheme, name
        page.evaluate(MATHJAX_DONE)
        page.wait_for_timeout(400)  # the theme marks scrollable code 300 ms after the last change
        page.evaluate(SETTLED)
        page.add_script_tag(path=str(script))
        for v in page.evaluate(AUDIT, WCAG_TAGS):
            if v["impact"] in ("serious", "critical"):
                serious.append(f"{name} [{scheme}] {v['impact']} {v['id']}: {v['help']} "
                               f"({v['nodes']} elements, e.g. {v['targets']})")
            else:
                other.add(f"{v['impact']} {v['id']}")
        page.close()
    context.close()
    if other:
        print("minor or moderate findings:", sorted(other))
    assert not serious, "\n".join(serious)


def test_the_build_mends_citation_lists_and_the_search_button():
    import sys

    from conftest import ROOT

    sys.path.insert(0, str(ROOT / "_ext"))
    from accessible_book import mend

    page = ('<div role="list" class="citation-list">\n<div class="citation" id="id14" '
            'role="doc-biblioentry">\n<button class="btn search-button-field search-button__button '
            'pst-js-only" title="Search" aria-label="Search" data-bs-placement="bottom">')
    mended = mend(page)
    assert 'role="listitem"' in mended and "doc-biblioentry" not in mended
    assert 'aria-label="Search"' not in mended and 'title="Search"' in mended
    assert mend(mended) == mended
