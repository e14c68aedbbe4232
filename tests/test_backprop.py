"""Tests of course_lib.backprop against torch.autograd, finite differences and closed forms."""

import numpy as np
import pytest
import torch

from course_lib import backprop as bp
from course_lib import nn as cnn


def _problem(sizes, seed=0, n_obs=15):
    rng = np.random.default_rng(seed)
    weights, biases = bp.init_parameters(sizes, seed=seed)
    biases = [rng.normal(size=b.shape) for b in biases]  # non-zero biases test their gradient too
    x = rng.normal(size=(n_obs, sizes[0]))
    y = rng.normal(size=(n_obs, sizes[-1]))
    return weights, biases, x, y


@pytest.mark.parametrize("activation", ["tanh", "sigmoid", "relu", "softplus"])
@pytest.mark.parametrize("sizes", [[3, 2], [3, 4, 2], [4, 6, 5, 3, 1]])
def test_gradients_match_autograd(sizes, activation):
    weights, biases, x, y = _problem(sizes)
    grad_w, grad_b = bp.gradients(weights, biases, x, y, activation=activation)
    ref_w, ref_b = bp.autograd_gradients(weights, biases, x, y, activation=activation)
    for g, r in zip(grad_w + grad_b, ref_w + ref_b):
        assert g.shape == r.shape
        np.testing.assert_allclose(g, r, rtol=1e-10, atol=1e-12)


def test_autograd_reference_is_torch_mlp():
    """The reference itself agrees with a course_lib.nn.MLP holding the same parameters."""
    weights, biases, x, y = _problem([3, 5, 2])
    model = cnn.MLP([3, 5, 2], activation="tanh").double()
    with torch.no_grad():
        for layer, w, b in zip(model.layers, weights, biases):
            layer.weight.copy_(torch.from_numpy(w))
            layer.bias.copy_(torch.from_numpy(b))
    r = ((torch.from_numpy(y) - model(torch.from_numpy(x))) ** 2).sum()
    r.backward()
    grad_w, grad_b = bp.gradients(weights, biases, x, y)
    for layer, gw, gb in zip(model.layers, grad_w, grad_b):
        np.testing.assert_allclose(layer.weight.grad.numpy(), gw, rtol=1e-10)
        np.testing.assert_allclose(layer.bias.grad.numpy(), gb, rtol=1e-10)
    assert bp.loss(weights, biases, x, y) == pytest.approx(r.item(), rel=1e-12)


@pytest.mark.parametrize("activation", ["tanh", "sigmoid"])
def test_gradients_match_central_differences(activation):
    weights, biases, x, y = _problem([3, 4, 4, 2], seed=1)
    grads = bp.gradients(weights, biases, x, y, activation=activation)
    fd = bp.finite_difference_gradients(weights, biases, x, y, activation=activation)
    assert bp.relative_error(grads[0] + grads[1], fd[0] + fd[1]) < 1e-8


def test_finite_differences_detect_a_wrong_gradient():
    weights, biases, x, y = _problem([3, 4, 2], seed=2)
    grad_w, grad_b = bp.gradients(weights, biases, x, y)
    fd = bp.finite_difference_gradients(weights, biases, x, y)
    wrong = [0.5 * g for g in grad_w]  # e.g. forgetting the factor 2 of the square
    assert bp.relative_error(wrong, fd[0]) == pytest.approx(0.5, rel=1e-6)


def test_one_linear_layer_is_least_squares_gradient():
    """L = 0 hidden layers: dR/dw = -2 sum_i (y_i - w x_i - b) x_i', dR/db = -2 sum_i (y_i - w x_i - b)."""
    weights, biases, x, y = _problem([3, 2])
    residual = y - x @ weights[0].T - biases[0]
    grad_w, grad_b = bp.gradients(weights, biases, x, y, activation="relu")
    np.testing.assert_allclose(grad_w[0], -2 * residual.T @ x, rtol=1e-12)
    np.testing.assert_allclose(grad_b[0], -2 * residual.sum(axis=0), rtol=1e-12)


def test_forward_shapes_and_values():
    weights, biases, x, _ = _problem([3, 5, 4, 2])
    a, hidden = bp.forward(weights, biases, x, activation="sigmoid")
    assert [t.shape for t in a] == [(15, 5), (15, 4), (15, 2)]
    assert [t.shape for t in hidden] == [(15, 3), (15, 5), (15, 4), (15, 2)]
    np.testing.assert_allclose(hidden[1], 1 / (1 + np.exp(-(x @ weights[0].T + biases[0]))), rtol=1e-12)
    np.testing.assert_allclose(hidden[-1], a[-1])  # psi = identity


