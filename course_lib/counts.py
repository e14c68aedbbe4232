"""Going further (page 3.4b): a VAE for counts, with a count likelihood (scVI-style).

The lecture's decoder is Gaussian, X = d(Z) + eps. Sequencing counts are integers, mostly
zeros, with a variance that grows with the mean; scVI (Lopez et al. 2018) keeps the VAE
and its ELBO and changes p(x | z) only. For cell i with library size l_i = sum_k x_ik:

    mu_ik  = l_i softmax(d(z))_k            the mean: the cell's library size l_i is a known
                                            offset, the softmax gives each gene's share,
    Poisson:           x_ik ~ Poisson(mu_ik),                      variance mu,
    negative binomial: x_ik ~ NB(mu_ik, r_k), r_k > 0 per gene,  variance mu + mu^2 / r.

ELBO = E_q[sum_k log p(x_ik | z)] - KL(q_x || N(0, I_m)), maximised as for the Gaussian VAE
(:func:`course_lib.vae.fit` trains a :class:`CountVAE` unchanged). The encoder sees the
log-normalised cell, log(1 + 10^4 x_ik / l_i), standardised gene by gene: the input of the
Gaussian VAE of the page, so that the three models differ in their decoder only.
All log-probabilities are in nats.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

TARGET_SUM = 1e4  # log-normalisation scale: counts per 10^4 molecules, scanpy's convention


def _log_nb(x, mean, dispersion):
    # log NB(x; mu, r) = log Gamma(x + r) - log Gamma(r) - log Gamma(x + 1)
    #                        + r log(r / (r + mu)) + x log(mu / (r + mu)),
    # with r log(r / (r + mu)) = -r log(1 + mu / r), exact for a large r
    return (torch.lgamma(x + dispersion) - torch.lgamma(dispersion) - torch.lgamma(x + 1.0)
            - dispersion * torch.log1p(mean / dispersion) + x * (torch.log(mean) - torch.log(dispersion + mean)))


def _log_poisson(x, rate):
    # log Poisson(x; mu) = x log mu - mu - log Gamma(x + 1)
    return x * torch.log(rate) - rate - torch.lgamma(x + 1.0)


def _check_counts(x) -> torch.Tensor:
    x = torch.as_tensor(x)
    if x.is_complex() or x.dtype == torch.bool:
        raise ValueError(f"x (counts) must be real numbers, got dtype {x.dtype}")
    if not torch.isfinite(x).all():
        raise ValueError("x (counts) contains NaN or infinite values; counts are integers >= 0")
    if (x < 0).any():
        raise ValueError(f"x (counts) must be >= 0, got a minimum of {x.min().item()}")
    if (x != torch.round(x)).any():
        raise ValueError("x (counts) must be whole numbers (0, 1, 2, ...); got non-integer values")
    return x


def _check_positive(name: str, value, what: str) -> torch.Tensor:
    value = torch.as_tensor(value)
    if not torch.is_floating_point(value):
        value = value.double()
    if not (torch.isfinite(value) & (value > 0)).all():
        raise ValueError(f"{name} ({what}) must be finite and > 0, got a minimum of {value.min().item()}")
    return value


def _float_like(x, *others):
    """Counts and parameters in one floating dtype (the parameters' when they are float)."""
    dtype = others[0].dtype
    for t in others[1:]:
        dtype = torch.promote_types(dtype, t.dtype)
    return x.to(dtype), *(t.to(dtype) for t in others)


def negative_binomial_log_prob(x, mean, dispersion) -> torch.Tensor:
    """log P(x) of a negative binomial with the given mean and inverse dispersion, element-wise.

    With mu = ``mean`` and r = ``dispersion``: E x = mu and Var x = mu + mu^2 / r
    (r -> infinity gives the Poisson; scVI's paper calls r theta). It is scipy's
    ``nbinom.logpmf(x, n=r, p=r / (r + mu))``. Tensors (or arrays) in, a tensor out,
    broadcast like torch; computed in the floating dtype of ``mean`` and ``dispersion``.

    Raises ValueError for counts x that are negative or not whole numbers, and for a mean
    or dispersion that is not > 0.
    """
    x = _check_counts(x)
    mean = _check_positive("mean", mean, "the mean mu of the counts")
    dispersion = _check_positive("dispersion", dispersion, "the inverse dispersion r")
    return _log_nb(*_float_like(x, mean, dispersion))


def poisson_log_prob(x, rate) -> torch.Tensor:
    """log P(x) = x log mu - mu - log x! of a Poisson with mean mu = ``rate``, element-wise."""
    x = _check_counts(x)
    rate = _check_positive("rate", rate, "the Poisson mean mu")
    return _log_poisson(*_float_like(x, rate))


def log_normalize(counts, target_sum: float = TARGET_SUM):
    """log(1 + target_sum x_ik / l_i) with l_i = sum_k x_ik: the usual transform of counts.

    Works on numpy arrays (returns float64) and tensors (returns their float dtype); every
    cell needs at least one count.
    """
    if not (isinstance(target_sum, (int, float)) and not isinstance(target_sum, bool) and target_sum > 0):
        raise ValueError(f"target_sum must be a number > 0, got {target_sum!r}")
    if isinstance(counts, torch.Tensor):
        library = counts.sum(dim=-1, keepdim=True)
        return torch.log1p(target_sum * counts / library)
    counts = np.asarray(counts, dtype=np.float64)
    if counts.ndim != 2 or (counts < 0).any():
        raise ValueError(f"counts must be a 2-D array (cells, genes) of counts >= 0, got shape {counts.shape}")
    library = counts.sum(axis=1, keepdims=True)
    if (library == 0).any():
        raise ValueError("every cell needs at least one count to be normalised; drop the empty rows")
    return np.log1p(target_sum * counts / library)


# The VAE comes after the likelihoods on purpose: course_lib.vae re-exports
# negative_binomial_log_prob from here, so either module can be imported first.
from course_lib.core import check_count  # noqa: E402
from course_lib.training import one_thread  # noqa: E402
from course_lib.vae import DTYPE, VAE, kl_to_standard_normal  # noqa: E402

LIKELIHOODS = ("poisson", "negative_binomial")


class CountVAE(VAE):
    """A VAE whose decoder gives a count distribution: Poisson or negative binomial.

    Same encoder as :class:`course_lib.vae.VAE` (on the log-normalised cell), same prior and
    ELBO; the decoder's n outputs become shares softmax(d(z)), the mean is mu = l softmax(d(z)), the
    cell's library size l as a known offset, and the negative binomial adds one learned
    dispersion r_k per gene (``log_dispersion``). Call :meth:`start_from` with the
    training counts before training.
    Inputs ``x`` are counts (N_obs, n); every cell needs at least one count.
    """

    def __init__(self, n_features: int, latent_dim: int, likelihood: str = "negative_binomial",
                 hidden=(64,), activation: str = "tanh", seed: int = 0):
        if likelihood not in LIKELIHOODS:
            raise ValueError(f"unknown likelihood {likelihood!r}; choose one of {', '.join(LIKELIHOODS)}")
        # sigma2 belongs to the Gaussian decoder: fixed at 1 and never used here
        super().__init__(n_features, latent_dim, hidden=hidden, sigma2=1.0, activation=activation, seed=seed)
        self.likelihood = likelihood
        self.register_buffer("input_mean", torch.zeros(self.n_features, dtype=DTYPE))  # set by start_from
        self.register_buffer("input_std", torch.ones(self.n_features, dtype=DTYPE))
        if likelihood == "negative_binomial":
            self.log_dispersion = nn.Parameter(torch.zeros(self.n_features, dtype=DTYPE))  # log r_k, r = 1 at start

    def start_from(self, counts) -> None:
        """Before training: standardise the encoder's input with the training cells' log-normalised
        means and standard deviations (as the Gaussian VAE's data), and start the decoder's output
        bias at log(share of gene k in all counts): mu_ik = l_i (average share), the best model
        without z, instead of walking the biases from 0 to about log(1 / n) at ~lr per Adam step.
        """
        counts = counts_tensor(counts, self.n_features)
        normalised = log_normalize(counts)
        share = (counts.sum(dim=0) + 0.5) / (counts.sum() + 0.5 * self.n_features)  # +1/2: no log 0
        with torch.no_grad():
            self.input_mean.copy_(normalised.mean(dim=0))
            self.input_std.copy_(torch.where(normalised.std(dim=0) > 0, normalised.std(dim=0), 1.0))
            self.decoder.layers[-1].bias.copy_(torch.log(share))

    @property
    def dispersion(self) -> np.ndarray:
        """r_k per gene, shape (n,) (the negative binomial only)."""
        if self.likelihood != "negative_binomial":
            raise ValueError("only the negative binomial has a dispersion; this model is Poisson")
        return torch.exp(self.log_dispersion.detach()).numpy()

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """q_x from the counts: the encoder of the VAE on log(1 + 10^4 x / l), standardised."""
        return super().encode((log_normalize(x) - self.input_mean) / self.input_std)

    def count_mean(self, z: torch.Tensor, library: torch.Tensor) -> torch.Tensor:
        """mu = l softmax(d(z)): (..., m) codes and (N_obs, 1) library sizes -> (..., N_obs, n)."""
        return library * torch.softmax(self.decode(z), dim=-1)

    def log_px_z(self, x: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
        """log p(x | z) = sum_k log p(x_ik | z), per draw and row: shape (S, N_obs)."""
        mean = self.count_mean(z, x.sum(dim=-1, keepdim=True))
        if self.likelihood == "poisson":
            return _log_poisson(x, mean).sum(dim=-1)
        return _log_nb(x, mean, torch.exp(self.log_dispersion)).sum(dim=-1)

    def elbo_terms(self, x: torch.Tensor, xi: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(reconstruction, kl) per row, shape (N_obs,) each, with the noise xi (S, N_obs, m)."""
        z_mean, z_std = self.encode(x)
        z = z_mean + z_std * xi  # reparametrisation: Z = g(x) + diag(h(x)) xi
        return self.log_px_z(x, z).mean(dim=0), kl_to_standard_normal(z_mean, z_std)

    def elbo(self, x, n_samples: int = 1, seed: int = 0, terms: bool = False):
        """Mean over rows of the ELBO in nats, with ``n_samples`` draws of xi per row.

        Returns a float, or the dict {"elbo", "reconstruction", "kl"} of floats if ``terms``.
        """
        x = counts_tensor(x, self.n_features)
        xi = torch.randn((check_count("n_samples", n_samples), len(x), self.latent_dim), dtype=DTYPE,
                         generator=torch.Generator().manual_seed(seed))
        with torch.no_grad(), one_thread():
            reconstruction, kl = (t.double().mean().item() for t in self.elbo_terms(x, xi))
        out = {"elbo": reconstruction - kl, "reconstruction": reconstruction, "kl": kl}
        return out if terms else out["elbo"]

    def reconstruct(self, x) -> np.ndarray:
        """The mean counts mu = l softmax(d(g(x))) of each cell, shape (N_obs, n)."""
        x = counts_tensor(x, self.n_features)
        with torch.no_grad():
            return self.count_mean(self.encode(x)[0], x.sum(dim=-1, keepdim=True)).numpy()

    def zero_probability(self, x) -> np.ndarray:
        """P(x_ik = 0 | z = g(x_i)) for each cell and gene, shape (N_obs, n).

        Poisson: exp(-mu); negative binomial: (r / (r + mu))^r.
        """
        mean = torch.from_numpy(self.reconstruct(x))
        zero = torch.zeros_like(mean)
        with torch.no_grad():
            if self.likelihood == "poisson":
                return torch.exp(_log_poisson(zero, mean)).numpy()
            return torch.exp(_log_nb(zero, mean, torch.exp(self.log_dispersion))).numpy()


def counts_tensor(x, n_features: int | None = None) -> torch.Tensor:
    """Counts (N_obs, n) as a float32 tensor, checked: whole numbers >= 0, no empty cell."""
    x = _check_counts(x if isinstance(x, torch.Tensor) else np.asarray(x))
    if x.ndim != 2 or (n_features is not None and x.shape[1] != n_features):
        raise ValueError(f"x (counts) must have shape (N_obs, {n_features or 'n'}), got {tuple(x.shape)}")
    if (x.sum(dim=1) == 0).any():
        raise ValueError("x (counts) has a cell with no count: its library size is 0; drop it")
    return x.to(DTYPE)


def fit(model: CountVAE, counts, epochs: int = 300, lr: float = 2e-2, batch_size: int | None = None,
        seed: int = 0) -> dict:
    """Maximise the ELBO of a :class:`CountVAE` on counts: :func:`course_lib.vae.fit`, checked counts."""
    from course_lib import vae

    if not isinstance(model, CountVAE):
        raise ValueError(f"model must be a CountVAE, got {type(model).__name__}")
    # tol=None: a fixed budget, as the page compares the models at equal training
    return vae.fit(model, counts_tensor(counts, model.n_features), epochs=epochs, lr=lr,
                   batch_size=batch_size, seed=seed, tol=None)


# ---------------------------------------------------------------------------------------
# The page's experiment: three decoders, each on an encoder of the same architecture
# ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class CountsSettings:
    """Settings of page 3.4b, shared by the book and the benchmark."""

    latent_dims: tuple = (2, 10)  # a map to look at, and the usual size of scVI's latent space
    hidden: tuple = (32,)  # one hidden layer; 64 took longer and did no better in our runs
    epochs: int = 15  # 15 epochs of 17 batches: 255 Adam steps, under 2 s per model
    batch_size: int = 32  # small batches: more steps for the same computation
    lr: float = 1e-2
    test_fraction: float = 0.25
    n_neighbors: int = 15  # k of the k-nearest-neighbour cell-type accuracy, as on page 3.4
    n_samples: int = 50  # draws of xi per held-out cell in the ELBO estimates
    seed: int = 0


DECODERS = ("Gaussian", "Poisson", "negative binomial")


def fit_decoders(counts_train, log_train, latent_dim: int, settings: CountsSettings = CountsSettings()) -> dict:
    """Fit the page's three VAEs, each with an encoder of the same architecture, seed and schedule.

    ``counts_train`` (N_obs, n) are the counts of the count models; ``log_train`` the same
    cells log-normalised and standardised, for the Gaussian VAE (learned sigma2). Returns
    {"Gaussian": VAE, "Poisson": CountVAE, "negative binomial": CountVAE}, trained.
    """
    from course_lib import vae

    if not isinstance(settings, CountsSettings):
        raise ValueError(f"settings must be a CountsSettings, got {type(settings).__name__}")
    counts_train = counts_tensor(counts_train)
    schedule = dict(epochs=settings.epochs, lr=settings.lr, batch_size=settings.batch_size, seed=settings.seed)
    gaussian = vae.VAE(counts_train.shape[1], latent_dim, hidden=settings.hidden, sigma2=None, seed=settings.seed)
    vae.fit(gaussian, log_train, tol=None, **schedule)
    models = {"Gaussian": gaussian}
    for name, likelihood in zip(DECODERS[1:], LIKELIHOODS):
        model = CountVAE(counts_train.shape[1], latent_dim, likelihood, hidden=settings.hidden, seed=settings.seed)
        model.start_from(counts_train)
        fit(model, counts_train, **schedule)
        models[name] = model
    return models


def latent_means(models: dict, counts, log_values) -> dict:
    """The posterior means g(x) of each model's cells: {name: array (N_obs, m)}.

    The model named "Gaussian" encodes ``log_values``; the count models encode ``counts``.
    """
    if not isinstance(models, dict) or not all(isinstance(model, VAE) for model in models.values()):
        raise ValueError("models must be a dict {name: VAE}, as fit_decoders returns")
    return {name: model.transform(log_values if name == "Gaussian" else counts_tensor(counts))[0]
            for name, model in models.items()}
