"""Checks of the exercises of chapter 2 (neural networks, PCA versus autoencoder, optimisation, backpropagation)."""

from __future__ import annotations

import numpy as np

from course_lib import backprop, core, linear, nn
from course_lib.checks._core import Case, check_function

__all__ = [
    "n_parameters", "mlp_forward", "sigmoid_derivative",            # 2.1 neural networks
    "orthogonality_gap", "largest_principal_angle",                 # 2.2 PCA versus autoencoder
    "sgd_step", "lr_threshold", "fastest_lr",                       # 2.3 optimisation
    "gradient_layer_L", "central_difference", "backward_step",      # 2.4 backpropagation
]


def _sigmoid(a):
    return core.ACTIVATIONS["sigmoid"].numpy(a)


def _tanh_network(rng, sizes, n_obs):
    weights, biases = backprop.init_parameters(sizes, seed=int(rng.integers(1000)))
    biases = [rng.normal(size=b.shape) for b in biases]
    return weights, biases, rng.normal(size=(n_obs, sizes[0]))


# --- 2.1 neural networks --------------------------------------------------------------
def n_parameters(student) -> None:
    """Check ``student(sizes)`` = sum_l n_l (n_{l-1} + 1) for sizes = [n_0, ..., n_{L+1}]."""
    cases = [Case(([4, 3],), description="no hidden layer, [4, 3]"),
             Case(([3, 16, 1],), description="[3, 16, 1]"),
             Case(([4, 16, 16, 3],), description="[4, 16, 16, 3]"),
             Case(([64, 32, 2, 32, 64],), description="autoencoder [64, 32, 2, 32, 64]")]
    hints = {
        "the weights only: add one bias per neuron": lambda s: sum(a * b for a, b in zip(s, s[1:])),
        "one bias per input variable too: the input layer has no neurons, so no biases":
            lambda s: sum(a * b for a, b in zip(s, s[1:])) + sum(s),
        "n_{l-1} (n_l + 1): each neuron of layer l has n_{l-1} weights and one bias":
            lambda s: sum(a * (b + 1) for a, b in zip(s, s[1:])),
    }
    check_function(student, nn.n_parameters, cases, name="n_parameters",
                   what="|theta| = sum_l n_l (n_{l-1} + 1)", hints=hints)


def _mlp_forward(x, weights, biases):
    return backprop.forward(weights, biases, x, activation="tanh")[1][-1]


def mlp_forward(student) -> None:
    """Check ``student(x, weights, biases)`` = f(x): tanh hidden layers, identity output, rows of x."""
    rng = np.random.default_rng(3)
    cases = []
    for sizes, n_obs in [([2, 3, 1], 4), ([4, 5, 3, 2], 6), ([3, 2], 5), ([4, 16, 16, 3], 10)]:
        weights, biases, x = _tanh_network(rng, sizes, n_obs)
        cases.append(Case((x, weights, biases), description=f"sizes {sizes}, {n_obs} rows"))

    def tanh_everywhere(x, weights, biases):
        h = x
        for w, b in zip(weights, biases):
            h = np.tanh(h @ w.T + b)
        return h

    def no_bias(x, weights, biases):
        return _mlp_forward(x, weights, [np.zeros_like(b) for b in biases])

    hints = {"tanh applied to the output layer too: psi is the identity here": tanh_everywhere,
             "the biases b^(l) were left out": no_bias}
    check_function(student, _mlp_forward, cases, name="mlp_forward",
                   what="h^(l) = tanh(b^(l) + w^(l) h^(l-1)), f(x) = a^(L+1)", hints=hints)


def _sigmoid_derivative(a):
    return _sigmoid(a) * (1.0 - _sigmoid(a))


