"""Section 2 of the lecture, optimisation: backpropagation written by hand in numpy.

Network with hidden layers 1..L and output layer L+1 (the lecture's indexing), h^(0) = x:
    a^(l) = b^(l) + w^(l) h^(l-1),   h^(l) = phi(a^(l))  for l <= L,   f(x) = h^(L+1) = psi(a^(L+1)).
Loss summed over the batch: R = sum_i R_i,  R_i = ||Y_i - f(X_i)||^2.
Backward recurrence, with delta^(l) = dR_i / da^(l):
    delta^(L+1) = -2 (Y_i - f(X_i)) * psi'(a^(L+1))
    delta^(l)   = (w^(l+1)' delta^(l+1)) * phi'(a^(l))           for l = L, ..., 1
    dR_i / dw^(l)_jm = delta^(l)_j h^(l-1)_m,   dR_i / db^(l)_j = delta^(l)_j.
In code ``weights = [w^(1), ..., w^(L+1)]`` (Python counts from 0, so ``weights[k]`` is
w^(k+1)), ``weights[k]`` has shape (n_{k+1}, n_k), and ``x`` holds one observation per row.
"""

from __future__ import annotations

import time

import matplotlib.figure
import matplotlib.pyplot as plt
import numpy as np
import torch

from course_lib import core
from course_lib.core import HIDDEN_ACTIVATIONS, as_array, check_count, check_positive
from course_lib.training import one_thread

# name: (phi, phi'), two numpy functions, and name: phi as a torch function: views of the one
# table core.ACTIVATIONS (each derivative is written there from its closed form, not by autograd)
ACTIVATIONS = {name: (act.numpy, act.derivative) for name, act in core.ACTIVATIONS.items()}
TORCH_ACTIVATIONS = {name: act.torch for name, act in core.ACTIVATIONS.items()}


def activation_pair(name: str, allowed=tuple(ACTIVATIONS)):
    """(phi, phi') for an activation name: two numpy functions acting elementwise."""
    return ACTIVATIONS[core.check_choice("activation", name, allowed)]


def _check(weights, biases, x, y=None):
    """Return float64 copies of the arguments, or raise a ValueError saying which shape is wrong."""
    if len(weights) == 0 or len(weights) != len(biases):
        raise ValueError(f"weights and biases must be two lists of the same length >= 1, "
                         f"got {len(weights)} and {len(biases)}")
    weights = [np.asarray(w, dtype=np.float64) for w in weights]
    biases = [np.asarray(b, dtype=np.float64) for b in biases]
    x = as_array(x, "x")
    n_in = x.shape[1]
    for k, (w, b) in enumerate(zip(weights, biases)):
        if w.ndim != 2 or w.shape[1] != n_in:
            raise ValueError(f"weights[{k}] must have shape (n_{k + 1}, {n_in}), got {w.shape}")
        if b.shape != (w.shape[0],):
            raise ValueError(f"biases[{k}] must have shape ({w.shape[0]},) like weights[{k}].shape[0], "
                             f"got {b.shape}")
        n_in = w.shape[0]
    if y is None:
        return weights, biases, x
    y = np.asarray(y, dtype=np.float64)
    if y.ndim == 1 and n_in == 1:
        y = y[:, None]
    if y.shape != (len(x), n_in):
        raise ValueError(f"y must have shape (N_obs, n_{{L+1}}) = ({len(x)}, {n_in}), got {y.shape}")
    return weights, biases, x, y


def init_parameters(sizes, seed: int = 0):
    """Random weights w^(l) ~ N(0, 1/n_{l-1}) and zero biases for layer sizes [n_0, ..., n_{L+1}]."""
    sizes = [check_count("each layer size", n) for n in sizes]
    if len(sizes) < 2:
        raise ValueError(f"sizes must list at least two positive layer sizes, got {sizes}")
    rng = np.random.default_rng(seed)
    weights = [rng.normal(0.0, 1.0 / np.sqrt(n_in), size=(n_out, n_in)) for n_in, n_out in zip(sizes, sizes[1:])]
    biases = [np.zeros(n_out) for n_out in sizes[1:]]
    return weights, biases


