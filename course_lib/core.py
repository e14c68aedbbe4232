"""The shared core of course_lib: each mechanism the chapters use, written once.

- input checks and conversion (:func:`as_array`, :func:`as_tensor`, :func:`check_count`,
  :func:`check_positive`, :func:`check_choice`, :func:`check_latent_dim`): one rule everywhere
  (numpy scalars are numbers, booleans are not), and a ValueError that says what is allowed;
- the activations phi with their derivatives phi' (:data:`ACTIVATIONS`);
- the Gaussian log-likelihood and the KL divergence between Gaussians (torch);
- the optimizer (the lecture's update rules) and :func:`one_thread`;
- one training loop, :func:`train`, that minimises any loss returning named terms and stops
  on a stated convergence criterion.
Every method module (nn, backprop, vae, bayes, ...) imports these; this module imports none.
"""

from __future__ import annotations

import contextlib
import math
import time
import warnings
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


# --------------------------------------------------------------------------- the optimizer
OPTIMIZERS = ("gd", "momentum", "nesterov", "adam")


class Optimizer:
    """The update rules of the lecture, written out: "gd", "momentum", "nesterov" (mu = 0.9) or "adam".

    gd:        theta := theta - lr g        (stochastic gradient descent when g is a batch's)
    momentum:  v := mu v + g;  theta := theta - lr v             (torch.optim.SGD's convention)
    nesterov:  v := mu v + g;  theta := theta - lr (g + mu v)
    adam:      m := b1 m + (1 - b1) g,  s := b2 s + (1 - b2) g^2,
               theta := theta - lr m_hat / (sqrt(s_hat) + eps)    (Kingma & Ba 2015)
    Same iterates as torch.optim (tested), which we avoid here because its first use
    imports torch._dynamo, about 2 s per notebook. ``lr`` (the lecture's rho) may be changed
    between steps.
    """

    def __init__(self, params, optimizer: str = "adam", lr: float = 1e-2, momentum: float = 0.9,
                 betas=(0.9, 0.999), eps: float = 1e-8):
        self.optimizer = check_choice("optimizer", optimizer, OPTIMIZERS)
        self.lr = check_positive("lr", lr, "a learning rate")
        self.params = list(params)
        self.momentum, self.betas, self.eps = momentum, betas, eps
        self.state = [{} for _ in self.params]
        self.t = 0

    def zero_grad(self) -> None:
        for p in self.params:
            p.grad = None

    @torch.no_grad()
    def step(self) -> None:
        self.t += 1
        for p, state in zip(self.params, self.state):
            if p.grad is None:
                continue
            g = p.grad
            if self.optimizer == "gd":
                p -= self.lr * g
            elif self.optimizer in ("momentum", "nesterov"):
                v = state["v"] = self.momentum * state.get("v", 0.0) + g
                p -= self.lr * (g + self.momentum * v if self.optimizer == "nesterov" else v)
            else:
                b1, b2 = self.betas
                if not state:
                    state["m"], state["s"] = torch.zeros_like(p), torch.zeros_like(p)
                m, s = state["m"], state["s"]
                m.lerp_(g, 1 - b1)  # m := b1 m + (1 - b1) g, in place
                s.mul_(b2).addcmul_(g, g, value=1 - b2)  # s := b2 s + (1 - b2) g^2
                # theta -= lr m_hat / (sqrt(s_hat) + eps) with m_hat = m / c1, s_hat = s / c2, fused:
                # lr m_hat / (sqrt(s_hat) + eps) = (lr sqrt(c2) / c1) m / (sqrt(s) + eps sqrt(c2)).
                c1, c2 = 1 - b1**self.t, 1 - b2**self.t
                p.addcdiv_(m, s.sqrt().add_(self.eps * math.sqrt(c2)), value=-self.lr * math.sqrt(c2) / c1)


@contextlib.contextmanager
def one_thread():
    """Run torch on one thread, then restore the previous setting.

    The course's networks are tiny: splitting each small matrix product over threads costs
    more than it saves, and on a busy machine it made training ~10x slower (measured).
    """
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(previous)


# --------------------------------------------------------------------------- the training loop
def relative_change(values, window: int) -> float:
    """max |mean of the last window - mean of the window before| / max |mean|, over the entries.

    The convergence criterion of :func:`train`: ``values`` holds one number (a loss) or one
    vector (monitored parameters) per epoch; inf while fewer than 2 windows are recorded.
    """
    if len(values) < 2 * window:
        return math.inf
    before, last = np.mean(values[-2 * window:-window], axis=0), np.mean(values[-window:], axis=0)
    scale = 0.5 * (np.max(np.abs(before)) + np.max(np.abs(last)))
    return float(np.max(np.abs(last - before)) / max(scale, np.finfo(float).tiny))


