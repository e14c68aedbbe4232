"""Checks of the exercises of chapter 2.4 (backpropagation)."""

from __future__ import annotations

import numpy as np

from course_lib import backprop
from course_lib.checks._core import Case, check_function
from course_lib.checks.nn import random_tanh_network

__all__ = ["gradient_layer_L", "central_difference", "backward_step", "softmax_cross_entropy_delta"]


def _gradient_layer_L(weights, biases, x, y):
    return backprop.gradients(weights, biases, x, y, activation="tanh")[0][-2]


def gradient_layer_L(student) -> None:
    """Check ``student(weights, biases, x, y)`` = dR/dw^(L) (shape (n_L, n_{L-1})), tanh hidden layers, Y scalar."""
    rng = np.random.default_rng(8)
    cases = []
    for sizes, n_obs in [([2, 3, 1], 1), ([3, 4, 1], 5), ([3, 5, 4, 1], 8), ([4, 6, 6, 6, 1], 12)]:
        weights, biases, x = random_tanh_network(rng, sizes, n_obs)
        cases.append(Case((weights, biases, x, rng.normal(size=(n_obs, 1))),
                          description=f"sizes {sizes}, {n_obs} observations"))

    def no_phi_prime(weights, biases, x, y):
        a, hidden = backprop.forward(weights, biases, x)
        delta = -2 * (y - hidden[-1]) * weights[-1]  # (N, n_L): phi'(a^(L)) forgotten
        return delta.T @ hidden[-3]

    hints = {"a wrong sign: dR_i/df = -2 (Y_i - f(X_i))": lambda *args: -_gradient_layer_L(*args),
             "phi'(a^(L)) was left out of the chain rule": no_phi_prime,
             "the gradient of R/2 (a missing factor 2)": lambda *args: 0.5 * _gradient_layer_L(*args)}
    check_function(student, _gradient_layer_L, cases, name="gradient_layer_L",
                   what="sum_i -2 (Y_i - f) psi' w_j^(L+1) phi'(a_j^(L)) h_m^(L-1)", hints=hints)


def _central_difference(fn, theta, step=1e-5):
    theta = np.asarray(theta, dtype=np.float64)
    grad = np.zeros_like(theta)
    for k in np.ndindex(theta.shape):
        e = np.zeros_like(theta)
        e[k] = step
        grad[k] = (fn(theta + e) - fn(theta - e)) / (2 * step)
    return grad


def _exact_gradients():
    a = np.array([[3.0, 1.0], [1.0, 2.0]])
    return [
        (lambda t: float(t @ a @ t), lambda t: 2 * a @ t, np.array([0.5, -1.0]), "a quadratic t'At"),
        (lambda t: float(np.sum(np.sin(t))), np.cos, np.linspace(-2, 2, 5), "sum of sin"),
        (lambda t: float(np.sum(t**3)), lambda t: 3 * t**2, np.array([[1.0, 2.0], [-1.0, 0.5]]), "sum of cubes, 2 x 2"),
    ]


def central_difference(student) -> None:
    """Check ``student(fn, theta, step=1e-5)`` = the central differences (fn(theta + s e_k) - fn(theta - s e_k)) / 2s."""
    functions = _exact_gradients()
    exact = {id(fn): grad for fn, grad, _, _ in functions}
    check_cases = [Case((fn, theta), description=text) for fn, _, theta, text in functions]

    def reference(fn, theta, step=1e-5):
        return exact[id(fn)](theta)  # the true gradient: central differences agree to ~1e-10

    def forward_difference(fn, theta, step=1e-5):
        grad = np.zeros_like(theta)
        for k in np.ndindex(theta.shape):
            e = np.zeros_like(theta)
            e[k] = step
            grad[k] = (fn(theta + e) - fn(theta)) / step
        return grad

    hints = {"a one-sided difference (fn(theta + s e_k) - fn(theta)) / s: its error is O(s), not O(s^2)":
                 forward_difference,
             "a division by step instead of 2 * step": lambda fn, theta, step=1e-5: 2 * _central_difference(fn, theta, step)}
    check_function(student, reference, check_cases, name="central_difference",
                   what="agrees with the exact gradient to 1e-7", hints=hints, rtol=1e-7, atol=1e-9)