def sigmoid_derivative(student) -> None:
    """Check ``student(a)`` = sigma'(a) = sigma(a) (1 - sigma(a)), elementwise."""
    cases = [Case((np.array([0.0, 1.0]),), description="a = 0 and 1 (sigma'(0) = 1/4)"),
             Case((np.linspace(-5, 5, 11),), description="11 values in [-5, 5]"),
             Case((np.array([[-30.0, 30.0], [1.0, -2.0]]),), description="a 2 x 2 array with large |a|")]
    hints = {"sigma(a) itself, not its derivative": _sigmoid,
             "1 - sigma(a)^2 (that is tanh's formula, with sigma)": lambda a: 1 - _sigmoid(a) ** 2,
             "sigma(a) (1 + sigma(a)): the factor is (1 - sigma(a))": lambda a: _sigmoid(a) * (1 + _sigmoid(a))}
    check_function(student, _sigmoid_derivative, cases, name="sigmoid_derivative",
                   what="sigma'(a) = sigma(a)(1 - sigma(a))", hints=hints, atol=1e-12)


# --- 2.2 PCA versus autoencoder -------------------------------------------------------
def _orthogonality_gap(W):
    return float(np.linalg.norm(W.T @ W - np.eye(W.shape[1])))


def orthogonality_gap(student) -> None:
    """Check ``student(W)`` = ||W'W - I_m|| (Frobenius norm) for W of shape (n, m)."""
    rng = np.random.default_rng(4)
    q, _ = np.linalg.qr(rng.normal(size=(6, 2)))
    cases = [Case((q,), description="orthonormal columns: gap 0"),
             Case((rng.normal(size=(5, 2)),), description="a random 5 x 2 matrix"),
             Case((3 * np.eye(4)[:, :3],), description="orthogonal columns of norm 3: gap sqrt(3) x 8"),
             Case((rng.normal(size=(10, 4)),), description="a random 10 x 4 matrix")]
    hints = {"||WW' - I_n||: W'W is the m x m matrix of inner products of the columns":
             lambda W: float(np.linalg.norm(W @ W.T - np.eye(W.shape[0]))),
             "the squared norm": lambda W: _orthogonality_gap(W) ** 2,
             "||W'W||: subtract the identity I_m": lambda W: float(np.linalg.norm(W.T @ W))}
    check_function(student, _orthogonality_gap, cases, name="orthogonality_gap",
                   what="Frobenius norm of W'W - I_m", hints=hints, atol=1e-10)


def _largest_angle(a, b):
    return float(linear.principal_angles(a, b).max())


def largest_principal_angle(student) -> None:
    """Check ``student(a, b)`` = the largest principal angle, in degrees, between span(a) and span(b)."""
    rng = np.random.default_rng(5)
    base = rng.normal(size=(6, 2))
    cases = [Case((base, base @ np.array([[2.0, 1.0], [0.0, 3.0]])), description="same span, other basis: 0 degrees"),
             Case((np.eye(3)[:, :1], np.array([[1.0], [1.0], [0.0]])), description="two lines at 45 degrees"),
             Case((rng.normal(size=(5, 2)), rng.normal(size=(5, 2))), description="two random planes of R^5"),
             Case((np.eye(4)[:, :2], np.eye(4)[:, 2:]), description="orthogonal planes: 90 degrees")]

    def not_orthonormalised(a, b):
        s = np.linalg.svd(a.T @ b, compute_uv=False)
        return float(np.degrees(np.arccos(np.clip(s.min(), -1, 1))))

    hints = {"radians: convert with np.degrees": lambda a, b: np.radians(_largest_angle(a, b)),
             "the smallest angle: the largest is the one that measures the gap between the spaces":
                 lambda a, b: float(linear.principal_angles(a, b).min()),
             "the columns were not orthonormalised (np.linalg.qr) before the SVD": not_orthonormalised}
    check_function(student, _largest_angle, cases, name="largest_principal_angle",
                   what="arccos of the smallest singular value of Qa'Qb, in degrees", hints=hints,
                   rtol=1e-6, atol=1e-5)


# --- 2.3 optimisation ------------------------------------------------------------------
def _sgd_step(theta, x_batch, y_batch, lr):
    return theta - lr * (-2.0 * x_batch.T @ (y_batch - x_batch @ theta) / len(y_batch))


