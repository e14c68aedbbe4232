"""The checks of chapter 2 accept right answers written independently and reject typical wrong ones."""

import numpy as np
import pytest
import torch

from course_lib import checks


# --- right answers, written as a student would (not the references of course_lib) ------
def n_parameters(sizes):
    return sum(n_out * n_in + n_out for n_in, n_out in zip(sizes[:-1], sizes[1:]))


def mlp_forward(x, weights, biases):
    h = torch.from_numpy(x)
    for l, (w, b) in enumerate(zip(weights, biases)):
        a = torch.from_numpy(b) + h @ torch.from_numpy(w).T
        h = torch.tanh(a) if l < len(weights) - 1 else a
    return h


def sigmoid_derivative(a):
    t = torch.tensor(a, requires_grad=True)
    torch.sigmoid(t).sum().backward()
    return t.grad


def orthogonality_gap(W):
    return np.sqrt(np.sum((W.T @ W - np.eye(W.shape[1])) ** 2))


def largest_principal_angle(a, b):
    qa, _ = np.linalg.qr(a)
    qb, _ = np.linalg.qr(b)
    cosines = np.linalg.svd(qa.T @ qb, compute_uv=False)
    return np.degrees(np.arccos(np.clip(cosines.min(), -1.0, 1.0)))


def pca_minimum_error(covariance, m):
    # by brute force: the error of the projection on the m leading eigenvectors, from the covariance
    values, vectors = np.linalg.eigh(covariance)
    P = vectors[:, ::-1][:, :m]
    return np.trace(covariance) - np.trace(P.T @ covariance @ P)  # E||X||^2 - E||P'X||^2 (Pythagoras)


def sgd_step(theta, x_batch, y_batch, lr):
    gradient = np.zeros_like(theta)
    for x_i, y_i in zip(x_batch, y_batch):
        gradient += -2 * (y_i - x_i @ theta) * x_i
    return theta - lr * gradient / len(y_batch)


def lr_threshold(hessian):
    return 2 / np.max(np.linalg.eigvals(hessian).real)


def fastest_lr(hessian):
    eigenvalues = np.linalg.eigvals(hessian).real
    return 2 / (eigenvalues.min() + eigenvalues.max())


def gradient_layer_L(weights, biases, x, y):
    params = [torch.tensor(p, requires_grad=True) for p in weights + biases]
    ws, bs = params[:len(weights)], params[len(weights):]
    h = torch.from_numpy(x)
    for l, (w, b) in enumerate(zip(ws, bs)):
        h = b + h @ w.T
        h = torch.tanh(h) if l < len(ws) - 1 else h
    ((torch.from_numpy(y) - h) ** 2).sum().backward()
    return ws[-2].grad


def central_difference(fn, theta, step=1e-5):
    grad = np.zeros(theta.shape)
    flat = grad.reshape(-1)
    for k in range(theta.size):
        e = np.zeros(theta.size)
        e[k] = step
        e = e.reshape(theta.shape)
        flat[k] = (fn(theta + e) - fn(theta - e)) / (2 * step)
    return grad


def backward_step(delta_next, w_next, a):
    return (1 - np.tanh(a) ** 2) * np.einsum("ik,kj->ij", delta_next, w_next)


def softmax_cross_entropy_delta(a, labels):
    scores = torch.tensor(a, requires_grad=True)
    torch.nn.functional.cross_entropy(scores, torch.as_tensor(labels), reduction="sum").backward()
    return scores.grad  # dR/da, R = sum_i -log softmax(a_i)[Y_i]


RIGHT = {
    "n_parameters": n_parameters, "mlp_forward": mlp_forward, "sigmoid_derivative": sigmoid_derivative,
    "orthogonality_gap": orthogonality_gap, "largest_principal_angle": largest_principal_angle,
    "pca_minimum_error": pca_minimum_error,
    "sgd_step": sgd_step, "lr_threshold": lr_threshold, "fastest_lr": fastest_lr,
    "gradient_layer_L": gradient_layer_L, "central_difference": central_difference,
    "backward_step": backward_step, "softmax_cross_entropy_delta": softmax_cross_entropy_delta,
}


