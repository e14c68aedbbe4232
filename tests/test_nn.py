"""Tests of course_lib.nn against independent answers (numpy recurrences, least squares, hand-written SGD)."""

import math

import numpy as np
import pytest
import torch

from course_lib import nn as cnn


def _linear_data(n_obs=60, n=3, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n_obs, n))
    y = x @ np.array([1.0, -2.0, 0.5])[:n] + 0.3 + 0.1 * rng.normal(size=n_obs)
    return x, y


def test_n_parameters_matches_torch_count():
    for sizes in ([4, 3], [4, 16, 3], [64, 32, 8, 2, 8, 32, 64]):
        model = cnn.MLP(sizes)
        assert cnn.n_parameters(sizes) == sum(p.numel() for p in model.parameters())
    assert cnn.n_parameters([2, 3, 1]) == 3 * 3 + 1 * 4  # by hand: 3*(2+1) + 1*(3+1)


@pytest.mark.parametrize("activation, phi", [("tanh", np.tanh), ("relu", lambda a: np.maximum(a, 0)),
                                             ("sigmoid", lambda a: 1 / (1 + np.exp(-a)))])
def test_mlp_forward_is_the_layer_recurrence(activation, phi):
    model = cnn.MLP([3, 5, 4, 2], activation=activation, output_activation="sigmoid", seed=1).double()
    x = np.random.default_rng(0).normal(size=(7, 3))
    h = x
    layers = model.layers
    for l, layer in enumerate(layers):
        w, b = layer.weight.detach().numpy(), layer.bias.detach().numpy()
        assert w.shape == (model.sizes[l + 1], model.sizes[l])
        a = h @ w.T + b  # a_j = <w_j, h> + b_j
        h = phi(a) if l < len(layers) - 1 else 1 / (1 + np.exp(-a))
    np.testing.assert_allclose(model(torch.from_numpy(x)).detach().numpy(), h, rtol=1e-12)


def test_seed_gives_same_weights_and_leaves_global_rng_alone():
    torch.manual_seed(123)
    expected = torch.rand(1)
    torch.manual_seed(123)
    a, b = cnn.MLP([3, 4, 1], seed=5), cnn.MLP([3, 4, 1], seed=5)
    assert torch.rand(1) == expected
    for p, q in zip(a.parameters(), b.parameters()):
        assert torch.equal(p, q)
    c = cnn.MLP([3, 4, 1], seed=6)
    assert not torch.equal(a.layers[0].weight, c.layers[0].weight)


def test_linear_network_fits_least_squares():
    x, y = _linear_data()
    model = cnn.MLP([3, 1], seed=0).double()
    history = cnn.fit(model, x, y, epochs=2000, lr=0.05, tol=1e-9)
    design = np.hstack([x, np.ones((len(x), 1))])
    coef = np.linalg.lstsq(design, y, rcond=None)[0]
    np.testing.assert_allclose(model.layers[0].weight.detach().numpy().ravel(), coef[:3], atol=1e-4)
    np.testing.assert_allclose(model.layers[0].bias.item(), coef[3], atol=1e-4)
    assert history["converged"] and history["stop_reason"].startswith("converged")
    assert history["epochs"] == len(history["loss"]) < 2000  # stopped on the criterion, before the maximum
    assert history["loss"][-1] == pytest.approx(np.mean((y - design @ coef) ** 2), rel=1e-4)


def test_minibatch_sgd_is_the_lecture_update():
    """theta := theta - rho (1/b) sum_{i in B} grad Loss_i, batches from a seeded shuffle."""
    x, y = _linear_data(n_obs=10)
    model = cnn.MLP([3, 1], seed=0).double()
    w = model.layers[0].weight.detach().numpy().ravel().copy()
    b = model.layers[0].bias.item()
    lr, batch_size, epochs = 0.1, 4, 3
    cnn.fit(model, x, y, epochs=epochs, lr=lr, batch_size=batch_size, optimizer="gd", seed=7, tol=None)
    generator = torch.Generator().manual_seed(7)
    for _ in range(epochs):
        perm = torch.randperm(10, generator=generator).numpy()
        for k in range(0, 10, batch_size):  # batches of 4, 4 and 2 rows
            batch = perm[k:k + batch_size]
            residual = y[batch] - x[batch] @ w - b
            w = w + lr * 2 * residual @ x[batch] / len(batch)  # -rho * gradient of the mean
            b = b + lr * 2 * residual.mean()
    np.testing.assert_allclose(model.layers[0].weight.detach().numpy().ravel(), w, rtol=1e-10)
    np.testing.assert_allclose(model.layers[0].bias.item(), b, rtol=1e-10)


def test_classification_learns_separable_classes():
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 3, size=150)
    centres = np.array([[0.0, 3.0], [3.0, -2.0], [-3.0, -2.0]])
    x = centres[labels] + rng.normal(size=(150, 2))
    model = cnn.MLP([2, 8, 3], seed=0)
    history = cnn.fit(model, x, labels, loss="cross_entropy", epochs=100, lr=0.05, tol=None)
    assert history["loss"][-1] < 0.2 * history["loss"][0]
    assert cnn.accuracy(model, x, labels) > 0.95
    logits = torch.as_tensor(cnn.predict(model, x))
    assert cnn.evaluate(model, x, labels, loss="cross_entropy") == pytest.approx(
        float(-torch.log_softmax(logits, 1)[torch.arange(150), torch.as_tensor(labels)].mean()), rel=1e-5)


