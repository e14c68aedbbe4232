"""Check your understanding: small quizzes that work live in JupyterLab and in the static book.

A quiz is either a multiple choice (``Quiz(question, [Choice(...), ...])``) or a number
(``Quiz(question, answer=0.25, tolerance=0.01, why=..., hint=...)``). Every answer carries
its feedback: for a choice, why it is right or wrong; for a number, a hint while it is wrong
and the explanation once it is right.

Displayed as the last expression of a cell, a quiz offers, like the explorers of
:mod:`course_lib.widgets`, through ``_repr_mimebundle_``:

* live, in JupyterLab: ipywidgets buttons (or a number box) and a feedback line;
* in the static book: ``<div class="course-quiz">`` with clickable ``data-role="choice"``
  buttons, a ``data-role="feedback"`` line and a small inline script (no kernel, no network);
* anywhere else: the question and its choices as plain text.
"""

from __future__ import annotations

import html
import json
import math
import uuid
from dataclasses import dataclass


@dataclass(frozen=True)
class Choice:
    """One answer of a multiple-choice quiz, with the feedback shown when it is picked."""

    text: str
    correct: bool = False
    why: str = ""

    def __post_init__(self):
        if not isinstance(self.text, str) or not self.text.strip():
            raise ValueError(f"a choice needs a non-empty text, got {self.text!r}")
        if not isinstance(self.correct, bool):
            raise ValueError(f"correct must be True or False, got {self.correct!r} for {self.text!r}")
        if not isinstance(self.why, str) or not self.why.strip():
            raise ValueError(f"the choice {self.text!r} needs a 'why': the feedback shown when it "
                             "is picked (why it is right, or why it is wrong)")


def _is_number(value) -> bool:
    return (not isinstance(value, bool) and isinstance(value, (int, float))
            and math.isfinite(float(value)))


