"""Section 3 of the lecture: the variational (probabilistic) autoencoder.

Model:     X_i = d_theta(Z_i) + eps_i,   Z_i ~ N_m(0, I_m),   eps_i ~ N_n(0, sigma^2 I_n).
Encoder:   q_{X_i}(Z_i) = N_m(g(X_i), H(X_i)),  H = diag(h^2),  g = g_2 o g_1, h = h_2 o g_1.
ELBO:      log p(x) >= E_q[log p(x | Z)] - KL(q_x || N(0, I_m))  =  reconstruction - kl,
           with Z = g(x) + diag(h(x)) xi, xi ~ N_m(0, I_m) (reparametrisation) and
           log p(x | z) = -||x - d(z)||^2 / (2 sigma^2) - (n/2) log(2 pi sigma^2).
Training maximises the ELBO: loss = -elbo. With an affine encoder and decoder the model is
probabilistic PCA (Tipping & Bishop 1999), whose likelihood is exact: :func:`ppca`.

Numbers: the networks compute in float32 (torch's default, and 1.6x faster than float64 on
these small models; the Monte Carlo error of an ELBO is far above float32 rounding); pPCA's
closed form uses float64. x may be a numpy array or a tensor of any real dtype (float64
included) and is converted. All ELBOs and log-likelihoods are in nats, as means over rows.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from course_lib.core import (LOG_2PI, as_array, as_tensor, check_count, check_latent_dim, check_positive,
                             gaussian_kl, gaussian_log_likelihood)
from course_lib.linear import pca
from course_lib.nn import MLP
from course_lib.training import one_thread, train

__all__ = ["PPCA", "ppca", "VAE", "fit", "kl_to_standard_normal", "gaussian_log_likelihood", "DTYPE"]
DTYPE = torch.float32  # the networks' dtype (see the module docstring)


# ---------------------------------------------------------------------------------------
# Probabilistic PCA: the linear model, with an exact likelihood
# ---------------------------------------------------------------------------------------
@dataclass
class PPCA:
    """Fitted pPCA: X = W Z + mean + eps, so X ~ N_n(mean, C) with C = W W' + sigma2 I_n."""

    W: np.ndarray  # (n, m)
    sigma2: float
    mean: np.ndarray  # (n,)

    @property
    def covariance(self) -> np.ndarray:
        """C = W W' + sigma2 I_n, shape (n, n)."""
        return self.W @ self.W.T + self.sigma2 * np.eye(len(self.mean))

    def log_likelihood(self, x) -> float:
        """(1/N) sum_i log N_n(x_i; mean, C), in nats (exact, Cholesky of C)."""
        x = as_array(x, "x", len(self.mean))
        chol = np.linalg.cholesky(self.covariance)
        u = np.linalg.solve(chol, (x - self.mean).T)  # C^{-1/2}(x - mean), shape (n, N)
        log_det = 2.0 * np.log(np.diag(chol)).sum()
        return float(-0.5 * (x.shape[1] * LOG_2PI + log_det + (u**2).sum(axis=0).mean()))


def ppca(x, latent_dim: int) -> PPCA:
    """Maximum-likelihood probabilistic PCA in closed form (Tipping & Bishop 1999).

    With S the covariance of x (1/N normalisation) and lambda_1 >= ... >= lambda_n its
    eigenvalues with eigenvectors U: sigma2 = mean(lambda_{m+1..n}) and
    W = U_m (Lambda_m - sigma2 I_m)^{1/2} (the rotation R = I).
    """
    x = as_array(x)
    n_obs, n_features = x.shape
    latent_dim = check_latent_dim(latent_dim, n_features)
    if n_obs < 2:
        raise ValueError(f"ppca needs at least 2 rows to estimate a covariance, got {n_obs}")
    principal = pca(x, latent_dim)  # U_m = principal.P, lambda = principal.variances (decreasing)
    sigma2 = float(principal.variances[latent_dim:].mean())
    if not sigma2 > 0:
        raise ValueError("the data have no variance outside the first m directions: sigma2 = 0")
    scale = np.sqrt(np.clip(principal.variances[:latent_dim] - sigma2, 0.0, None))
    return PPCA(W=principal.P * scale, sigma2=sigma2, mean=principal.mean)