def test_every_exercise_has_a_check_and_is_exported():
    from course_lib.checks import backprop, nn

    assert sorted(nn.__all__ + backprop.__all__) == sorted(RIGHT)
    for name in RIGHT:
        topic = nn if name in nn.__all__ else backprop
        assert getattr(checks, name) is getattr(topic, name)


@pytest.mark.parametrize("name", sorted(RIGHT))
def test_right_answers_pass_with_one_line(name, capsys):
    getattr(checks, name)(RIGHT[name])
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"{name}: correct on")


@pytest.mark.parametrize("name", sorted(RIGHT))
def test_an_untouched_stub_says_not_implemented(name, capsys):
    def stub(*args, **kwargs):
        raise NotImplementedError("write your code here")

    getattr(checks, name)(stub)
    out = capsys.readouterr().out
    assert "not implemented yet" in out and "Traceback" not in out


def _sigmoid(a):
    return 1 / (1 + np.exp(-a))


def _tanh_all_layers(x, weights, biases):
    h = x
    for w, b in zip(weights, biases):
        h = np.tanh(h @ w.T + b)
    return h


def _layer_L_no_phi_prime(weights, biases, x, y):
    h = [x]
    for l, (w, b) in enumerate(zip(weights, biases)):
        a = h[-1] @ w.T + b
        h.append(np.tanh(a) if l < len(weights) - 1 else a)
    delta = -2 * (y - h[-1]) @ weights[-1]
    return delta.T @ h[-3]


def _forward_difference(fn, theta, step=1e-5):
    grad = np.zeros(theta.shape)
    for k in np.ndindex(theta.shape):
        e = np.zeros(theta.shape)
        e[k] = step
        grad[k] = (fn(theta + e) - fn(theta)) / step
    return grad


def _naive_softmax(a):  # overflows on large scores: e^1000 = inf, inf / inf = nan
    with np.errstate(over="ignore", invalid="ignore"):
        return np.exp(a) / np.exp(a).sum(axis=1, keepdims=True)


