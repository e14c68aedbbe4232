"""The built book by keyboard alone: every slider of every static explorer, every quiz and
every latent plane is reached with Tab and operated with the arrow keys, Enter or Space, and
what it shows changes (the frame, the feedback, the decoded image).

"Reached with Tab": the control is focused, Shift+Tab leaves it and Tab comes back to it, so
it is in the page's tab order (an element with tabindex="-1", or a div without tabindex,
would be skipped by the second Tab).
"""

from __future__ import annotations

import json

from conftest import open_built_page
from test_book import _pages, browser, served_book  # noqa: F401  (shared fixtures)

ACTIVE = "(element) => document.activeElement === element"
STATE = """(root) => ({
  image: (root.querySelector('img.course-explorer-image') || {}).src || null,
  outputs: Array.from(root.querySelectorAll('output')).map(o => o.textContent),
  feedback: (root.querySelector('[data-role="feedback"]') || {}).className || null,
  text: (root.querySelector('[data-role="feedback"]') || {}).textContent || null,
  decoded: (root.querySelector('canvas[data-role="decoded"]') || {dataset: {}}).dataset.decoded || null,
})"""


def _tab_reaches(page, control) -> bool:
    """Focus ``control``, leave it with Shift+Tab, come back with Tab: is it focused again?"""
    control.focus()
    if not control.evaluate(ACTIVE):
        return False
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Tab")
    return control.evaluate(ACTIVE)


def _explorer(page, name, k, root) -> list[str]:
    problems = []
    for slider in root.locator('input[type="range"]').all():
        label = f"{name} explorer {k} slider {slider.get_attribute('data-param')}"
        if not _tab_reaches(page, slider):
            problems.append(f"{label}: not reached with Tab")
            continue
        key = "ArrowLeft" if slider.input_value() == slider.get_attribute("max") else "ArrowRight"
        before = root.evaluate(STATE)
        page.keyboard.press(key)
        after = root.evaluate(STATE)
        if after["image"] == before["image"] or after["outputs"] == before["outputs"]:
            problems.append(f"{label}: {key} changed neither the frame nor its label")
    return problems


def _quiz(page, name, k, root) -> list[str]:
    label = f"{name} quiz {k}"
    data = json.loads(root.locator('script[type="application/json"]').text_content())
    seen = []
    if data["kind"] == "choice":
        right = [j for j, (correct, _) in enumerate(data["feedback"]) if correct][0]
        wrong = [j for j, (correct, _) in enumerate(data["feedback"]) if not correct][0]
        for index, key in ((wrong, "Enter"), (right, "Space")):
            button = root.locator('[data-role="choice"]').nth(index)
            if not _tab_reaches(page, button):
                return [f"{label}: choice {index} not reached with Tab"]
            page.keyboard.press(key)
            seen.append(root.evaluate(STATE))
    else:
        box, check = root.locator('[data-role="answer"]'), root.locator('[data-role="choice"]')
        if not _tab_reaches(page, box):
            return [f"{label}: the answer box is not reached with Tab"]
        page.keyboard.type(str(data["answer"] + 10 * data["tolerance"] + 1))
        page.keyboard.press("Enter")  # a wrong answer, sent with Enter
        seen.append(root.evaluate(STATE))
        page.keyboard.press("Control+A")
        page.keyboard.type(repr(data["answer"]))
        page.keyboard.press("Tab")  # to the Check button, pressed with Space
        if not check.evaluate(ACTIVE):
            return [f"{label}: Tab from the answer box does not reach Check"]
        page.keyboard.press("Space")
        seen.append(root.evaluate(STATE))
    expected = ["is-wrong", "is-right"]
    if [e in (s["feedback"] or "") for e, s in zip(expected, seen)] != [True, True] or seen[0]["text"] == seen[1]["text"]:
        return [f"{label}: by keyboard a wrong then a right answer gave {seen}"]
    return []


def _latent(page, name, k, root) -> list[str]:
    label = f"{name} latent plane {k}"
    problems = []
    plane = root.locator('[data-role="plane"]')
    if not _tab_reaches(page, plane):
        problems.append(f"{label}: the plane is not reached with Tab")
    else:
        for key in ("ArrowRight", "Shift+ArrowUp", "ArrowLeft", "ArrowDown"):
            before = root.evaluate(STATE)["decoded"]
            page.keyboard.press(key)
            if root.evaluate(STATE)["decoded"] == before:
                problems.append(f"{label}: {key} did not change the decoded image")
    path = root.locator('input[data-role="path"]')
    if path.count():
        if not _tab_reaches(page, path):
            problems.append(f"{label}: the path slider is not reached with Tab")
        else:
            before = root.evaluate(STATE)["decoded"]
            page.keyboard.press("ArrowRight")
            if root.evaluate(STATE)["decoded"] == before:
                problems.append(f"{label}: ArrowRight on the path did not change the decoded image")
    return problems


def test_every_control_works_by_keyboard_alone(built_book, served_book, browser):
    found, problems = {"explorer": 0, "quiz": 0, "latent": 0}, []
    kinds = (("explorer", "div.course-explorer", _explorer), ("quiz", "div.course-quiz", _quiz),
             ("latent", "div.course-latent-explorer", _latent))
    for path in _pages(built_book):
        text = path.read_text(encoding="utf-8")
        if not any(selector.split(".", 1)[1] in text for _, selector, _ in kinds):
            continue
        name = path.relative_to(built_book).as_posix()
        page, errors = open_built_page(browser, served_book, name)
        for kind, selector, operate in kinds:
            for k, root in enumerate(page.locator(selector).all()):
                found[kind] += 1
                root.scroll_into_view_if_needed()
                problems += operate(page, name, k, root)
        problems += [f"{name}: {e}" for e in errors]
        page.close()
    print(f"operated by keyboard: {found}")
    assert found["explorer"] >= 5 and found["quiz"] >= 10 and found["latent"] >= 2, found
    assert not problems, "\n".join(problems)
