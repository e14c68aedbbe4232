"""Checks of the exercises of page 3.4b (a VAE for counts)."""

from __future__ import annotations

import numpy as np
import torch

from course_lib import counts
from course_lib.checks._core import Case, check_function

__all__ = ["negative_binomial_log_prob"]


def _t(a):
    return torch.as_tensor(a, dtype=torch.float64)


def _nb_cases():
    rng = np.random.default_rng(30)
    matrix = rng.poisson(3.0, size=(4, 6)).astype(float)
    return [
        Case((_t([0.0, 1.0, 5.0]), _t([2.0, 2.0, 2.0]), _t(1.0)), description="x = 0, 1, 5 with mu = 2, r = 1"),
        Case((_t([0.0, 3.0, 40.0, 500.0]), _t([0.5, 3.0, 30.0, 450.0]), _t([0.2, 5.0, 50.0, 2.0])),
             description="small and large counts, r from 0.2 to 50"),
        Case((_t(matrix), _t(rng.uniform(0.5, 8.0, size=(4, 6))), _t(rng.uniform(0.3, 20.0, size=6))),
             description="4 cells x 6 genes, one r per gene (broadcast)"),
    ]


def _poisson(x, mean, dispersion):
    return x * torch.log(mean) - mean - torch.lgamma(x + 1)


def _swapped_terms(x, mean, dispersion):
    log_ratio = torch.lgamma(x + dispersion) - torch.lgamma(dispersion) - torch.lgamma(x + 1)
    total = dispersion + mean
    return log_ratio + x * torch.log(dispersion / total) + dispersion * torch.log(mean / total)


def negative_binomial_log_prob(student) -> None:
    """Check ``student(x, mean, dispersion)`` = log NB(x; mu, r), element-wise."""
    reference = counts.negative_binomial_log_prob
    hints = {
        "the Poisson log-probability: the negative binomial adds the terms with r": _poisson,
        "log x! is missing: subtract torch.lgamma(x + 1)":
            lambda x, mu, th: reference(x, mu, th) + torch.lgamma(x + 1),
        "r used as the dispersion alpha = 1 / r (variance mu + r mu^2): r is the inverse dispersion":
            lambda x, mu, th: reference(x, mu, 1.0 / th),
        "the two log terms are swapped: r log(r / (r + mu)) + x log(mu / (r + mu))": _swapped_terms,
        "one number: the log-probability is asked element by element, without a sum":
            lambda x, mu, th: reference(x, mu, th).sum(),
    }
    check_function(student, reference, _nb_cases(), name="negative_binomial_log_prob",
                   what="lgamma(x + r) - lgamma(r) - lgamma(x + 1) + r log(r/(r + mu)) "
                        "+ x log(mu/(r + mu))", hints=hints, rtol=1e-8, atol=1e-8)
