"""Train several VAEs at once: the models of an explorer's grid as one batched computation.

K models that differ in sigma^2, in whether sigma^2 is learned, or in the latent dimension m
are stacked: each parameter becomes one tensor with a leading axis of size K, and
``torch.func.vmap`` runs the VAE's own forward pass (:meth:`course_lib.vae.VAE.elbo_terms`)
on every slice at once. The loss is the sum of the K losses, so the gradient of each slice is
that model's own gradient, and Adam acts elementwise: each model follows exactly the steps
:func:`course_lib.vae.fit` would take on it alone (up to float32 rounding; tested). One step
for K small models costs little more than one step for one: the per-step overhead of
Python and autograd, which dominates for these networks, is paid once.

Models with m < M (the largest m of the grid) are embedded in a model with M coordinates:
their extra rows of the encoder heads, columns of the decoder's first layer and noise xi are
zero. Those coordinates then have z = 0 and KL = 0 exactly, get zero gradients, and stay zero.
"""

from __future__ import annotations

import math

import numpy as np
import torch
from torch.func import functional_call, vmap

from course_lib import vae
from course_lib.core import as_tensor, check_positive
from course_lib.training import Optimizer, one_thread

def _pad(tensor: torch.Tensor, shape) -> torch.Tensor:
    """``tensor`` in the leading corner of a zero tensor of ``shape`` (same number of axes)."""
    out = torch.zeros(shape, dtype=tensor.dtype)
    out[tuple(slice(0, s) for s in tensor.shape)] = tensor.detach()
    return out


def _check(models, x):
    models = list(models)
    if not models or not all(isinstance(m, vae.VAE) for m in models):
        raise ValueError("models must be a non-empty list of course_lib.vae.VAE")
    first = models[0]
    for m in models[1:]:
        if (m.n_features, m.hidden, m.learn_sigma2) != (first.n_features, first.hidden, first.learn_sigma2):
            raise ValueError("the models must share n_features, hidden and learn_sigma2 (they may differ in "
                             f"sigma2 and latent_dim); got {(m.n_features, m.hidden, m.learn_sigma2)} and "
                             f"{(first.n_features, first.hidden, first.learn_sigma2)}")
    return models, as_tensor(x, n_features=first.n_features, dtype=vae.DTYPE)


def fit_together(models, x, epochs: int, lr: float = 2e-2, seed: int = 0) -> list[dict]:
    """``vae.fit(model, x, epochs, lr, seed=seed)`` for every model, full batch, trained at once.

    The learning rate stays at ``lr`` for the first half of the epochs, then decays linearly
    to 0, as in :func:`course_lib.vae.fit`; ``epochs`` must be even so that both halves are
    the same as there. The models are updated in place.

    Returns
    -------
    list of K histories, each a dict of per-epoch lists "elbo", "reconstruction", "kl"
    (means over rows of the one-draw estimates) and "diverged" (bool).
    """
    models, x = _check(models, x)
    if isinstance(epochs, bool) or not isinstance(epochs, (int, np.integer)) or epochs < 2 or epochs % 2:
        raise ValueError(f"epochs must be an even integer >= 2 (two equal phases of the schedule), got {epochs!r}")
    lr = check_positive("lr", lr)
    host = max(models, key=lambda m: m.latent_dim)  # the shapes every model is embedded in
    n_obs, k_models, width = len(x), len(models), host.latent_dim
    shapes = {name: t.shape for name, t in [*host.named_parameters(), *host.named_buffers()]}
    params = {name: torch.nn.Parameter(torch.stack([_pad(dict(m.named_parameters())[name], shape) for m in models]))
              for name, shape in shapes.items() if name in dict(host.named_parameters())}
    buffers = {name: torch.stack([_pad(dict(m.named_buffers())[name], shape) for m in models])
               for name, shape in shapes.items() if name not in params}

    def elbo_terms(p, b, x_k, xi_k):  # one model: (reconstruction, kl), each (N_obs,)
        return functional_call(host, (p, b), (x_k, xi_k))

    batched = vmap(elbo_terms)
    generators = [torch.Generator().manual_seed(seed) for _ in models]
    half = epochs // 2
    lrs = lr * np.concatenate([np.ones(half), 1.0 - np.arange(half) / half])  # flat, then linear to 0
    optimizer = Optimizer(params.values(), "adam", lr)
    histories = [{"elbo": [], "reconstruction": [], "kl": [], "diverged": False} for _ in models]
    with one_thread():
        for epoch in range(epochs):
            xi = torch.zeros(k_models, 1, n_obs, width, dtype=vae.DTYPE)
            for k, (model, generator) in enumerate(zip(models, generators)):
                xi[k, :, :, :model.latent_dim] = torch.randn((1, n_obs, model.latent_dim), generator=generator,
                                                             dtype=vae.DTYPE)
            reconstruction, kl = batched(params, buffers, x.expand(k_models, *x.shape), xi)  # one full batch, in order  # each (K, N_obs)
            elbo = (reconstruction - kl).mean(dim=1)  # (K,)
            optimizer.zero_grad()
            (-elbo).sum().backward()  # we minimise -elbo, model by model
            optimizer.lr = float(lrs[epoch])
            optimizer.step()
            for k, history in enumerate(histories):
                if history["diverged"]:
                    continue
                history["reconstruction"].append(float(reconstruction[k].detach().mean()))
                history["kl"].append(float(kl[k].detach().mean()))
                history["elbo"].append(history["reconstruction"][-1] - history["kl"][-1])
                history["diverged"] = not math.isfinite(history["elbo"][-1])
    with torch.no_grad():
        for k, model in enumerate(models):
            for name, t in [*model.named_parameters(), *model.named_buffers()]:
                stacked = params[name] if name in params else buffers[name]
                t.copy_(stacked[k][tuple(slice(0, s) for s in t.shape)])
    return histories
