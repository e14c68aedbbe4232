"""Part `training`: the training throughput of the course's VAE and Bayes-by-backprop loops
against the plain PyTorch recipe for the same model and loss (a DataLoader over a
TensorDataset, torch.optim.Adam), the median of three interleaved runs of each."""

from __future__ import annotations

import math
import statistics
import time

import torch

from common import THROUGHPUT_TARGET

def plain_recipe(model, x: torch.Tensor, loss_fn, epochs: int, batch_size: int, lr: float) -> float:
    """The PyTorch examples' recipe: a DataLoader over a TensorDataset, Adam; samples/s."""
    from torch.utils.data import DataLoader, TensorDataset

    loader = DataLoader(TensorDataset(x), batch_size=batch_size, shuffle=True)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    start = time.perf_counter()
    for _ in range(epochs):
        for (batch,) in loader:
            optimizer.zero_grad()
            loss_fn(batch).backward()
            optimizer.step()
    return epochs * len(x) / (time.perf_counter() - start)


def compare(course_run, plain_run, repeats: int = 3) -> tuple[float, float]:
    """Median samples/s of each loop over ``repeats`` runs, interleaved so that both see the
    same machine (a single run of each varies by +-20 % on a laptop)."""
    ours, plain = [], []
    for _ in range(repeats):
        ours.append(course_run())
        plain.append(plain_run())
    return statistics.median(ours), statistics.median(plain)


def vae_throughput(course_batch: int | None = 128, plain_batch: int = 128,
                   epochs: int = 30) -> tuple[float, float]:
    """The VAE of the digits chapter; ``course_batch=None`` is full batch, as the chapter trains."""
    from course_lib import data, vae

    x = torch.as_tensor(data.digits().x, dtype=vae.DTYPE)

    def course_run():
        model = vae.VAE(64, 2, hidden=(64,), sigma2=0.1)
        start = time.perf_counter()
        vae.fit(model, x, epochs=epochs, lr=1e-3, batch_size=course_batch, tol=None)  # equal epochs
        return epochs * len(x) / (time.perf_counter() - start)

    def plain_run():
        model = vae.VAE(64, 2, hidden=(64,), sigma2=0.1)

        def loss(batch):
            xi = torch.randn(1, len(batch), model.latent_dim, dtype=vae.DTYPE)
            reconstruction, kl = model.elbo_terms(batch, xi)
            return -(reconstruction - kl).mean()

        return plain_recipe(model, x, loss, epochs, plain_batch, 1e-3)

    return compare(course_run, plain_run)


def bayes_throughput(course_batch: int | None = 32, plain_batch: int = 32,
                     epochs: int = 30) -> tuple[float, float]:
    """Bayes by backprop, one hidden layer, M = 1; ``course_batch=None`` is full batch."""
    from torch.utils.data import DataLoader, TensorDataset

    from course_lib import bayes, data

    dataset = data.diabetes()
    x, y = data.standardize(dataset.x), data.standardize(dataset.y)
    n_batches = math.ceil(len(x) / plain_batch)

    def course_run():
        model = bayes.BayesianRegression(10, hidden=(50,), sigma2=0.5)
        start = time.perf_counter()
        bayes.fit(model, x, y, epochs=epochs, lr=1e-2, n_mc=1, batch_size=course_batch, tol=None)  # equal epochs
        return epochs * len(x) / (time.perf_counter() - start)

    def plain_run():
        model = bayes.BayesianRegression(10, hidden=(50,), sigma2=0.5)
        xt, yt = torch.as_tensor(x, dtype=bayes.DTYPE), torch.as_tensor(y, dtype=bayes.DTYPE)
        loader = DataLoader(TensorDataset(xt, yt), batch_size=plain_batch, shuffle=True)
        optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
        start = time.perf_counter()
        for _ in range(epochs):
            for xb, yb in loader:
                optimizer.zero_grad()
                bayes.free_energy(model, xb, yb, n_mc=1, kl_weight=1 / n_batches)["free_energy"].backward()
                optimizer.step()
        return epochs * len(x) / (time.perf_counter() - start)

    return compare(course_run, plain_run)


def training_table() -> list[str]:
    lines = ["| training loop (course loop vs DataLoader recipe) | course (samples/s) | "
             f"DataLoader recipe (samples/s) | ratio | target {THROUGHPUT_TARGET:g} |", "|---|---:|---:|---:|---|"]
    for name, measure, kwargs in (
            ("VAE on digits, both batch 128 (loop overhead only)", vae_throughput, {}),
            ("VAE on digits, course full batch (as in the chapter) vs recipe batch 128", vae_throughput,
             {"course_batch": None, "epochs": 100}),
            ("Bayes by backprop on diabetes, both batch 32 (loop overhead only)", bayes_throughput, {}),
            ("Bayes by backprop, course full batch (as in the chapter) vs recipe batch 32", bayes_throughput,
             {"course_batch": None, "epochs": 100})):
        ours, plain = measure(**kwargs)
        ratio = ours / plain
        print(f"{name}: {ours:.0f} vs {plain:.0f} samples/s ({ratio:.2f}x)", flush=True)
        verdict = "ok" if ratio >= THROUGHPUT_TARGET else "**below target**"
        lines.append(f"| {name} | {ours:.0f} | {plain:.0f} | {ratio:.2f} | {verdict} |")
    return lines
