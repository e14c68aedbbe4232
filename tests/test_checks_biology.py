"""The check of 03_4's derivation exercise accepts the right answer and rejects typical wrong ones."""

import numpy as np
import pytest

from course_lib import checks
from course_lib.checks.biology import _marker_moments


def marker_moments(beta, gamma, n_types, noise_std):
    p = 1 / n_types
    return beta + p * gamma, gamma**2 * p * (1 - p) + noise_std**2


def test_reference_matches_a_simulation_of_the_marker_genes():
    # independent answer: simulate x = beta + gamma 1[c = c*] + eps over many cells
    rng = np.random.default_rng(0)
    beta, gamma, n_types, noise_std = np.array([1.2, 0.4]), np.array([1.5, 0.8]), 3, 0.5
    cell_type = rng.integers(0, n_types, size=400_000)
    x = beta + gamma * (cell_type[:, None] == np.array([0, 2])) + noise_std * rng.normal(size=(400_000, 2))
    mean, variance = _marker_moments(beta, gamma, n_types, noise_std)
    assert np.allclose(x.mean(0), mean, atol=0.005) and np.allclose(x.var(0), variance, rtol=0.01)


def test_right_answer_passes_and_stub_says_not_implemented(capsys):
    checks.marker_moments(marker_moments)

    def stub(*args):
        raise NotImplementedError("write your code here")

    checks.marker_moments(stub)
    out = capsys.readouterr().out
    assert "correct on" in out and "not implemented yet" in out


@pytest.mark.parametrize("wrong, hint", [
    (lambda b, g, k, s: (b + g / k, g**2 / k * (1 - 1 / k)), "noise's variance"),
    (lambda b, g, k, s: (b + g / k, g**2 / k + s**2), "squared mean"),
    (lambda b, g, k, s: (b + g / k, g**2 / k * (1 - 1 / k) + s), "standard deviation noise_std"),
    (lambda b, g, k, s: (b + g, g**2 / k * (1 - 1 / k) + s**2), "beta + gamma"),
    (lambda b, g, k, s: (b + g / k, np.sqrt(g**2 / k * (1 - 1 / k) + s**2)), "variance is asked"),
    (lambda b, g, k, s: (b + g / k,), None),
])
def test_typical_mistakes_are_rejected_with_a_hint(wrong, hint):
    with pytest.raises(AssertionError) as failure:
        checks.marker_moments(wrong)
    message = str(failure.value)
    assert "marker_moments" in message and "expected" in message
    if hint:
        assert hint in message