# ---------------------------------------------------------------------------------------
# The two terms of the ELBO
# ---------------------------------------------------------------------------------------
def kl_to_standard_normal(z_mean: torch.Tensor, z_std: torch.Tensor) -> torch.Tensor:
    """KL(N(z_mean, diag z_std^2) || N_m(0, I_m)), one value per row: shape (N_obs,).

    -KL = 1/2 sum_j (1 + log h_j^2 - g_j^2 - h_j^2) (Kingma & Welling 2014, appendix B),
    written once in :func:`course_lib.core.gaussian_kl`. The reconstruction term log p(x | z)
    is :func:`course_lib.core.gaussian_log_likelihood`, imported here as ``gaussian_log_likelihood``.
    """
    return gaussian_kl(z_mean, z_std)


# ---------------------------------------------------------------------------------------
# The VAE
# ---------------------------------------------------------------------------------------
class VAE(nn.Module):
    """Variational autoencoder with Gaussian encoder q_x = N(g(x), diag h(x)^2) and decoder d.

    Parameters
    ----------
    n_features, latent_dim : int
        n and m, with 1 <= m < n.
    hidden : tuple of int
        Hidden layer sizes of the encoder (the decoder mirrors them). The encoder's hidden
        layers are shared by g and h (g_1 = h_1 in the lecture). ``()`` gives an affine
        encoder and decoder: the linear VAE, i.e. probabilistic PCA.
    sigma2 : float or None
        Noise variance sigma^2 of the decoder; None learns it, starting from 1 (the variance
        of standardised data).
    learn_sigma2 : bool
        Learn sigma^2 (as a log-variance) starting from the given ``sigma2``; useful when the
        data are not standardised (None is short for sigma2=1.0, learn_sigma2=True).
    activation : str
        phi, the hidden activation (see course_lib.nn.MLP).
    seed : int
        Seed of the initial weights (torch's global generator is left untouched).
    """

    def __init__(self, n_features: int, latent_dim: int, hidden=(64,), sigma2: float | None = 0.1,
                 activation: str = "tanh", seed: int = 0, learn_sigma2: bool = False):
        super().__init__()
        n_features = check_count("n_features", n_features)
        self.n_features, self.latent_dim = n_features, check_latent_dim(latent_dim, n_features)
        self.hidden = tuple(check_count("each hidden size", k) for k in hidden)
        self.learn_sigma2 = sigma2 is None or bool(learn_sigma2)
        if sigma2 is not None:
            check_positive("sigma2", sigma2, "a variance (or None: learned)")
        width = self.hidden[-1] if self.hidden else n_features
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            # g_1 = h_1: the encoder's shared layers (identity for the linear VAE)
            self.shared_layers = (MLP([n_features, *self.hidden], activation, output_activation=activation)
                            if self.hidden else nn.Identity())
            self.z_mean_head = nn.Linear(width, self.latent_dim)  # g_2
            self.z_logvar_head = nn.Linear(width, self.latent_dim)  # h_2, as log h^2
            self.decoder = MLP([self.latent_dim, *self.hidden[::-1], n_features], activation)
        log_sigma2 = torch.tensor(math.log(1.0 if sigma2 is None else float(sigma2)))
        if self.learn_sigma2:
            self.noise_logvar = nn.Parameter(log_sigma2)
        else:
            self.register_buffer("noise_logvar", log_sigma2)
        self.to(DTYPE)

    @property
    def sigma2(self) -> float:
        """sigma^2 = exp(noise_logvar), as a float (noise_logvar is a parameter when learned)."""
        return float(torch.exp(self.noise_logvar.detach()))

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """q_x: z_mean = g(x) and z_std = h(x), each of shape (N_obs, m)."""
        shared = self.shared_layers(x)
        return self.z_mean_head(shared), torch.exp(0.5 * self.z_logvar_head(shared))

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """d_theta(z), the mean of p(x | z): (..., m) -> (..., n)."""
        return self.decoder(z.reshape(-1, self.latent_dim)).reshape(*z.shape[:-1], self.n_features)

    def elbo_terms(self, x: torch.Tensor, xi: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Monte Carlo ELBO terms with the given noise ``xi`` of shape (S, N_obs, m).

        Returns ``reconstruction`` = (1/S) sum_s log p(x | z_s), z_s = g(x) + h(x) xi_s, and
        ``kl`` = KL(q_x || N(0, I)) in closed form, each per row (shape (N_obs,)); the ELBO
        is reconstruction - kl.
        """
        z_mean, z_std = self.encode(x)
        z = z_mean + z_std * xi  # reparametrisation: Z = g(x) + diag(h(x)) xi
        sigma2 = torch.exp(self.noise_logvar)
        reconstruction = gaussian_log_likelihood(x, self.decode(z), sigma2).mean(dim=0)
        return reconstruction, kl_to_standard_normal(z_mean, z_std)

    def forward(self, x: torch.Tensor, xi: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """model(x, xi) is :meth:`elbo_terms`: (reconstruction, kl), each of shape (N_obs,)."""
        return self.elbo_terms(x, xi)

    def _noise(self, shape, seed: int) -> torch.Tensor:
        return torch.randn(shape, generator=torch.Generator().manual_seed(seed), dtype=DTYPE)

    def elbo(self, x, n_samples: int = 1, seed: int = 0, terms: bool = False):
        """Mean over rows of the ELBO, in nats, with ``n_samples`` draws of xi per row.

        Returns a float, or if ``terms`` the dict {"elbo", "reconstruction", "kl",
        "mc_stderr"} of floats; mc_stderr is the Monte Carlo standard error of the estimate
        (from the spread of the draws within each row; nan when n_samples = 1).
        """
        x = as_tensor(x, n_features=self.n_features)
        n_samples = check_count("n_samples", n_samples)
        with torch.no_grad(), one_thread():
            xi = self._noise((n_samples, len(x), self.latent_dim), seed)
            z_mean, z_std = self.encode(x)
            x_mean = self.decode(z_mean + z_std * xi)  # (S, N, n)
            draws = gaussian_log_likelihood(x, x_mean, torch.exp(self.noise_logvar)).double()
            kl = kl_to_standard_normal(z_mean, z_std).double()
        reconstruction = draws.mean(dim=0)  # the same as elbo_terms, kept per draw for the error
        mc_var = draws.var(dim=0).sum() / n_samples if n_samples > 1 else torch.tensor(math.nan)
        out = {"elbo": float((reconstruction - kl).mean()),
               "reconstruction": float(reconstruction.mean()), "kl": float(kl.mean()),
               "mc_stderr": float(mc_var.sqrt() / len(x))}
        return out if terms else out["elbo"]

    def log_likelihood(self, x, n_samples: int = 1000, seed: int = 0, chunk: int = 100) -> float:
        """Importance-weighted estimate of (1/N) sum_i log p(x_i), in nats (Burda et al. 2016).

        log p(x) ~ log (1/K) sum_k p(x | z_k) p(z_k) / q_x(z_k), z_k ~ q_x, K = n_samples:
        its expectation is >= the ELBO and increases to log p(x) with K.
        """
        x = as_tensor(x, n_features=self.n_features)
        n_samples = check_count("n_samples", n_samples)
        generator = torch.Generator().manual_seed(seed)
        log_weights = []
        with torch.no_grad(), one_thread():
            z_mean, z_std = self.encode(x)
            for start in range(0, n_samples, chunk):  # chunks keep memory at chunk * N * n
                k = min(chunk, n_samples - start)
                xi = torch.randn((k, len(x), self.latent_dim), generator=generator, dtype=DTYPE)
                z = z_mean + z_std * xi
                log_pz = gaussian_log_likelihood(z, 0.0, 1.0)  # log N_m(z; 0, I)
                # log q_x(z) = log N_m(xi; 0, I) - sum_j log h_j (change of variables z = g + h xi)
                log_qz = gaussian_log_likelihood(xi, 0.0, 1.0) - torch.log(z_std).sum(dim=-1)
                log_px_z = gaussian_log_likelihood(x, self.decode(z), torch.exp(self.noise_logvar))
                log_weights.append(log_px_z + log_pz - log_qz)  # (k, N)
            log_weights = torch.cat(log_weights).double()
            return float((torch.logsumexp(log_weights, dim=0) - math.log(n_samples)).mean())

    def sample(self, n_obs: int, seed: int = 0, noise: bool = False) -> np.ndarray:
        """New data: d(z) with z ~ N(0, I_m) (plus eps ~ N(0, sigma2 I) if ``noise``), (n_obs, n)."""
        n_obs = check_count("n_obs", n_obs)
        generator = torch.Generator().manual_seed(seed)
        with torch.no_grad():
            z = torch.randn((n_obs, self.latent_dim), generator=generator, dtype=DTYPE)
            x = self.decode(z)
            if noise:
                x = x + math.sqrt(self.sigma2) * torch.randn(x.shape, generator=generator, dtype=DTYPE)
        return x.numpy()

    def transform(self, x) -> tuple[np.ndarray, np.ndarray]:
        """Posterior means and standard deviations (z_mean, z_std) as arrays, each (N_obs, m)."""
        with torch.no_grad():
            z_mean, z_std = self.encode(as_tensor(x, n_features=self.n_features))
        return z_mean.numpy(), z_std.numpy()

    def reconstruct(self, x) -> np.ndarray:
        """x_hat = d(g(x)), the decoded posterior mean, shape (N_obs, n)."""
        with torch.no_grad():
            return self.decode(self.encode(as_tensor(x, n_features=self.n_features))[0]).numpy()

    def kl_per_dimension(self, x) -> np.ndarray:
        """Mean over rows of the KL of each latent coordinate, shape (m,): ~0 means collapsed."""
        with torch.no_grad():
            z_mean, z_std = self.encode(as_tensor(x, n_features=self.n_features))
            return gaussian_kl(z_mean, z_std, dim=None).mean(dim=0).numpy()


def fit(model: VAE, x, epochs: int = 1000, lr: float = 2e-2, batch_size: int | None = None,
        seed: int = 0, tol: float | None = 1e-3, window: int | None = None) -> dict:
    """Maximise the ELBO of ``model`` on ``x`` with Adam (loss = -elbo), in place.

    Each epoch shuffles the rows, takes one step per batch of ``batch_size`` rows (None: one
    full batch) with one draw of xi per row (:func:`course_lib.training.train`). The learning rate
    stays at ``lr`` until the mean ELBO over the last ``window`` epochs (None: epochs / 20, at
    least 5) changes by a relative ``tol`` or less from the window before; then it decays
    linearly to 0 over as many epochs again: the one-draw gradient is noisy, and a vanishing
    step lets the parameters settle instead of wandering around the optimum. ``epochs`` is the
    maximum (half of it at constant lr); a fit that has not met the criterion by then warns.
    The defaults bring a linear VAE on standardised data within 0.05 nats of the exact pPCA
    log-likelihood; Adam moves each parameter by about ``lr`` per step, and log-variances
    must travel a few units from their start at 0.

    Returns
    -------
    dict with per-epoch lists "loss" (= -elbo), "elbo", "reconstruction", "kl" (means over rows
    of the one-draw estimates seen during that epoch), and "epochs", "converged",
    "stop_reason", "diverged", "seconds" (see :func:`course_lib.training.train`).
    """
    if not isinstance(model, VAE):
        raise TypeError(f"model must be a course_lib.vae.VAE, got {type(model).__name__}")
    x = as_tensor(x, n_features=model.n_features)
    epochs = check_count("epochs", epochs)

    def loss_terms(rows, generator):
        batch = x[rows]
        xi = torch.randn((1, len(batch), model.latent_dim), generator=generator, dtype=DTYPE)
        reconstruction, kl = model.elbo_terms(batch, xi)
        elbo = (reconstruction - kl).mean()
        return {"loss": -elbo, "elbo": elbo, "reconstruction": reconstruction.mean(), "kl": kl.mean()}

    return train(loss_terms, model.parameters(), len(x), epochs=epochs, lr=lr, batch_size=batch_size, seed=seed,
                 tol=tol, window=window or max(5, epochs // 20), settle=1.0, decay="linear", name="vae.fit")
