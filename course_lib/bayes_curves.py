"""Bayesian networks on 1-D curves (chapter 3.6): the fits behind the pages' figures.

Method code only (no drawing): x and y are standardised so that the prior N(0, prior_std^2 I)
means the same on every data set, then :func:`course_lib.bayes.fit` (one curve) or
:func:`fit_curves` (K settings at once, on the same training loop and schedule) fits q_eta.
"""

from __future__ import annotations

import numpy as np
import torch
from torch.nn.functional import softplus

from course_lib import bayes, nn
from course_lib.bayes import DTYPE, BayesianRegression, data_tensors, kl_closed_form, reparametrize
from course_lib.core import check_count, check_positive, gaussian_log_likelihood
from course_lib.training import train


class CurveFit:
    """A network fitted to 1-D data on standardised x and y; predictions in y's units."""

    def __init__(self, x, y):
        x, y = data_tensors(x, y)
        self.x_mean, self.x_std = x.mean().item(), x.std().item()
        self.y_mean, self.y_std = y.mean().item(), y.std().item()
        self.model, self.history = None, None

    def scale(self, x, y=None):
        """Standardised x (N, 1), and y (N,) when given."""
        x = (np.asarray(x, dtype=np.float64).reshape(-1, 1) - self.x_mean) / self.x_std
        return x if y is None else (x, (np.asarray(y, dtype=np.float64) - self.y_mean) / self.y_std)

    def predict(self, x, n_samples=200, seed=0):
        """Bayesian model: predictive (mean, std), each (N,); deterministic model: mean (N,)."""
        if isinstance(self.model, BayesianRegression):
            mean, std = self.model.predict(self.scale(x), n_samples, seed)
            return self.y_mean + self.y_std * mean, self.y_std * std
        return self.y_mean + self.y_std * nn.predict(self.model, self.scale(x))[:, 0]


# With M = 4 draws per step, F of a network carries a Monte Carlo noise of a few per cent:
# the fits of this module stop once its 50-epoch mean changes by 2 % or less (F, not the
# means: a network's hidden units drift along symmetries of f_theta without changing F).
CURVE_TOL, CURVE_WINDOW = 0.02, 50


def fit_curve(x, y, sigma2, prior_std=1.0, hidden=(32,), activation="relu", epochs=1000, n_mc=4,
              lr=0.05, seed=0, tol=CURVE_TOL, window=CURVE_WINDOW):
    """A Bayesian network y = f_theta(x) + eps on 1-D data; ``sigma2`` is in the units of y^2.

    x and y are standardised first and sigma2 is rescaled with them; :func:`course_lib.bayes.fit`
    does the rest, watching F (``epochs`` is the maximum).
    """
    curve = CurveFit(x, y)
    xs, ys = curve.scale(x, y)
    sigma2 = check_positive("sigma2", sigma2) / curve.y_std**2
    curve.model = BayesianRegression(1, hidden, sigma2, prior_std, activation, seed)
    curve.history = bayes.fit(curve.model, xs, ys, epochs=epochs, lr=lr, n_mc=n_mc, seed=seed, tol=tol,
                              window=window, watch="free_energy")
    return curve


def fit_curves(x, y, settings, hidden=(16,), activation="relu", epochs=1000, n_mc=4, lr=0.08, seed=0,
               tol=CURVE_TOL, window=CURVE_WINDOW):
    """:func:`fit_curve` for K settings (sigma2, prior_std) at once, in one batched computation.

    Adam acts elementwise, so K independent problems stacked in one eta of shape (K, 2, D) and
    summed into one loss are K independent fits (full batch, closed-form KL, the schedule and
    averaging of :func:`course_lib.bayes.fit`); one forward pass over K * M parameter vectors
    costs little more than one. Returns the K :class:`CurveFit`; the first holds the history.
    """
    curves = [CurveFit(x, y) for _ in settings]
    xs, ys = (torch.as_tensor(a) for a in curves[0].scale(x, y))
    for curve, (sigma2, prior_std) in zip(curves, settings):
        sigma2 = check_positive("sigma2", sigma2) / curve.y_std**2
        curve.model = BayesianRegression(1, hidden, sigma2, prior_std, activation, seed)
    models = [curve.model for curve in curves]
    eta = torch.nn.Parameter(torch.stack([m.eta.detach() for m in models]))  # (K, 2, D)
    sigma2 = torch.tensor([[m.sigma2] for m in models], dtype=DTYPE)  # (K, 1)
    prior_std = torch.tensor([[m.prior_std] for m in models], dtype=DTYPE)  # (K, 1)
    k_models, n_mc, n_params = eta.shape[0], check_count("n_mc", n_mc), eta.shape[2]

    def loss_terms(rows, generator):
        xi = torch.randn(k_models, n_mc, n_params, generator=generator, dtype=DTYPE)
        theta = reparametrize(xi, (eta[:, :1, :], eta[:, 1:, :]))  # (K, M, D)
        f = models[0].network(xs, theta.reshape(-1, n_params)).reshape(k_models, n_mc, -1)  # (K, M, N)
        nll = -gaussian_log_likelihood(ys, f, sigma2).mean(-1)  # -E_q log l(Y | theta), (K,)
        kl = kl_closed_form(eta[:, 0], softplus(eta[:, 1]), prior_std)  # (K,)
        return {"free_energy": (kl + nll).sum(), "kl": kl.sum(), "nll": nll.sum()}

    epochs = check_count("epochs", epochs)
    curves[0].history = train(
        loss_terms, [eta], len(xs), epochs=epochs, lr=lr, seed=seed, objective="free_energy", reduction="sum",
        tol=tol, window=window, settle=bayes.SETTLE, decay="geometric",
        lr_final=bayes.LR_FINAL, average=True, name="bayes_curves.fit_curves")
    with torch.no_grad():
        for k, model in enumerate(models):
            model.eta.copy_(eta[k])
    return curves


def fit_deterministic_curve(x, y, hidden=(32,), activation="relu", epochs=3000, lr=0.02, seed=0, tol=1e-4):
    """A deterministic network (course_lib.nn) on the same standardised data: point predictions."""
    curve = CurveFit(x, y)
    xs, ys = curve.scale(x, y)
    curve.model = nn.MLP([1, *hidden, 1], activation=activation, seed=seed)
    curve.history = nn.fit(curve.model, xs, ys, epochs=epochs, lr=lr, seed=seed, tol=tol)
    return curve


def coverage(y, mean, std, level=0.95):
    """Fraction of y inside the central predictive intervals mean +- z std of the given level."""
    z = torch.distributions.Normal(0.0, 1.0).icdf(torch.tensor((1 + level) / 2)).item()
    return float(np.mean(np.abs(np.asarray(y) - mean) <= z * np.asarray(std)))