def train(loss_terms: Callable, params, n_obs: int, *, epochs: int, lr: float, optimizer: str = "adam",
          batch_size: int | None = None, seed: int = 0, objective: str = "loss", reduction: str = "mean",
          tol: float | None = 1e-4, window: int = 20, settle: float = 0.0, decay: str = "linear",
          lr_final: float = 0.0, average: bool = False, monitor: Callable | None = None,
          on_epoch: Callable | None = None, name: str = "fit") -> dict:
    """Minimise ``loss_terms(rows, generator)[objective]`` over mini-batches; one loop for every fit.

    ``loss_terms`` returns a dict of scalar tensors (the model's named terms) for the rows
    ``rows`` (an index tensor, or slice(None) for the full batch); ``generator`` gives its
    Monte Carlo draws. Each epoch shuffles the N_obs rows into batches of ``batch_size``
    (None: one batch) and makes one optimizer step per batch.

    Convergence criterion: the run stops once the mean of ``objective`` (or of the vector
    ``monitor()``, e.g. some parameters, recorded after each epoch) over the last ``window``
    epochs differs from the mean over the window before by a :func:`relative_change` <= ``tol``
    (tol=None: no criterion, all epochs are run). With
    ``settle`` > 0, that first phase at constant ``lr`` is followed by ``settle`` times as many
    epochs whose learning rate decays ("linear": to 0; "geometric": to lr * lr_final), with the
    parameters averaged over them if ``average`` (Polyak & Juditsky 1992); the first phase
    then gets at most epochs / (1 + settle) epochs. A run that reaches its maximum number
    of epochs unconverged, or diverges, warns (UserWarning).

    Returns
    -------
    history : dict with one list per term (its value per epoch: the batch values, weighted by
    the batch's share of rows if ``reduction`` is "mean", summed if "sum"), "epochs" (int),
    "converged" (bool), "stop_reason" (str), "diverged" (bool) and "seconds" (float).
    """
    start = time.perf_counter()
    params = list(params)
    epochs, window = check_count("epochs", epochs), check_count("window", window)
    tol = None if tol is None else check_positive("tol", tol)
    check_choice("reduction", reduction, ("mean", "sum"))
    check_choice("decay", decay, ("linear", "geometric"))
    batch_size = n_obs if batch_size is None else batch_size
    if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) or not 1 <= batch_size <= n_obs:
        raise ValueError(f"batch_size must be an integer in 1..N_obs = {n_obs} or None, got {batch_size!r}")
    n_batches = math.ceil(n_obs / batch_size)
    opt = Optimizer(params, optimizer, lr)
    generator = torch.Generator().manual_seed(seed)
    history = {"epochs": 0, "converged": False, "stop_reason": "", "diverged": False}
    explore_max = max(1, int(epochs / (1.0 + settle)))

    def run_epoch(lrs=None) -> float:
        perm = torch.randperm(n_obs, generator=generator) if n_batches > 1 else None
        totals = {}
        for k in range(n_batches):
            rows = slice(None) if perm is None else perm[k * batch_size:(k + 1) * batch_size]
            terms = loss_terms(rows, generator)
            opt.zero_grad()
            terms[objective].backward()
            if lrs is not None:
                opt.lr = next(lrs)
            opt.step()
            share = (n_obs if perm is None else len(rows)) / n_obs if reduction == "mean" else 1.0
            for key, value in terms.items():
                totals[key] = totals.get(key, 0.0) + float(value.detach()) * share
        for key, value in totals.items():
            history.setdefault(key, []).append(value)
        history["epochs"] += 1
        if on_epoch is not None:
            on_epoch(history)
        return totals[objective]

    watched = f"{window}-epoch mean {objective}" if monitor is None else f"{window}-epoch mean of the monitored parameters"
    with one_thread():
        change, series = math.inf, []
        for _ in range(explore_max):  # phase 1: constant lr until the criterion holds
            if not math.isfinite(run_epoch()):
                history["diverged"] = True
                break
            series.append(history[objective][-1] if monitor is None else np.array(monitor(), dtype=np.float64))
            change = relative_change(series, window)
            if tol is not None and change <= tol:
                history["converged"] = True
                break
        # settle times the epochs of phase 1 if it converged, else the rest of the epochs
        n_settle = 0 if history["diverged"] or not settle else (
            round(settle * history["epochs"]) if history["converged"] else epochs - history["epochs"])
        steps = n_settle * n_batches
        fractions = (1.0 - np.arange(steps) / steps if decay == "linear"
                     else lr_final ** (np.arange(1, steps + 1) / max(steps, 1)))
        lrs = iter((lr * fractions).tolist())
        sums = [torch.zeros_like(p) for p in params]
        for _ in range(n_settle):  # phase 2: decreasing lr (and averaged parameters)
            if not math.isfinite(run_epoch(lrs)):
                history["diverged"] = True
                break
            for s, p in zip(sums, params):
                s += p.detach()
        if average and n_settle and not history["diverged"]:
            with torch.no_grad():
                for s, p in zip(sums, params):
                    p.copy_(s / n_settle)
    _stop(history, objective, watched, tol, change, epochs, name)
    history["seconds"] = time.perf_counter() - start
    return history


def _stop(history, objective, watched, tol, change, epochs, name) -> None:
    """Write the stop reason into ``history`` and warn when the run did not converge."""
    criterion = f"relative change of the {watched} <= tol = {tol:g}" if tol else ""
    if history["diverged"]:
        history["stop_reason"] = f"diverged: {objective} became {history[objective][-1]} at epoch {history['epochs']}"
        hint = "lower lr"
    elif tol is None:
        history["stop_reason"] = f"no criterion (tol=None): ran the {history['epochs']} epochs asked"
        return
    elif history["converged"]:
        history["stop_reason"] = f"converged: {criterion} ({change:.1e}), after {history['epochs']} epochs"
        return
    else:
        history["stop_reason"] = (f"not converged: {criterion} not reached (last change {change:.1e}) "
                                  f"within epochs = {epochs}")
        hint = "raise epochs (or lr, or tol)"
    warnings.warn(f"{name} {history['stop_reason']}; {hint}", UserWarning, stacklevel=4)
