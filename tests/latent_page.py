"""Helpers that move the latent plane of a page (course_lib.latent_explorer) with Playwright.

Shared by tests/test_latent_explorer.py, tests/test_keyboard.py and the benchmark
(benchmarks/explorer_costs.py), which times the decoder's response in the built book.
"""

from __future__ import annotations

import base64
import json
import time

import numpy as np
import torch

TORCH_PHI = {"tanh": torch.tanh, "sigmoid": torch.sigmoid, "relu": torch.relu,
             "softplus": torch.nn.functional.softplus, "identity": lambda a: a}

# The current z and d(z), as the page's canvas states them.
READ = """(root) => { const c = root.querySelector('canvas[data-role="decoded"]');
  return {z: c.dataset.z, decoded: c.dataset.decoded}; }"""

# One move by a pointer event at (x, y), timed inside the page from the event to the new image.
TIMED_MOVE = """([root, x, y]) => { const plane = root.querySelector('[data-role="plane"]');
  const start = performance.now();
  plane.dispatchEvent(new PointerEvent('pointerdown', {clientX: x, clientY: y, bubbles: true}));
  plane.dispatchEvent(new PointerEvent('pointerup', {clientX: x, clientY: y, bubbles: true}));
  return performance.now() - start; }"""

# One move by an arrow key, timed the same way.
TIMED_KEY = """([root, key, shift]) => { const plane = root.querySelector('[data-role="plane"]');
  const start = performance.now();
  plane.dispatchEvent(new KeyboardEvent('keydown', {key: key, shiftKey: shift, bubbles: true, cancelable: true}));
  return performance.now() - start; }"""


def payload(root) -> dict:
    """The JSON the page holds: the decoder's layers, z range, axes box, path."""
    return json.loads(root.locator('script[type="application/json"]').text_content())


def torch_decode_from_payload(data: dict, z) -> np.ndarray:
    """d(z) in float32 by torch from the weights as the page holds them (base64 float32)."""
    h = torch.as_tensor(np.asarray(z, dtype=np.float64).reshape(-1, 2), dtype=torch.float32)
    for layer in data["layers"]:
        w = torch.from_numpy(np.frombuffer(base64.b64decode(layer["weight"]), "<f4").copy())
        b = torch.from_numpy(np.frombuffer(base64.b64decode(layer["bias"]), "<f4").copy())
        h = TORCH_PHI[layer["activation"]](torch.nn.functional.linear(h, w.reshape(layer["n_out"], layer["n_in"]), b))
    return h.numpy()


def plane_targets(root, n: int, seed: int = 0) -> list[tuple[float, float]]:
    """``n`` random points inside the plane's axes, in the page's coordinates."""
    box = root.locator('[data-role="plane"]').bounding_box()
    axes = payload(root)["axes_box"]
    rng = np.random.default_rng(seed)
    return [(box["x"] + box["width"] * rng.uniform(axes[0], axes[2]),
             box["y"] + box["height"] * (1 - rng.uniform(axes[1], axes[3]))) for _ in range(n)]


def timed_moves(root, n_clicks: int = 20, n_keys: int = 20) -> list[float]:
    """Milliseconds, measured in the page, of ``n_clicks`` clicks then ``n_keys`` arrow keys."""
    times = [root.evaluate(f"(root) => ({TIMED_MOVE})([root, {x}, {y}])") for x, y in plane_targets(root, n_clicks)]
    keys = ["ArrowRight", "ArrowUp", "ArrowLeft", "ArrowDown"]
    for k in range(n_keys):
        times.append(root.evaluate(f"(root) => ({TIMED_KEY})([root, '{keys[k % 4]}', {str(k % 3 == 0).lower()}])"))
    return times


def moves(page, root):
    """Move the point to 30 places (clicks, a drag, keys, the path); compare each d(z) with torch
    run on the weights the page holds. Returns (images seen, largest difference from torch,
    in-page ms of 10 pointer moves, seconds per click seen from Playwright)."""
    data = payload(root)
    seen, worst, in_page, round_trip = [], 0.0, [], []
    targets = plane_targets(root, 20)

    def check():
        nonlocal worst
        state = root.evaluate(READ)
        z = [float(v) for v in state["z"].split(",")]
        decoded = np.array([float(v) for v in state["decoded"].split(",")])
        worst = max(worst, float(np.abs(decoded - torch_decode_from_payload(data, z)[0]).max()))
        seen.append(state["decoded"])

    for x, y in targets:
        start = time.perf_counter()
        page.mouse.click(x, y)
        round_trip.append(time.perf_counter() - start)
        check()
    page.mouse.move(*targets[0])
    page.mouse.down()
    page.mouse.move(*targets[1], steps=3)
    page.mouse.up()
    check()
    for key in ("ArrowRight", "ArrowUp", "Shift+ArrowLeft", "ArrowDown"):
        page.keyboard.press(key)  # the plane has the focus since the clicks
        check()
    path = root.locator('input[data-role="path"]')
    if path.count():
        for value in ("25", "50", "75", "100"):
            path.fill(value)
            check()
    for x, y in targets[:10]:
        in_page.append(root.evaluate(f"(root) => ({TIMED_MOVE})([root, {x}, {y}])"))
        check()
    return seen, worst, in_page, round_trip
