"""Tests of course_lib.core and course_lib.training: checks, activations, Gaussian formulas, the loop."""

import math

import numpy as np
import pytest
import torch
from torch.distributions import Normal, kl_divergence

from course_lib import core, nn, training, vae


def test_number_checks_share_one_rule():
    assert core.check_positive("lr", np.float32(0.01)) == pytest.approx(0.01)
    assert core.check_count("epochs", np.int64(3)) == 3
    for bad in (True, 0, -1.0, float("nan"), float("inf"), "1"):
        with pytest.raises(ValueError, match="lr must be > 0"):
            core.check_positive("lr", bad)
    for bad in (True, 2.5, 0, "3"):
        with pytest.raises(ValueError, match="epochs must be an integer >= 1"):
            core.check_count("epochs", bad)
    with pytest.raises(ValueError, match=r"1 <= m < n = 4"):
        core.check_latent_dim(4, 4)
    assert core.check_latent_dim(4, 4, full=True) == 4
    with pytest.raises(ValueError, match="unknown optimizer 'sgd'; choose one of gd"):
        core.check_choice("optimizer", "sgd", training.OPTIMIZERS)


def test_numpy_scalars_are_accepted_by_every_fit():
    """issue 14: vae.fit refused lr=np.float32(0.01) while nn.fit accepted it."""
    x = np.random.default_rng(0).normal(size=(20, 3))
    nn.fit(nn.MLP([3, 1]), x, x[:, 0], epochs=np.int64(2), lr=np.float32(0.01), tol=None)
    vae.fit(vae.VAE(3, 1, hidden=()), x, epochs=np.int64(2), lr=np.float32(0.01), tol=None)


def test_as_array_and_as_tensor_check_shape_and_values():
    assert core.as_tensor([[1, 2]], dtype=torch.float64).dtype == torch.float64
    with pytest.raises(ValueError, match="x must be a 2-D array"):
        core.as_array([1.0, 2.0])
    with pytest.raises(ValueError, match="NaN or infinite"):
        core.as_array([[1.0, np.nan]])
    with pytest.raises(ValueError, match="n = 3 columns"):
        core.as_array(np.zeros((2, 2)), n_features=3)
    with pytest.raises(ValueError, match="array of numbers"):
        core.as_array([["a"]])