WRONG = [
    ("n_parameters", lambda s: sum(a * b for a, b in zip(s, s[1:])), "add one bias per neuron"),
    ("n_parameters", lambda s: sum(a * b for a, b in zip(s, s[1:])) + sum(s), "input layer has no neurons"),
    ("n_parameters", lambda s: sum(a * (b + 1) for a, b in zip(s, s[1:])), "n_{l-1} (n_l + 1)"),
    ("mlp_forward", _tanh_all_layers, "output layer too"),
    ("mlp_forward", lambda x, w, b: mlp_forward(x, w, [np.zeros_like(v) for v in b]), "biases"),
    ("mlp_forward", lambda x, w, b: mlp_forward(x, w, b)[:, :1], "shape"),
    ("sigmoid_derivative", _sigmoid, "sigma(a) itself"),
    ("sigmoid_derivative", lambda a: 1 - _sigmoid(a) ** 2, "tanh's formula"),
    ("sigmoid_derivative", lambda a: _sigmoid(a) * (1 + _sigmoid(a)), "(1 - sigma(a))"),
    ("orthogonality_gap", lambda W: np.linalg.norm(W @ W.T - np.eye(len(W))), "WW' - I_n"),
    ("orthogonality_gap", lambda W: np.linalg.norm(W.T @ W - np.eye(W.shape[1])) ** 2, "squared norm"),
    ("orthogonality_gap", lambda W: np.linalg.norm(W.T @ W), "subtract the identity"),
    ("largest_principal_angle", lambda a, b: np.radians(largest_principal_angle(a, b)), "radians"),
    ("largest_principal_angle",
     lambda a, b: np.degrees(np.arccos(np.clip(np.linalg.svd(np.linalg.qr(a)[0].T @ np.linalg.qr(b)[0],
                                                             compute_uv=False).max(), -1, 1))), "smallest angle"),
    ("largest_principal_angle",
     lambda a, b: np.degrees(np.arccos(np.clip(np.linalg.svd(a.T @ b, compute_uv=False).min(), -1, 1))),
     "not orthonormalised"),
    ("pca_minimum_error", lambda c, m: np.trace(c) - pca_minimum_error(c, m), "the variance kept"),
    ("pca_minimum_error", lambda c, m: np.sort(np.linalg.eigvalsh(c))[:m].sum(), "n - m directions"),
    ("pca_minimum_error", lambda c, m: np.sort(np.diag(c))[: len(c) - m].sum(), "diagonal of S"),
    ("pca_minimum_error", lambda c, m: np.sort(np.linalg.eigvalsh(c))[::-1][m], "only lambda_{m+1}"),
    ("sgd_step", lambda t, x, y, lr: sgd_step(t, x, y, lr * len(y)), "sum over the batch"),
    ("sgd_step", lambda t, x, y, lr: 2 * t - sgd_step(t, x, y, lr), "a step up the gradient"),
    ("sgd_step", lambda t, x, y, lr: sgd_step(t, x, y, lr / 2), "missing factor 2"),
    ("sgd_step", lambda t, x, y, lr: sgd_step(t, x, y, lr)[:1], "shape"),
    ("lr_threshold", lambda h: 1 / np.max(np.linalg.eigvalsh(h)), "1/lambda_max"),
    ("lr_threshold", lambda h: 2 / np.min(np.linalg.eigvalsh(h)), "2/lambda_min"),
    ("lr_threshold", lambda h: 2 / np.max(np.diag(h)), "diagonal"),
    ("fastest_lr", lr_threshold, "edge of divergence"),
    ("fastest_lr", lambda h: 1 / np.max(np.linalg.eigvalsh(h)), "1/lambda_max"),
    ("fastest_lr", lambda h: 1 / np.min(np.linalg.eigvalsh(h)), "1/lambda_min"),
    ("gradient_layer_L", lambda *args: -gradient_layer_L(*args), "wrong sign"),
    ("gradient_layer_L", _layer_L_no_phi_prime, "phi'(a^(L))"),
    ("gradient_layer_L", lambda *args: 0.5 * gradient_layer_L(*args), "factor 2"),
    ("gradient_layer_L", lambda *args: gradient_layer_L(*args).T, "shape"),
    ("central_difference", _forward_difference, "one-sided"),
    ("central_difference", lambda fn, t, step=1e-5: 2 * central_difference(fn, t, step), "instead of 2 * step"),
    ("central_difference", lambda fn, t, step=1e-5: -central_difference(fn, t, step), None),
    ("backward_step", lambda d, w, a: d @ w, "left out"),
    ("backward_step", lambda d, w, a: (d @ w) * np.tanh(a), "instead of phi'(a)"),
    ("backward_step", lambda d, w, a: (d @ w) * (1 - a**2), "apply tanh before squaring"),
    ("backward_step", lambda d, w, a: (d @ w).T, "shape"),
    ("softmax_cross_entropy_delta", lambda a, y: softmax_cross_entropy_delta(a, y).numpy() + np.eye(a.shape[1])[y],
     "the softmax f(X_i) only"),
    ("softmax_cross_entropy_delta", lambda a, y: -softmax_cross_entropy_delta(a, y), "a wrong sign"),
    ("softmax_cross_entropy_delta",
     lambda a, y: -np.eye(a.shape[1])[y] / (softmax_cross_entropy_delta(a, y).numpy() + np.eye(a.shape[1])[y]),
     "derivative with respect to f"),
    ("softmax_cross_entropy_delta", lambda a, y: _naive_softmax(a) - np.eye(a.shape[1])[y], None),
    ("softmax_cross_entropy_delta",
     lambda a, y: (lambda f: f * (1 - f))(softmax_cross_entropy_delta(a, y).numpy() + np.eye(a.shape[1])[y])
     - np.eye(a.shape[1])[y], "depends on every a_j"),

]


@pytest.mark.parametrize("name, wrong, hint", WRONG, ids=[f"{n}-{k}" for k, (n, _, _) in enumerate(WRONG)])
def test_typical_mistakes_are_rejected_with_a_hint(name, wrong, hint):
    with pytest.raises(AssertionError) as failure:
        getattr(checks, name)(wrong)
    message = str(failure.value)
    assert message.startswith(f"{name}: case") and "expected" in message and "got" in message
    if hint:
        assert hint in message


def test_at_least_three_typical_mistakes_per_check():
    counts = {name: sum(1 for n, _, _ in WRONG if n == name) for name in RIGHT}
    assert min(counts.values()) >= 3, counts
