"""The latent plane that decodes in the page: its Python side, then the page itself in a
headless Chromium (the system one), standalone and in the built book, against torch."""

from __future__ import annotations

import json
import re
import statistics

import numpy as np
import pytest
import torch

from conftest import CHROMIUM_FLAGS, open_built_page
from latent_page import moves, torch_decode_from_payload
from course_lib import latent_explorer as le, nn
from test_book import served_book  # noqa: F401  (the fixture serving _build/html)


def _explorer(activation="tanh", **options):
    autoencoder = nn.Autoencoder(n_features=64, latent_dim=2, hidden=(16,), activation=activation, seed=3)
    codes = np.random.default_rng(0).normal(size=(50, 2))
    return le.latent_explorer(autoencoder.decoder, codes, np.arange(50) % 10, **options)


@pytest.mark.parametrize("activation", ["tanh", "relu", "sigmoid", "softplus"])
def test_the_embedded_weights_are_the_decoder(activation):
    explorer = _explorer(activation)
    z = np.random.default_rng(1).normal(size=(7, 2))
    np.testing.assert_array_equal(torch_decode_from_payload(explorer.payload, z), explorer.decode(z))
    assert [layer["activation"] for layer in explorer.payload["layers"]] == [activation, "identity"]


def test_the_markup_and_a_small_payload():
    explorer = _explorer(path=(0, 1))
    page = explorer.to_html()
    assert page.startswith('<div class="course-latent-explorer"')
    for role in ('data-role="plane" tabindex="0"', 'data-role="decoded"', 'data-role="z"', 'data-role="path"'):
        assert role in page
    assert "aria-label=" in page and "http" not in page.replace('xmlns="http', "")
    weights = sum(len(layer["weight"]) + len(layer["bias"]) for layer in explorer.payload["layers"])
    assert weights < 10_000  # a few kB of base64 for this decoder
    box = json.loads(re.search(r'<script type="application/json">(.*?)</script>', page).group(1))["axes_box"]
    assert 0 < box[0] < box[2] < 1 and 0 < box[1] < box[3] < 1


def test_the_live_view_decodes_with_torch():
    explorer = _explorer(prior=True, path=(0, 1))
    box = explorer.widget()
    decoded = box.children[1].children[0]
    z1, z2, t = box.children[1].children[1:]
    before = decoded.value
    z1.value = float(explorer.z_range[0][1])
    assert decoded.value != before and decoded.value == explorer.decoded_png([z1.value, z2.value])
    t.value = 1.0  # the end of the path: the second image's code
    np.testing.assert_allclose([z1.value, z2.value], explorer.path[1], atol=0.02 * np.ptp(explorer.z_range))
    assert set(explorer._repr_mimebundle_()) >= {"text/html", "image/png", "application/vnd.jupyter.widget-view+json"}


@pytest.mark.parametrize("make, match", [
    (lambda: le.latent_explorer(nn.MLP([3, 8, 64]), np.zeros((4, 2)), np.zeros(4)), "needs m = 2"),
    (lambda: le.latent_explorer(nn.MLP([2, 8, 10]), np.zeros((4, 2)), np.zeros(4)), "not an image of shape"),
    (lambda: le.latent_explorer(torch.nn.Linear(2, 64), np.zeros((4, 2)), np.zeros(4)), "must be a course_lib.nn.MLP"),
    (lambda: le.latent_explorer(nn.MLP([2, 64]), np.zeros((4, 3)), np.zeros(4)), r"codes must be a finite \(N, 2\)"),
    (lambda: le.latent_explorer(nn.MLP([2, 64]), np.zeros((4, 2)), np.zeros(3)), r"labels must have shape \(4,\)"),
    (lambda: le.latent_explorer(nn.MLP([2, 64]), np.zeros((4, 2)), np.zeros(4), path=(0, 9)), "path must be two"),
])
def test_bad_input_is_explained(make, match):
    with pytest.raises(ValueError, match=match):
        make()


# --- in a browser -----------------------------------------------------------------------
@pytest.fixture(scope="module")
def browser(chromium):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, headless=True, args=CHROMIUM_FLAGS[1:])
        yield browser
        browser.close()


def test_the_page_decodes_like_torch_standalone(browser):
    explorer = _explorer(prior=True, path=(0, 1))
    page = browser.new_page()
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.set_content(f"<html><body>{explorer.to_html()}</body></html>")
    root = page.locator("div.course-latent-explorer")
    seen, worst, in_page, _ = moves(page, root)
    np.testing.assert_array_equal(  # the page holds this decoder's weights
        torch_decode_from_payload(explorer.payload, [[0.3, -0.2]]), explorer.decode([[0.3, -0.2]]))
    assert not errors
    assert len(seen) >= 20 and len(set(seen)) >= 20  # every move changed the image
    assert worst < 1e-4, f"largest difference from torch {worst:.2e}"
    assert max(in_page) < 50, f"a move took {max(in_page):.1f} ms in the page"
    page.close()


def test_the_book_pages_decode_like_torch(built_book, served_book, browser):
    """Every latent explorer of the built book: >= 20 moves, d(z) equal to torch's, < 50 ms."""
    found, report = 0, []
    for path in sorted(built_book.rglob("*.html")):
        if "course-latent-explorer" not in path.read_text(encoding="utf-8"):
            continue
        name = path.relative_to(built_book).as_posix()
        page, errors = open_built_page(browser, served_book, name)
        for root in page.locator("div.course-latent-explorer").all():
            found += 1
            root.scroll_into_view_if_needed()
            seen, worst, in_page, round_trip = moves(page, root)
            report.append(f"{name}: {len(seen)} moves, largest difference {worst:.1e}, "
                          f"{statistics.median(in_page):.2f} ms per move in the page (max {max(in_page):.2f}), "
                          f"{1000 * statistics.median(round_trip):.0f} ms per click from Playwright")
            assert len(set(seen)) >= 20, f"{name}: the image did not change at every move"
            assert worst < 1e-4, f"{name}: largest difference from torch {worst:.2e}"
            assert max(in_page) < 50, f"{name}: a move took {max(in_page):.1f} ms"
        assert not errors, errors
        page.close()
    print("\n".join(report))
    assert found >= 2, "expected the latent explorers of 03_1 and 03_2"
