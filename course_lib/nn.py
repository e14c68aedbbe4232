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

import contextlib
import math

import numpy as np
import torch
from torch import nn

# Hidden activations phi (and output activations psi) by name. "identity" gives a linear layer.
ACTIVATIONS = {
    "tanh": nn.Tanh,
    "sigmoid": nn.Sigmoid,
    "relu": nn.ReLU,
    "softplus": nn.Softplus,
    "identity": nn.Identity,
}
LOSSES = ("mse", "cross_entropy")
OPTIMIZERS = ("sgd", "momentum", "nesterov", "adam")


def _check_activation(name, what: str = "activation") -> str:
    if name not in ACTIVATIONS:
        raise ValueError(f"unknown {what} {name!r}; choose one of {', '.join(ACTIVATIONS)}")
    return name


def _check_sizes(sizes, what: str = "sizes") -> list[int]:
    sizes = list(sizes)
    if len(sizes) < 2:
        raise ValueError(f"{what} must list at least [n_0, n_L] (input and output sizes), got {sizes}")
    for n in sizes:
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
            raise ValueError(f"{what} must be positive integers (neurons per layer), got {sizes}")
    return [int(n) for n in sizes]


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
        self.activation = _check_activation(activation)
        self.output_activation = output_activation
        if output_activation is not None:
            _check_activation(output_activation, "output_activation")
        with torch.random.fork_rng(devices=[], enabled=seed is not None):
            if seed is not None:
                torch.manual_seed(seed)
            modules = []
            for l, (n_in, n_out) in enumerate(zip(self.sizes[:-1], self.sizes[1:]), start=1):
                modules.append(nn.Linear(n_in, n_out))  # weight: (n_l, n_{l-1}), bias: (n_l,)
                last = l == len(self.sizes) - 1
                name = (output_activation or "identity") if last else activation
                modules.append(ACTIVATIONS[name]())
        self.net = nn.Sequential(*modules)

    @property
    def layers(self) -> list[nn.Linear]:
        """The L + 1 affine maps a^(l) = w^(l) h^(l-1) + b^(l), l = 1..L+1, in order."""
        return [m for m in self.net if isinstance(m, nn.Linear)]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """f_theta(x): (N_obs, n_0) -> (N_obs, n_L)."""
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
        if not latent_dim < n_features:
            raise ValueError(f"an autoencoder needs latent_dim < n_features, got {latent_dim} >= {n_features}")
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


def _as_tensor(a, name: str, dtype) -> torch.Tensor:
    if isinstance(a, torch.Tensor):
        return a.detach().to(dtype)
    try:
        return torch.as_tensor(np.asarray(a), dtype=dtype)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{name} must be an array or a tensor of numbers, got {type(a).__name__}") from exc


def _prepare(model, x, y, loss):
    """Convert x, y to tensors of the model's dtype and check their shapes."""
    dtype = next(model.parameters()).dtype
    x = _as_tensor(x, "x", dtype)
    if x.ndim != 2:
        raise ValueError(f"x must be 2-D of shape (N_obs, n), got shape {tuple(x.shape)}")
    if y is None:
        return x, x  # autoencoder: reconstruct x
    if loss == "cross_entropy":
        y = _as_tensor(y, "y", torch.long)
        if y.shape != (len(x),):
            raise ValueError(f"class labels y must have shape ({len(x)},), got {tuple(y.shape)}")
        return x, y
    y = _as_tensor(y, "y", dtype)
    if y.ndim == 1:
        y = y[:, None]  # (N_obs,) -> (N_obs, 1): one response per row
    if y.ndim != 2 or len(y) != len(x):
        raise ValueError(f"y must have {len(x)} rows like x, got shape {tuple(y.shape)}")
    return x, y


