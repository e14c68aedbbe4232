"""Section 2 of the lecture: neural networks, defined layer by layer and fitted to data.

One neuron:   f_j(x) = phi(<w_j, x> + b_j).
Layer l:      h^(l)_j = phi(<w^(l)_j, h^(l-1)> + b^(l)_j),  j = 1..n_l,  h^(0) = x,
              for the L hidden layers l = 1..L, and psi instead of phi on the output
              layer L + 1 (the lecture's indexing, as in the backpropagation slides).
Parameters:   theta = (w^(l)_j, b^(l)_j), so sum_l n_l (n_{l-1} + 1) numbers, l = 1..L+1.
Fit:          theta_hat = argmin_theta sum_i Loss(Y_i - f_theta(X_i))  (regression, classification),
              theta_hat = argmin_theta sum_i ||X_i - d_theta(e_theta(X_i))||^2  (autoencoder, m < n).
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from course_lib.core import ACTIVATIONS, ActivationLayer, as_tensor, check_choice, check_count, check_latent_dim
from course_lib.training import OPTIMIZERS, Optimizer, one_thread, train

__all__ = ["ACTIVATIONS", "LOSSES", "OPTIMIZERS", "MLP", "Autoencoder", "Optimizer", "one_thread", "n_parameters",
           "fit", "evaluate", "predict", "accuracy"]
LOSSES = ("mse", "cross_entropy")


def _check_sizes(sizes, what: str = "sizes") -> list[int]:
    sizes = list(sizes)
    if len(sizes) < 2:
        raise ValueError(f"{what} must list at least [n_0, n_{{L+1}}] (input and output sizes), got {sizes}")
    return [check_count(f"each of {what}", n) for n in sizes]


def n_parameters(sizes) -> int:
    """Number of parameters of a network with layer sizes [n_0, ..., n_{L+1}]: sum_l n_l (n_{l-1} + 1)."""
    sizes = _check_sizes(sizes)
    return sum(n_out * (n_in + 1) for n_in, n_out in zip(sizes[:-1], sizes[1:]))


class MLP(nn.Module):
    """Fully connected network with layer sizes ``sizes = [n_0, n_1, ..., n_L, n_{L+1}]``.

    Parameters
    ----------
    sizes : list of int
        n_0 = n inputs, n_1..n_L the neurons of the L hidden layers, n_{L+1} outputs.
    activation : str
        phi, applied after every hidden layer ("tanh", "sigmoid", "relu", "softplus", "identity").
    output_activation : str or None
        psi, applied after the last layer; None means the identity (regression, logits).
    seed : int or None
        Seed of the initial weights (PyTorch's default initialisation); None uses torch's global
        generator. The global generator is left untouched when a seed is given.
    """

    def __init__(self, sizes, activation: str = "tanh", output_activation: str | None = None,
                 seed: int | None = None):
        super().__init__()
        self.sizes = _check_sizes(sizes)
        self.activation = check_choice("activation", activation, ACTIVATIONS)
        self.output_activation = output_activation
        if output_activation is not None:
            check_choice("output_activation", output_activation, ACTIVATIONS)
        with torch.random.fork_rng(devices=[], enabled=seed is not None):
            if seed is not None:
                torch.manual_seed(seed)
            modules = []
            for l, (n_in, n_out) in enumerate(zip(self.sizes[:-1], self.sizes[1:]), start=1):
                modules.append(nn.Linear(n_in, n_out))  # weight: (n_l, n_{l-1}), bias: (n_l,)
                last = l == len(self.sizes) - 1
                name = (output_activation or "identity") if last else activation
                modules.append(ActivationLayer(name))
        self.net = nn.Sequential(*modules)

    @property
    def layers(self) -> list[nn.Linear]:
        """The L + 1 affine maps a^(l) = w^(l) h^(l-1) + b^(l), l = 1..L+1, in order."""
        return [m for m in self.net if isinstance(m, nn.Linear)]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """f_theta(x): (N_obs, n_0) -> (N_obs, n_{L+1})."""
        if x.ndim != 2 or x.shape[1] != self.sizes[0]:
            raise ValueError(f"x must have shape (N_obs, {self.sizes[0]}), got {tuple(x.shape)}")
        return self.net(x)


class Autoencoder(nn.Module):
    """Encoder e: R^n -> R^m and decoder d: R^m -> R^n, both MLPs, with m = latent_dim < n.

    ``hidden=(64,)`` gives e = [n, 64, m] and d = [m, 64, n] (mirrored); ``hidden=()`` gives
    the linear autoencoder of the lecture, d(z) = W z + b and e(x) = V x + c (no activation).
    V is learned apart from W: at the optimum V = (W'W)^{-1} W', which is the lecture's
    e = W' only when W happens to be orthonormal (it is not, in general: chapter 2.2).
    """

    def __init__(self, n_features: int, latent_dim: int, hidden=(64,), activation: str = "tanh",
                 seed: int | None = None):
        super().__init__()
        hidden = list(hidden)
        _check_sizes([n_features, *hidden, latent_dim], "the sizes [n_features, *hidden, latent_dim]")
        check_latent_dim(latent_dim, n_features)
        self.n_features, self.latent_dim = int(n_features), int(latent_dim)
        self.encoder = MLP([n_features, *hidden, latent_dim], activation, seed=seed)
        self.decoder = MLP([latent_dim, *hidden[::-1], n_features], activation,
                           seed=None if seed is None else seed + 1)

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        """z = e(x): (N_obs, n) -> (N_obs, m)."""
        return self.encoder(x)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x_hat = d(e(x)): (N_obs, n) -> (N_obs, n)."""
        return self.decoder(self.encoder(x))


def _prepare(model, x, y, loss):
    """Convert x, y to tensors of the model's dtype and check their shapes."""
    dtype = next(model.parameters()).dtype
    x = as_tensor(x, "x", dtype=dtype)
    if y is None:
        return x, x  # autoencoder: reconstruct x
    if loss == "cross_entropy":
        y = as_tensor(y, "y", ndim=1, dtype=torch.float64)
        if not torch.equal(y, y.round()) or y.min() < 0:
            raise ValueError("class labels y must be integers 0, 1, ..., n_classes - 1")
        y = y.long()
        if y.shape != (len(x),):
            raise ValueError(f"class labels y must have shape ({len(x)},), got {tuple(y.shape)}")
        return x, y
    y = as_tensor(y, "y", ndim=None, dtype=dtype)
    if y.ndim == 1:
        y = y[:, None]  # (N_obs,) -> (N_obs, 1): one response per row
    if y.ndim != 2 or len(y) != len(x):
        raise ValueError(f"y must have {len(x)} rows like x, got shape {tuple(y.shape)}")
    return x, y


def fit(model: nn.Module, x, y=None, loss: str = "mse", epochs: int = 200, lr: float = 1e-2,
        batch_size: int | None = None, optimizer: str = "adam", seed: int = 0,
        validation=None, tol: float | None = 1e-4, window: int = 20) -> dict:
    """Minimise the mean loss over (x, y) by mini-batch gradient descent; y=None fits an autoencoder.

    Each epoch shuffles the rows (generator seeded by ``seed``), cuts them into N_B batches of
    ``batch_size`` rows (None: one batch, full-batch descent) and makes one update per batch
    (:func:`course_lib.training.train`). "mse" is the mean over rows of ||y_i - f(x_i)||^2;
    "cross_entropy" expects logits and integer labels. The fit stops when the mean loss over
    the last ``window`` epochs changes by a relative
    ``tol`` or less from the window before, and warns if ``epochs`` pass first or it diverges.

    Returns
    -------
    dict with "loss" (one value per epoch run: the mean batch loss of that epoch), "val_loss"
    (per epoch, when ``validation=(x_val, y_val)`` is given; ``(x_val, None)`` for an
    autoencoder), "epochs", "converged", "stop_reason", "diverged", "seconds".
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    check_choice("loss", loss, LOSSES)
    epochs = check_count("epochs", epochs)
    x, y = _prepare(model, x, y, loss)
    val = None if validation is None else _prepare(model, validation[0], validation[1], loss)
    criterion = _criterion(loss)

    def loss_terms(rows, generator):
        return {"loss": criterion(model(x[rows]), y[rows])}

    def record_validation(history):
        history.setdefault("val_loss", []).append(evaluate(model, *val, loss=loss))

    return train(loss_terms, model.parameters(), len(x), epochs=epochs, lr=lr, optimizer=optimizer,
                 batch_size=batch_size, seed=seed, tol=tol, window=window,
                 on_epoch=None if val is None else record_validation, name="nn.fit")


def _criterion(loss: str):
    if loss == "cross_entropy":
        return nn.functional.cross_entropy
    return lambda y_hat, y: ((y - y_hat) ** 2).sum(dim=1).mean()  # (1/b) sum_i ||y_i - f(x_i)||^2


def evaluate(model: nn.Module, x, y=None, loss: str = "mse") -> float:
    """Mean loss of ``model`` on (x, y), without gradients (y=None: reconstruction of x)."""
    check_choice("loss", loss, LOSSES)
    x, y = _prepare(model, x, y, loss)
    with torch.no_grad():
        return float(_criterion(loss)(model(x), y))


def predict(model: nn.Module, x) -> np.ndarray:
    """model(x) as a numpy array, without gradients: shape (N_obs, n_{L+1})."""
    x, _ = _prepare(model, x, None, "mse")
    with torch.no_grad():
        return model(x).numpy()


def accuracy(model: nn.Module, x, labels) -> float:
    """Fraction of rows whose largest output (logit) is the true class."""
    labels = np.asarray(labels)
    return float(np.mean(predict(model, x).argmax(axis=1) == labels))