@pytest.mark.parametrize("name", list(core.ACTIVATIONS))
def test_activation_table_agrees_with_itself_and_autograd(name):
    act = core.ACTIVATIONS[name]
    a = torch.linspace(-6, 6, 1201, dtype=torch.float64)
    a = a[a != 0]  # relu has no derivative at 0
    a_grad = a.clone().requires_grad_(True)
    act.torch(a_grad).sum().backward()
    np.testing.assert_allclose(act.numpy(a.numpy()), act.torch(a).numpy(), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(act.derivative(a.numpy()), a_grad.grad.numpy(), rtol=1e-10, atol=1e-14)


def test_gaussian_formulas_match_torch_distributions():
    gen = torch.Generator().manual_seed(0)
    x, mean = torch.randn(2, 7, 5, generator=gen, dtype=torch.float64)
    expected = Normal(mean, math.sqrt(0.4)).log_prob(x).sum(-1)
    torch.testing.assert_close(core.gaussian_log_likelihood(x, mean, 0.4), expected)
    std = torch.rand(7, 5, generator=gen, dtype=torch.float64) + 0.1
    for prior_std in (1.0, 2.5):
        expected = kl_divergence(Normal(mean, std), Normal(0.0, prior_std))
        torch.testing.assert_close(core.gaussian_kl(mean, std, prior_std, dim=None), expected)
        torch.testing.assert_close(core.gaussian_kl(mean, std, prior_std), expected.sum(-1))


def test_relative_change_is_the_stated_criterion():
    values = [10.0] * 5 + [9.0] * 5
    assert training.relative_change(values[:9], 5) == math.inf
    assert training.relative_change(values, 5) == pytest.approx(1.0 / 9.5)
    vectors = [np.array([1.0, -4.0])] * 3 + [np.array([1.5, -4.0])] * 3
    assert training.relative_change(vectors, 3) == pytest.approx(0.5 / 4.0)


def _quadratic(target):
    theta = torch.nn.Parameter(torch.zeros_like(target))
    return theta, lambda rows, generator: {"loss": ((theta - target) ** 2).sum()}


def test_train_stops_on_the_criterion_and_records_why():
    theta, loss_terms = _quadratic(torch.tensor([1.0, -2.0], dtype=torch.float64))
    history = training.train(loss_terms, [theta], 1, epochs=5000, lr=0.1, optimizer="gd", tol=1e-6, window=5)
    assert history["converged"] and not history["diverged"]
    assert history["epochs"] == len(history["loss"]) < 5000
    assert "relative change of the 5-epoch mean loss <= tol = 1e-06" in history["stop_reason"]
    assert training.relative_change(history["loss"], 5) <= 1e-6 < training.relative_change(history["loss"][:-1], 5)
    torch.testing.assert_close(theta.detach(), torch.tensor([1.0, -2.0], dtype=torch.float64), atol=1e-3, rtol=0)


def test_train_warns_when_the_maximum_comes_first():
    theta, loss_terms = _quadratic(torch.tensor([1.0], dtype=torch.float64))
    with pytest.warns(UserWarning, match=r"not converged: relative change .* tol = 1e-12.*raise epochs"):
        history = training.train(loss_terms, [theta], 1, epochs=30, lr=0.01, optimizer="gd", tol=1e-12, window=5)
    assert not history["converged"] and history["epochs"] == 30
    assert history["stop_reason"].startswith("not converged")


def test_settle_phase_decays_lr_and_averages_the_iterates():
    """After the constant phase: lr * (1 - j/J) per step (linear), and eta = mean of the settle iterates."""
    target = torch.tensor([3.0], dtype=torch.float64)
    theta, loss_terms = _quadratic(target)
    history = training.train(loss_terms, [theta], 1, epochs=30, lr=0.1, optimizer="gd", tol=None, settle=0.5,
                         average=True)
    assert history["epochs"] == 20 + 10
    value, lrs, iterates = 0.0, [0.1] * 20 + [0.1 * (1 - j / 10) for j in range(10)], []
    for k, lr in enumerate(lrs):  # gd on (theta - 3)^2: theta := theta - lr * 2 (theta - 3)
        value -= lr * 2 * (value - 3.0)
        if k >= 20:
            iterates.append(value)
    assert theta.item() == pytest.approx(np.mean(iterates), rel=1e-12)


def test_a_converged_run_with_a_settle_phase_says_when_the_criterion_held():
    """The criterion is checked in phase 1 only: the stop reason counts the two phases apart."""
    theta, loss_terms = _quadratic(torch.tensor([1.0, -2.0], dtype=torch.float64))
    history = training.train(loss_terms, [theta], 1, epochs=5000, lr=0.1, optimizer="gd", tol=1e-6, window=5,
                             settle=1.5, average=True)
    phase_1 = next(k for k in range(10, len(history["loss"]) + 1)
                   if training.relative_change(history["loss"][:k], 5) <= 1e-6)
    assert history["converged"] and history["epochs"] == phase_1 + round(1.5 * phase_1)
    assert history["stop_reason"].endswith(
        f"after {phase_1} epochs, then {round(1.5 * phase_1)} epochs of decreasing lr with averaged iterates "
        f"({history['epochs']} in all)")


def test_check_settings_names_the_expected_dataclass():
    import dataclasses

    from course_lib.core import check_settings

    @dataclasses.dataclass(frozen=True)
    class PageSettings:
        epochs: int = 10

    check_settings(PageSettings(), PageSettings)
    with pytest.raises(ValueError, match="settings must be a PageSettings .*got dict"):
        check_settings({"epochs": 10}, PageSettings)