class Optimizer:
    """The update rules of the lecture, written out: "sgd", "momentum", "nesterov" (mu = 0.9) or "adam".

    sgd:       theta := theta - rho g
    momentum:  v := mu v + g;  theta := theta - rho v             (torch.optim.SGD's convention)
    nesterov:  v := mu v + g;  theta := theta - rho (g + mu v)
    adam:      m := b1 m + (1 - b1) g,  s := b2 s + (1 - b2) g^2,
               theta := theta - rho m_hat / (sqrt(s_hat) + eps)    (Kingma & Ba 2015)
    Same iterates as torch.optim (tested), which we avoid here because its first use
    imports torch._dynamo, about 2 s per notebook. Every training loop of the course uses
    this class; ``lr`` may be changed between steps (a decreasing rho).
    """

    def __init__(self, params, optimizer: str = "adam", lr: float = 1e-2, momentum: float = 0.9,
                 betas=(0.9, 0.999), eps: float = 1e-8):
        if optimizer not in OPTIMIZERS:
            raise ValueError(f"unknown optimizer {optimizer!r}; choose one of {', '.join(OPTIMIZERS)}")
        if isinstance(lr, bool) or not isinstance(lr, (int, float, np.floating)) or not lr > 0:
            raise ValueError(f"lr must be > 0, got {lr!r}")
        self.params = list(params)
        self.optimizer, self.lr, self.momentum, self.betas, self.eps = optimizer, float(lr), momentum, betas, eps
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
            if self.optimizer == "sgd":
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
                # theta -= rho m_hat / (sqrt(s_hat) + eps), with the bias corrections
                # m_hat = m / c1 and s_hat = s / c2, written as one fused operation:
                # rho m_hat / (sqrt(s_hat) + eps) = (rho sqrt(c2) / c1) m / (sqrt(s) + eps sqrt(c2)).
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


def fit(model: nn.Module, x, y=None, loss: str = "mse", epochs: int = 200, lr: float = 1e-2,
        batch_size: int | None = None, optimizer: str = "adam", seed: int = 0,
        validation=None) -> dict:
    """Minimise the mean loss over (x, y) by mini-batch gradient descent; y=None fits an autoencoder.

    Each epoch shuffles the rows (generator seeded by ``seed``), cuts them into N_B batches of
    ``batch_size`` rows (None: one batch, full-batch descent) and makes one update per batch.
    "mse" is the mean over rows of ||y_i - f(x_i)||^2; "cross_entropy" expects logits and
    integer labels. A run whose loss becomes inf or NaN stops there and is flagged ``diverged``.

    Returns
    -------
    dict with "loss" (one value per epoch run: the mean batch loss of that epoch),
    "diverged" (bool), and "val_loss" (per epoch, when ``validation=(x_val, y_val)`` is given;
    use ``(x_val, None)`` for an autoencoder).
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    if loss not in LOSSES:
        raise ValueError(f"unknown loss {loss!r}; choose one of {', '.join(LOSSES)}")
    if isinstance(epochs, bool) or not isinstance(epochs, (int, np.integer)) or epochs < 1:
        raise ValueError(f"epochs must be a positive integer, got {epochs!r}")
    x, y = _prepare(model, x, y, loss)
    n_obs = len(x)
    if batch_size is None:
        batch_size = n_obs
    if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) or not 1 <= batch_size <= n_obs:
        raise ValueError(f"batch_size must be an integer in 1..N_obs = {n_obs} or None, got {batch_size!r}")
    opt = Optimizer(model.parameters(), optimizer, lr)
    val = None if validation is None else _prepare(model, validation[0], validation[1], loss)
    criterion = _criterion(loss)
    generator = torch.Generator().manual_seed(seed)
    history = {"loss": [], "diverged": False}
    if val is not None:
        history["val_loss"] = []
    with one_thread():
        for _ in range(int(epochs)):
            perm = torch.randperm(n_obs, generator=generator)  # shuffle, then N_B batches of b rows
            total = 0.0
            for k in range(0, n_obs, batch_size):
                batch = perm[k:k + batch_size]
                opt.zero_grad()
                value = criterion(model(x[batch]), y[batch])
                value.backward()
                opt.step()  # theta := theta - rho * (1/b) sum_{i in B} grad Loss_i (for "sgd")
                total += value.item() * len(batch)
            history["loss"].append(total / n_obs)
            if val is not None:
                history["val_loss"].append(evaluate(model, *val, loss=loss))
            if not math.isfinite(history["loss"][-1]):
                history["diverged"] = True
                break
    return history


def _criterion(loss: str):
    if loss == "cross_entropy":
        return nn.functional.cross_entropy
    return lambda y_hat, y: ((y - y_hat) ** 2).sum(dim=1).mean()  # (1/b) sum_i ||y_i - f(x_i)||^2


def evaluate(model: nn.Module, x, y=None, loss: str = "mse") -> float:
    """Mean loss of ``model`` on (x, y), without gradients (y=None: reconstruction of x)."""
    if loss not in LOSSES:
        raise ValueError(f"unknown loss {loss!r}; choose one of {', '.join(LOSSES)}")
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
