"""The machinery behind every exercise check: run, compare, explain.

A check calls the student's function on several :class:`Case` inputs and compares each
answer with the reference implementation of ``course_lib``. It prints one line when all
agree, says "not implemented yet" while the stub still raises NotImplementedError, and
otherwise raises AssertionError on the first mismatch, naming the case, the expected and
returned values, and a hint when the answer equals a typical wrong one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Mapping, Sequence

import numpy as np
import torch


@dataclass
class Case:
    """One input of a check: positional ``args``, keyword ``kwargs`` and a description."""

    args: tuple = ()
    kwargs: dict = field(default_factory=dict)
    description: str = ""


def to_numpy(value) -> np.ndarray | Any:
    """Turn tensors, floats and lists into float64 numpy arrays for comparison."""
    if isinstance(value, torch.Tensor):
        return value.detach().cpu().double().numpy()
    if isinstance(value, (tuple, list)):
        return type(value)(to_numpy(v) for v in value)
    if isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool):
        return np.asarray(value, dtype=np.float64)
    if isinstance(value, np.ndarray):
        return value.astype(np.float64)
    return value


def _copy(value):
    """A copy of an input, so that a student function that edits it in place harms nothing."""
    if isinstance(value, torch.Tensor):
        return value.clone()
    if isinstance(value, np.ndarray):
        return value.copy()
    if isinstance(value, (list, tuple)):
        return type(value)(_copy(v) for v in value)
    return value


def describe(value, limit: int = 6) -> str:
    """A short text of a value: its shape and its first entries."""
    value = to_numpy(value)
    if isinstance(value, (tuple, list)):
        return "(" + ", ".join(describe(v, limit) for v in value) + ")"
    if isinstance(value, np.ndarray):
        entries = ", ".join(f"{v:.6g}" for v in value.reshape(-1)[:limit])
        more = ", ..." if value.size > limit else ""
        return f"shape {value.shape}: [{entries}{more}]"
    return repr(value)


def mismatch(expected, got, rtol: float, atol: float) -> str | None:
    """None if ``got`` matches ``expected``, else the reason it does not."""
    expected, got = to_numpy(expected), to_numpy(got)
    if isinstance(expected, (tuple, list)):
        if not isinstance(got, (tuple, list)) or len(got) != len(expected):
            return f"expected {len(expected)} values, got {describe(got)}"
        for k, (e, g) in enumerate(zip(expected, got)):
            reason = mismatch(e, g, rtol, atol)
            if reason:
                return f"value {k}: {reason}"
        return None
    if not isinstance(got, np.ndarray):
        return f"expected an array or a number, got {type(got).__name__}"
    if got.shape != expected.shape:
        return f"expected shape {expected.shape}, got shape {got.shape}"
    if not np.all(np.isfinite(got)) and np.all(np.isfinite(expected)):
        return "your answer contains NaN or infinite values"
    if not np.allclose(got, expected, rtol=rtol, atol=atol):
        worst = np.max(np.abs(got - expected))
        return f"values differ (largest absolute difference {worst:.3g})"
    return None


def check_function(student: Callable, reference: Callable, cases: Sequence[Case], *, name: str,
                   what: str, hints: Mapping[str, Callable] | None = None,
                   rtol: float = 1e-6, atol: float = 1e-8) -> None:
    """Compare ``student`` with ``reference`` on every case; see the module docstring.

    ``what`` completes the success line "<name>: correct on N cases (<what>)"; ``hints``
    maps a message (e.g. "a wrong sign") to a function that computes that typical wrong
    answer from the same inputs. Returns nothing: a notebook cell calling a check shows
    only the printed line.
    """
    if not callable(student):
        raise TypeError(f"{name}: pass your function itself, e.g. checks.{name}(my_function), "
                        f"not {type(student).__name__}")
    for k, case in enumerate(cases, start=1):
        expected = reference(*_copy(case.args), **_copy(case.kwargs))
        try:
            got = student(*_copy(case.args), **_copy(case.kwargs))
        except NotImplementedError:
            print(f"{name}: not implemented yet. Replace `raise NotImplementedError` in the "
                  "cell above with your code, run it, then run this check again.")
            return
        reason = mismatch(expected, got, rtol, atol)
        if reason is None:
            continue
        message = [f"{name}: case {k} of {len(cases)} ({case.description}) is wrong: {reason}.",
                   f"  expected: {describe(expected)}", f"  got:      {describe(got)}"]
        for hint, wrong in (hints or {}).items():
            try:
                typical = wrong(*_copy(case.args), **_copy(case.kwargs))
            except Exception:  # a hint that does not apply to this case is simply skipped
                continue
            if mismatch(typical, got, rtol, atol) is None:
                message.append(f"  hint: your answer looks like {hint}.")
                break
        raise AssertionError("\n".join(message))
    print(f"{name}: correct on {len(cases)} cases ({what}).")