class Quiz:
    """A conceptual question with feedback on every answer.

    Parameters
    ----------
    question : the question, plain text (Unicode symbols such as σ² or ρ, no LaTeX).
    choices : for a multiple choice, at least two :class:`Choice`, at least one correct.
    answer, tolerance : for a numerical question, the right value and the accepted distance.
    why : for a numerical question, the explanation shown once the answer is right.
    hint : for a numerical question, the feedback shown while the answer is wrong.
    """

    def __init__(self, question: str, choices=None, *, answer=None, tolerance=None,
                 why: str | None = None, hint: str | None = None):
        if not isinstance(question, str) or not question.strip():
            raise ValueError(f"the question must be a non-empty text, got {question!r}")
        self.question = question.strip()
        if choices is not None and answer is not None:
            raise ValueError("give either choices (a multiple choice) or answer (a number), not both")
        if choices is not None:
            choices = list(choices)
            if any(not isinstance(c, Choice) for c in choices):
                raise ValueError("choices must be a list of Choice(text, correct, why)")
            if len(choices) < 2:
                raise ValueError(f"a multiple choice needs at least two choices, got {len(choices)}")
            if not any(c.correct for c in choices):
                raise ValueError("no choice is marked correct=True")
            if len({c.text for c in choices}) != len(choices):
                raise ValueError("two choices have the same text")
            if any(v is not None for v in (tolerance, why, hint)):
                raise ValueError("tolerance, why and hint belong to a numerical question; "
                                 "a choice carries its own 'why'")
            self.kind, self.choices = "choice", choices
        elif answer is not None:
            if not _is_number(answer):
                raise ValueError(f"answer must be a finite number, got {answer!r}")
            if not _is_number(tolerance) or not tolerance > 0:
                raise ValueError(f"a numerical question needs a tolerance > 0, got {tolerance!r}")
            for name, text in (("why", why), ("hint", hint)):
                if not isinstance(text, str) or not text.strip():
                    raise ValueError(f"a numerical question needs '{name}' (a non-empty text)")
            self.kind, self.choices = "number", []
            self.answer, self.tolerance = float(answer), float(tolerance)
            self.why, self.hint = why.strip(), hint.strip()
        else:
            raise ValueError("give choices=[Choice(...), ...] or answer=<number> with a tolerance")
        self._widget = None

    # --- the pure part: an answer -> (right?, feedback) -------------------------------
    def feedback(self, given) -> tuple[bool, str]:
        """Whether ``given`` is right, and the feedback shown for it.

        ``given`` is the index of a choice (multiple choice) or a number (numerical question).
        """
        if self.kind == "choice":
            if isinstance(given, bool) or not isinstance(given, int) or not 0 <= given < len(self.choices):
                raise ValueError(f"give the index of a choice, 0 to {len(self.choices) - 1}, got {given!r}")
            choice = self.choices[given]
            return choice.correct, ("Right. " if choice.correct else "Not quite. ") + choice.why
        if not _is_number(given):
            raise ValueError(f"give a finite number, got {given!r}")
        right = abs(float(given) - self.answer) <= self.tolerance
        return right, ("Right. " + self.why) if right else ("Not quite. " + self.hint)

    # --- the three renderings -----------------------------------------------------------
    def _data(self) -> dict:
        if self.kind == "choice":
            return {"kind": "choice", "feedback": [self.feedback(k) for k in range(len(self.choices))]}
        return {"kind": "number", "answer": self.answer, "tolerance": self.tolerance,
                "right": self.feedback(self.answer)[1], "wrong": "Not quite. " + self.hint}

    def to_html(self) -> str:
        """The static quiz: buttons (or a number box), a feedback line, an inline script."""
        uid = "quiz-" + uuid.uuid4().hex[:8]
        if self.kind == "choice":
            answers = "".join(
                f'<button type="button" class="course-quiz-choice" data-role="choice" '
                f'data-index="{k}" aria-pressed="false">{html.escape(c.text)}</button>'
                for k, c in enumerate(self.choices))
        else:
            answers = (f'<input type="text" inputmode="decimal" class="course-quiz-answer" '
                       f'data-role="answer" aria-label="your answer" size="10"> '
                       f'<button type="button" class="course-quiz-choice" data-role="choice">'
                       f'Check</button>')
        # "</" inside the JSON would close the script element early.
        data = json.dumps(self._data()).replace("</", "<\\/")
        return (
            f'<div class="course-quiz" id="{uid}">'
            f'<p class="course-quiz-question" id="{uid}-q">{html.escape(self.question)}</p>'
            f'<div class="course-quiz-choices" role="group" aria-labelledby="{uid}-q">{answers}</div>'
            f'<p class="course-quiz-feedback" data-role="feedback" aria-live="polite"></p>'
            f'<script type="application/json">{data}</script>'
            f"<script>{_STATIC_SCRIPT}</script></div>"
        )

    def to_text(self) -> str:
        lines = [self.question]
        lines += [f"  ({chr(97 + k)}) {c.text}" for k, c in enumerate(self.choices)]
        if self.kind == "number":
            lines.append("  (answer with a number)")
        return "\n".join(lines)

    def widget(self):
        """The live ipywidgets view: one button per choice (or a number box) and the feedback."""
        if self._widget is None:
            import ipywidgets as widgets

            question = widgets.HTML(f"<b>{html.escape(self.question)}</b>")
            feedback = widgets.HTML("", layout=widgets.Layout(min_height="1.5em"))

            def show(given):
                right, text = self.feedback(given)
                colour = "var(--jp-success-color1, green)" if right else "var(--jp-error-color1, #c00)"
                feedback.value = f'<span style="color: {colour}">{html.escape(text)}</span>'

            if self.kind == "choice":
                buttons = []
                for k, c in enumerate(self.choices):
                    button = widgets.Button(description=c.text, tooltip=c.text,
                                            layout=widgets.Layout(width="auto", height="auto"))
                    button.on_click(lambda _b, k=k: show(k))
                    buttons.append(button)
                answers = widgets.VBox(buttons)
                self._answer = show  # kept for tests that click without a browser
            else:
                box = widgets.Text(placeholder="a number", layout=widgets.Layout(width="10em"))
                check = widgets.Button(description="Check", layout=widgets.Layout(width="auto"))

                def submit(_=None):
                    try:
                        show(float(box.value.replace(",", ".")))
                    except ValueError:
                        feedback.value = "Type a number first."

                check.on_click(submit)
                answers = widgets.HBox([box, check])
                self._answer = lambda value: (setattr(box, "value", str(value)), submit())
            self._widget = widgets.VBox([question, answers, feedback])
            self._widget.add_class("course-quiz-live")
            self._feedback = feedback
        return self._widget

    def _repr_mimebundle_(self, include=None, exclude=None):
        bundle = dict(self.widget()._repr_mimebundle_() or {})
        bundle["text/html"] = self.to_html()
        bundle["text/plain"] = self.to_text()
        return bundle


# The script of the static book. It finds its own quiz (the script's parent) and shows the
# feedback of the answer clicked; the feedback of every answer is in the JSON beside it.
_STATIC_SCRIPT = """(function () {
  var root = document.currentScript.parentElement;
  var data = JSON.parse(root.querySelector('script[type="application/json"]').textContent);
  var feedback = root.querySelector('[data-role="feedback"]');
  var choices = root.querySelectorAll('[data-role="choice"]');
  function say(right, text) {
    feedback.textContent = text;
    feedback.className = 'course-quiz-feedback ' + (right ? 'is-right' : 'is-wrong');
  }
  if (data.kind === 'choice') {
    choices.forEach(function (choice, k) {
      choice.addEventListener('click', function () {
        choices.forEach(function (c) { c.setAttribute('aria-pressed', 'false'); });
        choice.setAttribute('aria-pressed', 'true');
        say(data.feedback[k][0], data.feedback[k][1]);
      });
    });
  } else {
    var box = root.querySelector('[data-role="answer"]');
    var check = function () {
      var value = parseFloat(box.value.replace(',', '.'));
      if (!isFinite(value)) { say(false, 'Type a number first.'); return; }
      var right = Math.abs(value - data.answer) <= data.tolerance;
      say(right, right ? data.right : data.wrong);
    };
    choices[0].addEventListener('click', check);
    box.addEventListener('keydown', function (e) { if (e.key === 'Enter') { check(); } });
  }
})();"""