def test_autoencoder_shapes_and_linear_case():
    ae = cnn.Autoencoder(6, 2, hidden=(5,), seed=0)
    x = torch.randn(4, 6)
    assert ae.encode(x).shape == (4, 2) and ae(x).shape == (4, 6)
    assert ae.encoder.sizes == [6, 5, 2] and ae.decoder.sizes == [2, 5, 6]
    linear = cnn.Autoencoder(6, 2, hidden=(), seed=0)
    (e,), (d,) = linear.encoder.layers, linear.decoder.layers
    np.testing.assert_allclose(linear(x).detach().numpy(),
                               ((x @ e.weight.T + e.bias) @ d.weight.T + d.bias).detach().numpy(), atol=1e-6)


def test_autoencoder_fit_reduces_reconstruction_error_and_validation():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(200, 2)) @ rng.normal(size=(2, 5))  # data on a plane of R^5
    ae = cnn.Autoencoder(5, 2, hidden=(), seed=0)
    history = cnn.fit(ae, x, epochs=300, lr=0.02, validation=(x[:50], None), tol=None)
    assert history["loss"][-1] < 1e-3 * history["loss"][0]
    assert len(history["val_loss"]) == 300
    assert history["val_loss"][-1] == pytest.approx(cnn.evaluate(ae, x[:50]), rel=1e-6)


def test_divergence_is_reported_not_raised():
    x, y = _linear_data()
    with pytest.warns(UserWarning, match="diverged.*lower lr"):
        history = cnn.fit(cnn.MLP([3, 1], seed=0), x, 1e3 * y, epochs=500, lr=10.0, optimizer="gd")
    assert history["diverged"] and not history["converged"] and not math.isfinite(history["loss"][-1])
    assert len(history["loss"]) < 500


@pytest.mark.parametrize("optimizer", cnn.OPTIMIZERS)
def test_every_optimizer_decreases_the_loss(optimizer):
    x, y = _linear_data()
    history = cnn.fit(cnn.MLP([3, 1], seed=0), x, y, epochs=50, lr=0.01, optimizer=optimizer, tol=None)
    assert history["loss"][-1] < history["loss"][0]


def test_errors_say_what_is_allowed():
    x, y = _linear_data()
    model = cnn.MLP([3, 1])
    with pytest.raises(ValueError, match="unknown activation 'swish'"):
        cnn.MLP([3, 1], activation="swish")
    with pytest.raises(ValueError, match="must be an integer >= 1"):
        cnn.MLP([3, 0, 1])
    with pytest.raises(ValueError, match="at least"):
        cnn.MLP([3])
    with pytest.raises(ValueError, match="1 <= m < n = 3"):
        cnn.Autoencoder(3, 3)
    with pytest.raises(ValueError, match="lr must be > 0"):
        cnn.fit(model, x, y, lr=-0.1)
    with pytest.raises(ValueError, match="lr must be > 0"):
        cnn.fit(model, x, y, lr=0)
    with pytest.raises(ValueError, match="unknown optimizer"):
        cnn.fit(model, x, y, optimizer="lbfgs")
    with pytest.raises(ValueError, match="unknown loss"):
        cnn.fit(model, x, y, loss="l1")
    with pytest.raises(ValueError, match="batch_size"):
        cnn.fit(model, x, y, batch_size=0)
    with pytest.raises(ValueError, match="rows"):
        cnn.fit(model, x, y[:-1])
    with pytest.raises(ValueError, match="2-D"):
        cnn.fit(model, x[:, 0], y)
    with pytest.raises(ValueError, match=r"shape \(N_obs, 3\)"):
        model(torch.zeros(2, 4))
    with pytest.raises(TypeError, match="torch.nn.Module"):
        cnn.fit("model", x, y)


@pytest.mark.parametrize("optimizer", cnn.OPTIMIZERS)
def test_optimizer_matches_torch_optim(optimizer):
    """Our written-out update rules give the iterates of torch.optim on a small network."""
    x, y = _linear_data()
    ours, theirs = cnn.MLP([3, 4, 1], seed=0).double(), cnn.MLP([3, 4, 1], seed=0).double()
    opt_ours = cnn.Optimizer(ours.parameters(), optimizer, lr=0.05)
    if optimizer == "adam":
        opt_theirs = torch.optim.Adam(theirs.parameters(), lr=0.05)
    else:
        opt_theirs = torch.optim.SGD(theirs.parameters(), lr=0.05, momentum=0.0 if optimizer == "gd" else 0.9,
                                     nesterov=optimizer == "nesterov")
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)[:, None]
    for _ in range(15):
        for model, opt in ((ours, opt_ours), (theirs, opt_theirs)):
            opt.zero_grad()
            ((yt - model(xt)) ** 2).mean().backward()
            opt.step()
    for p, q in zip(ours.parameters(), theirs.parameters()):
        torch.testing.assert_close(p, q, rtol=1e-12, atol=1e-14)


def test_optimizer_follows_a_changing_learning_rate_like_torch_optim():
    """The VAE and Bayes-by-backprop loops change lr between steps (a decreasing rho)."""
    gen = torch.Generator().manual_seed(0)
    start = torch.randn(2, 5, generator=gen, dtype=torch.float64)
    target = torch.randn(2, 5, generator=gen, dtype=torch.float64)
    a, b = torch.nn.Parameter(start.clone()), torch.nn.Parameter(start.clone())
    ours, reference = cnn.Optimizer([a], "adam", lr=0.1), torch.optim.Adam([b], lr=0.1)
    for step in range(30):
        for p, opt in ((a, ours), (b, reference)):
            opt.zero_grad()
            ((p - target) ** 4).sum().backward()
        ours.lr = reference.param_groups[0]["lr"] = 0.1 * 0.9**step
        ours.step()
        reference.step()
    torch.testing.assert_close(a, b, rtol=1e-10, atol=1e-12)
    assert not torch.allclose(a, start)
