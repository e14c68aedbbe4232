"""The lecture's update rules and the one training loop of every fit of the course.

- :class:`Optimizer`: gradient descent, momentum, Nesterov and Adam, written out;
- :func:`train`: minimises any loss that returns its named terms (the model's loss, written
  beside the lecture's formula in its own module), over mini-batches, and stops on a stated
  convergence criterion (:func:`relative_change`), warning when it does not converge.
``nn.fit``, ``vae.fit``, ``bayes.fit`` and ``bayes_curves.fit_curves`` all run on it.
"""

from __future__ import annotations

import contextlib
import math
import time
import warnings
from typing import Callable

import numpy as np
import torch

from course_lib.core import check_choice, check_count, check_positive


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
    _stop(history, objective, watched, tol, change, epochs, name, n_settle, average)
    history["seconds"] = time.perf_counter() - start
    return history


def _stop(history, objective, watched, tol, change, epochs, name, n_settle=0, average=False) -> None:
    """Write the stop reason into ``history`` and warn when the run did not converge; a converged
    run with a settling phase says after how many epochs the criterion held, then the rest."""
    criterion = f"relative change of the {watched} <= tol = {tol:g}" if tol else ""
    if history["diverged"]:
        history["stop_reason"] = f"diverged: {objective} became {history[objective][-1]} at epoch {history['epochs']}"
        hint = "lower lr"
    elif tol is None:
        history["stop_reason"] = f"no criterion (tol=None): ran the {history['epochs']} epochs asked"
        return
    elif history["converged"]:
        settled = (f", then {n_settle} epochs of decreasing lr{' with averaged iterates' if average else ''} "
                   f"({history['epochs']} in all)") if n_settle else ""
        history["stop_reason"] = (f"converged: {criterion} ({change:.1e}), after {history['epochs'] - n_settle} "
                                  f"epochs{settled}")
        return
    else:
        history["stop_reason"] = (f"not converged: {criterion} not reached (last change {change:.1e}) "
                                  f"within epochs = {epochs}")
        hint = "raise epochs (or lr, or tol)"
    warnings.warn(f"{name} {history['stop_reason']}; {hint}", UserWarning, stacklevel=4)