def forward(weights, biases, x, activation: str = "tanh", output_activation: str = "identity"):
    """Forward step: every a^(l) and h^(l), from layer 1 to layer L+1.

    Returns
    -------
    a : list of L+1 arrays, ``a[k]`` = a^(k+1), shape (N_obs, n_{k+1})
    hidden : list of L+2 arrays, ``hidden[k]`` = h^(k), shape (N_obs, n_k); hidden[0] = x and
        hidden[-1] = f(x)
    """
    phi, _ = activation_pair(activation, HIDDEN_ACTIVATIONS)
    psi, _ = activation_pair(output_activation)
    weights, biases, x = _check(weights, biases, x)
    a, hidden = [], [x]
    for k, (w, b) in enumerate(zip(weights, biases)):
        a.append(hidden[-1] @ w.T + b)  # a^(l) = b^(l) + w^(l) h^(l-1), one row per observation
        hidden.append(psi(a[-1]) if k == len(weights) - 1 else phi(a[-1]))
    return a, hidden


def loss(weights, biases, x, y, activation: str = "tanh", output_activation: str = "identity") -> float:
    """R = sum_i ||y_i - f(x_i)||^2 over the rows of x."""
    weights, biases, x, y = _check(weights, biases, x, y)
    _, hidden = forward(weights, biases, x, activation, output_activation)
    return float(np.sum((y - hidden[-1]) ** 2))


def gradients(weights, biases, x, y, activation: str = "tanh", output_activation: str = "identity"):
    """Backpropagation: the gradient of R = sum_i ||y_i - f(x_i)||^2 with respect to every w^(l), b^(l).

    Returns
    -------
    grad_weights, grad_biases : lists shaped like ``weights`` (n_l, n_{l-1}) and ``biases`` (n_l,)
    """
    weights, biases, x, y = _check(weights, biases, x, y)
    _, dphi = activation_pair(activation, HIDDEN_ACTIVATIONS)
    _, dpsi = activation_pair(output_activation)
    a, hidden = forward(weights, biases, x, activation, output_activation)
    delta = -2.0 * (y - hidden[-1]) * dpsi(a[-1])  # delta^(L+1), shape (N_obs, n_{L+1})
    grad_weights, grad_biases = [None] * len(weights), [None] * len(weights)
    for k in reversed(range(len(weights))):  # layer l = k+1, from L+1 down to 1
        grad_weights[k] = delta.T @ hidden[k]  # sum_i delta^(l)_j h^(l-1)_m, shape (n_l, n_{l-1})
        grad_biases[k] = delta.sum(axis=0)  # sum_i delta^(l)_j, shape (n_l,)
        if k > 0:
            delta = (delta @ weights[k]) * dphi(a[k - 1])  # delta^(l-1) = (w^(l)' delta^(l)) * phi'(a^(l-1))
    return grad_weights, grad_biases


def autograd_gradients(weights, biases, x, y, activation: str = "tanh", output_activation: str = "identity"):
    """The same gradients computed by torch.autograd in float64 (an independent reference)."""
    weights, biases, x, y = _check(weights, biases, x, y)
    activation_pair(activation, HIDDEN_ACTIVATIONS)
    activation_pair(output_activation)
    ws = [torch.tensor(w, requires_grad=True) for w in weights]
    bs = [torch.tensor(b, requires_grad=True) for b in biases]
    with one_thread():
        h = torch.from_numpy(x)
        for k, (w, b) in enumerate(zip(ws, bs)):
            h = torch.nn.functional.linear(h, w, b)
            h = TORCH_ACTIVATIONS[output_activation if k == len(ws) - 1 else activation](h)
        r = ((torch.from_numpy(y) - h) ** 2).sum()
        grads = torch.autograd.grad(r, ws + bs)
    return [g.numpy() for g in grads[:len(ws)]], [g.numpy() for g in grads[len(ws):]]


