"""Quizzes (course_lib.quiz): input checks, feedback, the live widget, and in the built book a
browser answers every quiz wrong, then right, with no kernel."""

from __future__ import annotations

import json
import re
from urllib.parse import urljoin

import pytest

from course_lib.quiz import Choice, Quiz
from test_book import _pages, browser, served_book  # noqa: F401  (shared fixtures)


def _choice_quiz():
    return Quiz("What does σ² weigh in the VAE's loss?", [
        Choice("The KL term", why="σ² divides the squared error, not the KL."),
        Choice("The squared reconstruction error", correct=True, why="It is divided by 2σ²."),
        Choice("The learning rate", why="ρ is chosen apart from the model."),
    ])


def test_feedback_says_right_or_wrong_for_every_choice():
    quiz = _choice_quiz()
    assert quiz.feedback(1) == (True, "Right. It is divided by 2σ².")
    assert quiz.feedback(0) == (False, "Not quite. σ² divides the squared error, not the KL.")
    assert quiz.feedback(2)[0] is False


def test_numerical_quiz_accepts_within_tolerance_only():
    quiz = Quiz("2/λ_max for λ_max = 4?", answer=0.5, tolerance=0.01, why="2/4 = 0.5.",
                hint="Divide 2 by the largest eigenvalue.")
    assert quiz.feedback(0.505)[0] and quiz.feedback(0.495)[0]
    assert quiz.feedback(0.52) == (False, "Not quite. Divide 2 by the largest eigenvalue.")
    assert quiz.feedback(0.5)[1] == "Right. 2/4 = 0.5."


@pytest.mark.parametrize("make, message", [
    (lambda: Quiz("", [Choice("a", True, "w"), Choice("b", False, "w")]), "question"),
    (lambda: Quiz("q", [Choice("a", True, "w")]), "at least two"),
    (lambda: Quiz("q", [Choice("a", False, "w"), Choice("b", False, "w")]), "correct=True"),
    (lambda: Quiz("q", [Choice("a", True, "w"), Choice("a", False, "w")]), "same text"),
    (lambda: Quiz("q", ["a", "b"]), "list of Choice"),
    (lambda: Choice("a", True, ""), "needs a 'why'"),
    (lambda: Choice("a", 1, "w"), "True or False"),
    (lambda: Quiz("q", answer=float("nan"), tolerance=0.1, why="w", hint="h"), "finite number"),
    (lambda: Quiz("q", answer=1.0, tolerance=0, why="w", hint="h"), "tolerance > 0"),
    (lambda: Quiz("q", answer=1.0, tolerance=0.1, why="w"), "'hint'"),
    (lambda: Quiz("q"), "give choices"),
    (lambda: Quiz("q", [Choice("a", True, "w"), Choice("b", False, "w")], answer=1.0), "not both"),
    (lambda: _choice_quiz().feedback(3), "index of a choice"),
])
def test_bad_input_says_what_is_wrong(make, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        make()


def test_static_html_has_the_markup_and_the_feedback_of_every_answer():
    quiz = _choice_quiz()
    page = quiz.to_html()
    assert page.startswith('<div class="course-quiz"')
    assert page.count('<button type="button" class="course-quiz-choice" data-role="choice"') == 3 and 'data-role="feedback"' in page
    data = json.loads(re.search(r'<script type="application/json">(.*?)</script>', page).group(1))
    assert data["feedback"] == [list(quiz.feedback(k)) for k in range(3)]


def test_live_widget_shows_the_feedback_of_the_clicked_answer():
    quiz = _choice_quiz()
    bundle = quiz._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle and "text/html" in bundle
    buttons = quiz.widget().children[1].children
    buttons[0].click()
    assert "Not quite" in quiz._feedback.value
    buttons[1].click()
    assert "Right." in quiz._feedback.value
    number = Quiz("1 + 1?", answer=2, tolerance=0.1, why="It is 2.", hint="Count.")
    number.widget()
    number._answer(3)
    assert "Count." in number._feedback.value
    number._answer(2)
    assert "It is 2." in number._feedback.value


ANSWER_WRONG_THEN_RIGHT = """async (root) => {
  const data = JSON.parse(root.querySelector('script[type="application/json"]').textContent);
  const feedback = root.querySelector('[data-role="feedback"]');
  const choices = root.querySelectorAll('[data-role="choice"]');
  const seen = [];
  const look = () => ({cls: feedback.className, text: feedback.textContent});
  if (data.kind === 'choice') {
    const order = data.feedback.map((f, k) => [f[0], k]).sort((a, b) => a[0] - b[0]);
    for (const [right, k] of order) { choices[k].click(); seen.push({right: right, ...look()}); }
  } else {
    const box = root.querySelector('[data-role="answer"]');
    box.value = String(data.answer + 10 * data.tolerance + 1); choices[0].click();
    seen.push({right: false, ...look()});
    box.value = String(data.answer); choices[0].click();
    seen.push({right: true, ...look()});
  }
  return seen;
}"""


def test_every_quiz_answers_wrong_then_right_without_a_kernel(built_book, served_book, browser):
    found, problems = 0, []
    for path in _pages(built_book):
        if "course-quiz" not in path.read_text(encoding="utf-8"):
            continue
        name = path.relative_to(built_book).as_posix()
        page = browser.new_page()
        errors = []
        page.on("pageerror", lambda e, errors=errors: errors.append(str(e)))
        page.goto(urljoin(served_book, name), wait_until="load")
        for k, quiz in enumerate(page.locator("div.course-quiz").all()):
            found += 1
            seen = quiz.evaluate(ANSWER_WRONG_THEN_RIGHT)
            texts = [s["text"] for s in seen]
            if not any(s["right"] for s in seen) or not any(not s["right"] for s in seen):
                problems.append(f"{name} quiz {k}: needs a wrong and a right answer, got {seen}")
            for s in seen:
                expected = "is-right" if s["right"] else "is-wrong"
                if expected not in s["cls"] or not s["text"].strip():
                    problems.append(f"{name} quiz {k}: expected {expected} feedback, got {s}")
            if len(set(texts)) < 2:
                problems.append(f"{name} quiz {k}: the feedback did not change: {texts}")
        problems += [f"{name}: {e}" for e in errors]
        page.close()
    assert found >= 1, "no quiz found in the built book"
    assert not problems, "\n".join(problems)