def _backward_step(delta_next, w_next, a):
    return (delta_next @ w_next) * (1.0 - np.tanh(a) ** 2)


def backward_step(student) -> None:
    """Check ``student(delta_next, w_next, a)`` = delta^(l) = phi'(a^(l)) * (delta^(l+1) w^(l+1)), phi = tanh, rows = observations."""
    rng = np.random.default_rng(9)
    cases = []
    for n_obs, n_l, n_next in [(1, 3, 2), (5, 4, 1), (7, 6, 3)]:
        cases.append(Case((rng.normal(size=(n_obs, n_next)), rng.normal(size=(n_next, n_l)),
                           rng.normal(size=(n_obs, n_l))),
                          description=f"{n_obs} observations, n_l = {n_l}, n_(l+1) = {n_next}"))
    hints = {"phi'(a^(l)) was left out": lambda d, w, a: d @ w,
             "phi(a) = tanh(a) instead of phi'(a) = 1 - tanh(a)^2": lambda d, w, a: (d @ w) * np.tanh(a),
             "phi'(a) = 1 - a^2: apply tanh before squaring": lambda d, w, a: (d @ w) * (1 - a**2)}
    check_function(student, _backward_step, cases, name="backward_step",
                   what="delta^(l) = (1 - tanh^2 a^(l)) * (delta^(l+1) w^(l+1))", hints=hints)


def _softmax(a):
    a = a - a.max(axis=1, keepdims=True)  # the same softmax, without overflow
    return np.exp(a) / np.exp(a).sum(axis=1, keepdims=True)


def _softmax_cross_entropy_delta(a, labels):
    return _softmax(a) - np.eye(a.shape[1])[labels]  # f(X_i) - e_{Y_i}


def softmax_cross_entropy_delta(student) -> None:
    """Check ``student(a, labels)`` = delta^(L+1) = softmax(a) - onehot(labels) for R_i = -log softmax(a_i)[Y_i]."""
    rng = np.random.default_rng(11)
    cases = [Case((np.zeros((1, 2)), np.array([0])), description="a = (0, 0), Y = 0: delta = (-1/2, 1/2)"),
             Case((rng.normal(size=(4, 3)), np.array([0, 2, 1, 2])), description="4 observations, 3 classes"),
             Case((np.array([[1000.0, 0.0, -1000.0], [0.0, 1.0, 2.0]]), np.array([2, 0])),
                  description="large scores: compute the softmax without overflow"),
             Case((rng.normal(size=(10, 5)), rng.integers(0, 5, 10)), description="10 observations, 5 classes")]
    def derivative_in_f(a, labels):
        with np.errstate(divide="ignore", invalid="ignore"):  # f_k = 0 for very negative scores
            return -np.eye(a.shape[1])[labels] / _softmax(a)

    hints = {"the softmax f(X_i) only: subtract the one-hot vector of the observed class":
                 lambda a, y: _softmax(a),
             "a wrong sign: dR_i/da_k = f_k(X_i) - 1{k = Y_i}": lambda a, y: -_softmax_cross_entropy_delta(a, y),
             "the derivative with respect to f, -1{k = Y_i} / f_k: continue the chain rule through the softmax":
                 derivative_in_f,
             "f_k (1 - f_k) - 1{k = Y_i}: the softmax's k-th output depends on every a_j, not only a_k":
                 lambda a, y: _softmax(a) * (1 - _softmax(a)) - np.eye(a.shape[1])[y]}
    check_function(student, _softmax_cross_entropy_delta, cases, name="softmax_cross_entropy_delta",
                   what="delta^(L+1) = softmax(a) - e_Y, one row per observation", hints=hints, atol=1e-10)
