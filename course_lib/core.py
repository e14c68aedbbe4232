"""The shared core of course_lib: each formula and check the chapters use, written once.

- input checks and conversion (:func:`as_array`, :func:`as_tensor`, :func:`check_count`,
  :func:`check_positive`, :func:`check_choice`, :func:`check_latent_dim`): one rule everywhere
  (numpy scalars are numbers, booleans are not), and a ValueError that says what is allowed;
- the activations phi with their derivatives phi' (:data:`ACTIVATIONS`);
- the Gaussian log-likelihood and the KL divergence between Gaussians (torch).
The optimizer and the one training loop are in :mod:`course_lib.training`. Every method
module (nn, backprop, vae, bayes, ...) imports these; this module imports no course module.
"""

from __future__ import annotations

import math
from typing import Callable, NamedTuple

import numpy as np
import torch


# --------------------------------------------------------------------------- input checks
def check_count(name: str, value, minimum: int = 1) -> int:
    """``value`` as an int >= minimum (Python or numpy integer, not a bool), or a ValueError."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return int(value)


def check_positive(name: str, value, what: str = "a finite number") -> float:
    """``value`` as a finite float > 0 (Python or numpy number, not a bool), or a ValueError."""
    if (isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating))
            or not 0 < value < math.inf):
        raise ValueError(f"{name} must be > 0 ({what}), got {value!r}")
    return float(value)


def check_choice(name: str, value, choices) -> str:
    """``value`` if it is one of ``choices``, else a ValueError listing them."""
    if not isinstance(value, str) or value not in choices:
        raise ValueError(f"unknown {name} {value!r}; choose one of {', '.join(choices)}")
    return value


def check_settings(settings, kind: type) -> None:
    """Check that a chapter's settings object is of its frozen dataclass ``kind``."""
    if not isinstance(settings, kind):
        raise ValueError(f"settings must be a {kind.__name__} (change a copy: dataclasses.replace(SETTINGS, ...)), "
                         f"got {type(settings).__name__}")


def check_latent_dim(latent_dim, n_features: int, full: bool = False) -> int:
    """The lecture's rule for the latent dimension: an integer m with 1 <= m < n.

    ``full=True`` also accepts m = n (PCA's full rotation, which reconstructs without error).
    """
    top = n_features if full else n_features - 1
    if isinstance(latent_dim, bool) or not isinstance(latent_dim, (int, np.integer)) or not 1 <= latent_dim <= top:
        rule = "1 <= m <= n" if full else "1 <= m < n"
        raise ValueError(f"latent_dim must be an integer m with {rule} = {n_features}, got {latent_dim!r}")
    return int(latent_dim)


def as_array(x, name: str = "x", n_features: int | None = None, ndim: int | None = 2) -> np.ndarray:
    """``x`` (array, list or tensor) as a finite float64 array; ndim=2 asks for (N_obs, n_features)."""
    if isinstance(x, torch.Tensor):
        x = x.detach().cpu().numpy()
    try:
        x = np.asarray(x, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must be an array of numbers, got {type(x).__name__}") from exc
    if ndim is not None and x.ndim != ndim:
        shape = " of shape (N_obs, n)" if ndim == 2 else ""
        raise ValueError(f"{name} must be a {ndim}-D array{shape}, got shape {x.shape}")
    if x.ndim > 0 and x.shape[0] == 0:
        raise ValueError(f"{name} has no rows")
    if not np.all(np.isfinite(x)):
        raise ValueError(f"{name} contains NaN or infinite values; remove or impute them first")
    if n_features is not None and x.shape[-1] != n_features:
        raise ValueError(f"{name} must have n = {n_features} columns, got shape {x.shape}")
    return x


def as_tensor(x, name: str = "x", n_features: int | None = None, ndim: int | None = 2,
              dtype=torch.float32) -> torch.Tensor:
    """:func:`as_array`, then a tensor of ``dtype`` (float32: the networks; float64: exact checks)."""
    return torch.from_numpy(as_array(x, name, n_features, ndim)).to(dtype)


# --------------------------------------------------------------------------- activations
def _sigmoid(a):
    return 0.5 * (1.0 + np.tanh(0.5 * a))  # = 1 / (1 + exp(-a)), without overflow warnings


class Activation(NamedTuple):
    """An activation phi: as a torch function, as a numpy function, and its derivative phi' (numpy)."""

    torch: Callable
    numpy: Callable
    derivative: Callable  # written from the closed form, checked against autograd in the tests


ACTIVATIONS = {
    "tanh": Activation(torch.tanh, np.tanh, lambda a: 1.0 - np.tanh(a) ** 2),
    "sigmoid": Activation(torch.sigmoid, _sigmoid, lambda a: _sigmoid(a) * (1.0 - _sigmoid(a))),
    "relu": Activation(torch.relu, lambda a: np.maximum(a, 0.0),
                       lambda a: (a > 0).astype(np.asarray(a).dtype)),  # phi'(0) := 0
    # log(1 + e^a), whose derivative is the sigmoid
    "softplus": Activation(torch.nn.functional.softplus, lambda a: np.logaddexp(0.0, a), _sigmoid),
    "identity": Activation(lambda t: t, lambda a: a, np.ones_like),
}
HIDDEN_ACTIVATIONS = ("tanh", "sigmoid", "relu", "softplus")  # a hidden layer needs a non-linearity


class ActivationLayer(torch.nn.Module):
    """phi as a layer of a torch network, by name (see :data:`ACTIVATIONS`)."""

    def __init__(self, name: str, allowed=tuple(ACTIVATIONS)):
        super().__init__()
        self.name = check_choice("activation", name, allowed)

    def forward(self, a: torch.Tensor) -> torch.Tensor:
        return ACTIVATIONS[self.name].torch(a)

    def extra_repr(self) -> str:
        return self.name


# --------------------------------------------------------------------------- Gaussian densities
LOG_2PI = math.log(2.0 * math.pi)


def gaussian_log_likelihood(x: torch.Tensor, x_mean, sigma2) -> torch.Tensor:
    """log N_n(x; x_mean, sigma2 I_n) = -||x - x_mean||^2 / (2 sigma2) - (n/2) log(2 pi sigma2).

    Sums over the last axis (n); a numpy caller converts first. Lecture, section 3: the
    decoder's log p(x | z) and, over the observations, the regression likelihood log l(Y | theta).
    """
    sigma2 = torch.as_tensor(sigma2, dtype=x.dtype)
    n = x.shape[-1]
    return -((x - x_mean) ** 2).sum(dim=-1) / (2.0 * sigma2) - 0.5 * n * (LOG_2PI + torch.log(sigma2))


def gaussian_kl(mean: torch.Tensor, std: torch.Tensor, prior_std=1.0, dim: int | None = -1) -> torch.Tensor:
    """KL(N(mean, diag std^2) || N(0, prior_std^2 I)), summed over ``dim`` (None: per coordinate).

    Per coordinate: log(prior_std / std) + (std^2 + mean^2) / (2 prior_std^2) - 1/2; for
    prior_std = 1 it is 1/2 (mean^2 + std^2 - 1 - log std^2) (Kingma & Welling 2014, app. B).
    """
    kl = torch.log(prior_std / std) + (std**2 + mean**2) / (2 * prior_std**2) - 0.5
    return kl if dim is None else kl.sum(dim=dim)