@pytest.mark.parametrize("name", ["tanh", "sigmoid", "relu", "softplus"])
def test_activation_derivatives_match_autograd(name):
    phi, dphi = bp.activation_pair(name)
    a = torch.linspace(-4, 4, 81, dtype=torch.float64)
    a = a[a != 0]  # relu has no derivative at 0
    t = a.clone().requires_grad_(True)
    out = {"tanh": torch.tanh, "sigmoid": torch.sigmoid, "relu": torch.relu,
           "softplus": torch.nn.functional.softplus}[name](t)
    out.sum().backward()
    np.testing.assert_allclose(phi(a.numpy()), out.detach().numpy(), rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(dphi(a.numpy()), t.grad.numpy(), rtol=1e-12, atol=1e-15)


def test_gradient_descent_on_linear_model_is_closed_form():
    """One linear layer: theta_t - theta* = (I - 2 lr X'X / N)^t (theta_0 - theta*) on centred x."""
    weights, biases, x, y = _problem([2, 1], n_obs=40)
    x = x - x.mean(axis=0)
    w, b, losses = bp.gradient_descent(weights, biases, x, y, lr=0.1, epochs=30)
    w_star = np.linalg.lstsq(x, y - y.mean(), rcond=None)[0].T  # (1, 2)
    contraction = np.linalg.matrix_power(np.eye(2) - 2 * 0.1 * x.T @ x / 40, 30)
    np.testing.assert_allclose(w[0], w_star + (weights[0] - w_star) @ contraction.T, rtol=1e-10)
    np.testing.assert_allclose(b[0], y.mean() + (biases[0] - y.mean()) * (1 - 2 * 0.1) ** 30, rtol=1e-10)
    assert losses.shape == (30,) and np.all(np.diff(losses) < 0)


def test_gradient_descent_same_curve_with_autograd():
    weights, biases, x, y = _problem([3, 8, 1])
    _, _, by_hand = bp.gradient_descent(weights, biases, x, y, lr=0.05, epochs=20)
    _, _, by_torch = bp.gradient_descent(weights, biases, x, y, lr=0.05, epochs=20,
                                         gradient=bp.autograd_gradients)
    np.testing.assert_allclose(by_hand, by_torch, rtol=1e-10)


def test_cost_of_gradients_reports_counts():
    weights, biases, x, y = _problem([2, 3, 1])
    cost = bp.cost_of_gradients(weights, biases, x, y, repeat=1)
    assert cost["n_parameters"] == 3 * 3 + 4
    assert cost["n_forward_finite_difference"] == 2 * 13
    assert cost["finite_difference_seconds"] > 0 and cost["backprop_seconds"] > 0


def test_errors_say_what_is_wrong():
    weights, biases, x, y = _problem([3, 4, 2])
    with pytest.raises(ValueError, match="unknown activation 'swish'"):
        bp.gradients(weights, biases, x, y, activation="swish")
    with pytest.raises(ValueError, match="unknown activation 'identity'"):
        bp.gradients(weights, biases, x, y, activation="identity")  # hidden layers need a non-linearity
    with pytest.raises(ValueError, match=r"weights\[0\] must have shape \(n_1, 3\)"):
        bp.gradients([weights[0].T, weights[1]], biases, x, y)
    with pytest.raises(ValueError, match=r"biases\[1\] must have shape \(2,\)"):
        bp.gradients(weights, [biases[0], np.zeros(3)], x, y)
    with pytest.raises(ValueError, match=r"y must have shape \(N_obs, n_\{L\+1\}\) = \(15, 2\)"):
        bp.gradients(weights, biases, x, y[:, :1])
    with pytest.raises(ValueError, match="x must be a 2-D array"):
        bp.forward(weights, biases, x[0])
    with pytest.raises(ValueError, match="same length"):
        bp.gradients(weights, biases[:1], x, y)
    with pytest.raises(ValueError, match="lr must be > 0"):
        bp.gradient_descent(weights, biases, x, y, lr=0.0, epochs=2)
    with pytest.raises(ValueError, match="step must be > 0"):
        bp.finite_difference_gradients(weights, biases, x, y, step=-1e-5)


def test_plot_activations_labels_axes():
    fig = bp.plot_activations(["tanh", "relu"])
    for ax in fig.axes:
        assert ax.get_xlabel() and ax.get_ylabel() and len(ax.get_lines()) == 2