def sgd_step(student) -> None:
    """Check ``student(theta, x_batch, y_batch, lr)`` = theta - lr (1/b) sum_i grad (y_i - <x_i, theta>)^2."""
    rng = np.random.default_rng(6)
    cases = [Case((np.zeros(2), np.array([[1.0, 0.0], [0.0, 1.0]]), np.array([1.0, -1.0]), 0.5),
                  description="by hand: theta = 0, b = 2")]
    for b, p in [(16, 2), (1, 3), (5, 4)]:
        cases.append(Case((rng.normal(size=p), rng.normal(size=(b, p)), rng.normal(size=b), 0.1),
                          description=f"b = {b}, {p} parameters"))
    hints = {"a sum over the batch instead of the mean (1/b)":
                 lambda t, x, y, lr: t - lr * (-2.0 * x.T @ (y - x @ t)),
             "a step up the gradient: theta := theta - rho * gradient, and the gradient is -2 (y - <x, theta>) x":
                 lambda t, x, y, lr: t + lr * (-2.0 * x.T @ (y - x @ t) / len(y)),
             "a missing factor 2 (the derivative of the square)":
                 lambda t, x, y, lr: t - lr * (-x.T @ (y - x @ t) / len(y))}
    check_function(student, _sgd_step, cases, name="sgd_step",
                   what="theta - rho (1/b) sum_{i in B} -2 (y_i - <x_i, theta>) x_i", hints=hints)


def _hessians():
    rng = np.random.default_rng(7)
    cases = [Case((np.diag([1.0, 10.0]),), description="diag(1, 10)"),
             Case((2 * np.array([[1.0, 0.873], [0.873, 1.0]]),), description="the chapter's H = 2 [[1, r], [r, 1]]")]
    m = rng.normal(size=(4, 4))
    cases.append(Case((m @ m.T + 0.1 * np.eye(4),), description="a random 4 x 4 positive definite H"))
    return cases


def _threshold(hessian):
    return 2.0 / np.linalg.eigvalsh(hessian)[-1]


def lr_threshold(student) -> None:
    """Check ``student(hessian)`` = 2 / lambda_max, the largest rho for which gradient descent converges."""
    hints = {"1/lambda_max: that is where oscillation starts, divergence starts at twice it":
                 lambda h: 1.0 / np.linalg.eigvalsh(h)[-1],
             "2/lambda_min: the largest eigenvalue is the binding one":
                 lambda h: 2.0 / np.linalg.eigvalsh(h)[0],
             "2/max(diagonal of H): use the eigenvalues, not the diagonal": lambda h: 2.0 / np.max(np.diag(h))}
    check_function(student, _threshold, _hessians(), name="lr_threshold",
                   what="2 / lambda_max(H)", hints=hints)


def _fastest(hessian):
    eigenvalues = np.linalg.eigvalsh(hessian)
    return 2.0 / (eigenvalues[0] + eigenvalues[-1])


def fastest_lr(student) -> None:
    """Check ``student(hessian)`` = 2 / (lambda_min + lambda_max), the fastest constant rho."""
    hints = {"2/lambda_max: that is the edge of divergence, where the steep direction no longer contracts":
                 _threshold,
             "1/lambda_max: it kills the steep direction in one step but leaves the flat one slow":
                 lambda h: 1.0 / np.linalg.eigvalsh(h)[-1],
             "1/lambda_min: the steep direction diverges": lambda h: 1.0 / np.linalg.eigvalsh(h)[0]}
    check_function(student, _fastest, _hessians(), name="fastest_lr",
                   what="2 / (lambda_min + lambda_max)", hints=hints)


# --- 2.4 backpropagation ----------------------------------------------------------------
def _gradient_layer_L(weights, biases, x, y):
    return backprop.gradients(weights, biases, x, y, activation="tanh")[0][-2]


def gradient_layer_L(student) -> None:
    """Check ``student(weights, biases, x, y)`` = dR/dw^(L) (shape (n_L, n_{L-1})), tanh hidden layers, Y scalar."""
    rng = np.random.default_rng(8)
    cases = []
    for sizes, n_obs in [([2, 3, 1], 1), ([3, 4, 1], 5), ([3, 5, 4, 1], 8), ([4, 6, 6, 6, 1], 12)]:
        weights, biases, x = _tanh_network(rng, sizes, n_obs)
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