def finite_difference_gradients(weights, biases, x, y, activation: str = "tanh",
                                output_activation: str = "identity", step: float = 1e-5):
    """Central differences (R(theta + step e_k) - R(theta - step e_k)) / (2 step): 2 |theta| forward passes.

    The error is O(step^2) (truncation) + O(1e-16 / step) (rounding), smallest near step = 1e-5.
    """
    step = check_positive("step", step)
    weights, biases, x, y = _check(weights, biases, x, y)
    params = [p.copy() for p in weights + biases]
    grads = [np.zeros_like(p) for p in params]
    n_layers = len(weights)  # L + 1: the hidden layers and the output layer
    for p, g in zip(params, grads):
        for index in np.ndindex(p.shape):
            saved = p[index]
            p[index] = saved + step
            up = loss(params[:n_layers], params[n_layers:], x, y, activation, output_activation)
            p[index] = saved - step
            down = loss(params[:n_layers], params[n_layers:], x, y, activation, output_activation)
            p[index] = saved
            g[index] = (up - down) / (2.0 * step)
    return grads[:n_layers], grads[n_layers:]


def relative_error(grads_a, grads_b) -> float:
    """Largest relative error ||A_k - B_k|| / ||B_k|| over the arrays of two gradient lists."""
    errors = []
    for a, b in zip(grads_a, grads_b):
        a, b = np.asarray(a), np.asarray(b)
        if a.shape != b.shape:
            raise ValueError(f"gradient arrays differ in shape: {a.shape} and {b.shape}")
        errors.append(np.linalg.norm(a - b) / max(np.linalg.norm(b), np.finfo(float).tiny))
    return float(max(errors))


def gradient_descent(weights, biases, x, y, lr: float, epochs: int, activation: str = "tanh",
                     gradient=gradients):
    """Full-batch gradient descent theta := theta - lr * grad R / N_obs for ``epochs`` steps (no criterion).

    Returns the final (weights, biases) and the loss R / N_obs before each step, shape (epochs,).
    """
    lr, epochs = check_positive("lr", lr, "a learning rate"), check_count("epochs", epochs)
    weights, biases, x, y = _check(weights, biases, x, y)
    losses = np.empty(epochs)
    for epoch in range(epochs):
        losses[epoch] = loss(weights, biases, x, y, activation) / len(x)
        grad_weights, grad_biases = gradient(weights, biases, x, y, activation)
        weights = [w - lr * g / len(x) for w, g in zip(weights, grad_weights)]
        biases = [b - lr * g / len(x) for b, g in zip(biases, grad_biases)]
    return weights, biases, losses


def cost_of_gradients(weights, biases, x, y, activation: str = "tanh", repeat: int = 3) -> dict:
    """Seconds for one backpropagation, one forward pass and one finite-difference gradient.

    Returns a dict with "n_parameters" |theta|, "forward_seconds", "backprop_seconds",
    "finite_difference_seconds" (best of ``repeat`` runs, 1 run for finite differences) and
    "n_forward_finite_difference" = 2 |theta|.
    """
    weights, biases, x, y = _check(weights, biases, x, y)

    def best(fn, n):
        times = []
        for _ in range(n):
            start = time.perf_counter()
            fn()
            times.append(time.perf_counter() - start)
        return min(times)

    n_params = sum(w.size + b.size for w, b in zip(weights, biases))
    return {
        "n_parameters": n_params,
        "forward_seconds": best(lambda: loss(weights, biases, x, y, activation), repeat),
        "backprop_seconds": best(lambda: gradients(weights, biases, x, y, activation), repeat),
        "finite_difference_seconds": best(
            lambda: finite_difference_gradients(weights, biases, x, y, activation), 1),
        "n_forward_finite_difference": 2 * n_params,
    }


def plot_activations(names=HIDDEN_ACTIVATIONS, low: float = -4.0, high: float = 4.0) -> matplotlib.figure.Figure:
    """Each activation phi (left) and its derivative phi' (right) on [low, high]."""
    a = np.linspace(low, high, 401)
    fig, (ax_phi, ax_dphi) = plt.subplots(1, 2, figsize=(9.0, 3.4))
    plt.close(fig)  # the notebook displays the returned figure once
    for name in names:
        phi, dphi = activation_pair(name)
        ax_phi.plot(a, phi(a), label=name)
        ax_dphi.plot(a, dphi(a), label=name)
    for ax, what in ((ax_phi, "φ(a)"), (ax_dphi, "φ′(a)")):
        ax.set_xlabel("pre-activation a")
        ax.set_ylabel(what)
        ax.legend()
    ax_phi.set_title("Activation functions")
    ax_dphi.set_title("Their derivatives (closed forms)")
    fig.tight_layout()
    return fig
