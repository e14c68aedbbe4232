"""Offline data sets of the course.

Every data set either ships inside a pip package (scikit-learn, palmerpenguins) or is
simulated from a seed: nothing is downloaded. Each loader returns a :class:`Dataset` of
numpy arrays; :func:`split` and :func:`standardize` make the train / test split and the
scaling the chapters use, with a fixed seed.

==============  ======  =====  ===========================================================
name            N_obs   n      what it is
==============  ======  =====  ===========================================================
``penguins``    333     4      Palmer penguins (Gorman et al. 2014), rows with a missing
                               value dropped; y = species (0 Adelie, 1 Chinstrap, 2 Gentoo)
``digits``      1797    64     8 x 8 handwritten digits (UCI, via scikit-learn); pixels in
                               [0, 1]; y = digit
``diabetes``    442     10     diabetes progression (Efron et al. 2004, via scikit-learn);
                               y = disease progression one year after baseline
``toy_curve``   any     1      the 1-D regression curve of Blundell et al. (2015), simulated
``simulated_cells`` 800  60    expression-like data: 3 cell types and a time trajectory
                               driving the genes non-linearly (simulated, see the function)
==============  ======  =====  ===========================================================
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from course_lib.core import check_count


@dataclass
class Dataset:
    """A data set as arrays: ``x`` has shape (N_obs, n); ``y`` shape (N_obs,) or None."""

    x: np.ndarray
    y: np.ndarray | None
    feature_names: list[str]
    target_name: str
    description: str
    target_labels: list[str] = field(default_factory=list)

    @property
    def n_obs(self) -> int:
        return self.x.shape[0]

    @property
    def n_features(self) -> int:
        return self.x.shape[1]


def penguins() -> Dataset:
    """Palmer penguins: four body measurements of 333 penguins of three species.

    Source: Gorman, Williams & Fraser (2014), PLoS ONE 9(3): e90081, shipped by the
    ``palmerpenguins`` package (licence CC0). Columns: bill length (mm), bill depth (mm),
    flipper length (mm), body mass (g). Rows with a missing measurement or sex are dropped
    (344 -> 333). ``y`` is the species: 0 Adelie, 1 Chinstrap, 2 Gentoo.
    """
    from palmerpenguins import load_penguins

    frame = load_penguins().dropna()
    columns = ["bill_length_mm", "bill_depth_mm", "flipper_length_mm", "body_mass_g"]
    species = ["Adelie", "Chinstrap", "Gentoo"]
    y = frame["species"].map({name: k for k, name in enumerate(species)}).to_numpy()
    return Dataset(
        x=frame[columns].to_numpy(dtype=np.float64),
        y=y.astype(np.int64),
        feature_names=columns,
        target_name="species",
        target_labels=species,
        description=(
            "Palmer penguins (Gorman et al. 2014, CC0), 333 penguins, 4 measurements "
            "in mm and g, 3 species"
        ),
    )


def digits() -> Dataset:
    """Handwritten digits: 1797 images of 8 x 8 pixels, scaled to [0, 1].

    Source: UCI optical recognition of handwritten digits (Alpaydin & Kaynak 1998),
    shipped by scikit-learn (licence CC BY 4.0). ``x[i]`` is the image read row by row
    (reshape to (8, 8) to draw it); ``y[i]`` the digit 0-9.
    """
    from sklearn.datasets import load_digits

    bunch = load_digits()
    return Dataset(
        x=bunch.data.astype(np.float64) / 16.0,  # the raw pixels count 0..16 dark cells
        y=bunch.target.astype(np.int64),
        feature_names=[f"pixel_{r}_{c}" for r in range(8) for c in range(8)],
        target_name="digit",
        target_labels=[str(k) for k in range(10)],
        description="UCI handwritten digits via scikit-learn (CC BY 4.0), 1797 images 8x8 in [0, 1]",
    )


def diabetes() -> Dataset:
    """Diabetes: 10 baseline variables of 442 patients and a measure of progression.

    Source: Efron, Hastie, Johnstone & Tibshirani (2004), Annals of Statistics, shipped by
    scikit-learn (public domain). The features are the raw (unscaled) values: age (years),
    sex, body mass index, mean blood pressure and six blood serum measurements;
    ``y`` is a quantitative measure of disease progression one year after baseline.
    """
    from sklearn.datasets import load_diabetes

    bunch = load_diabetes(scaled=False)
    return Dataset(
        x=bunch.data.astype(np.float64),
        y=bunch.target.astype(np.float64),
        feature_names=list(bunch.feature_names),
        target_name="progression",
        description="Diabetes (Efron et al. 2004) via scikit-learn, 442 patients, 10 variables",
    )


def toy_curve(n_obs: int = 100, noise_std: float = 0.02, seed: int = 0) -> Dataset:
    """The 1-D regression curve of Blundell et al. (2015), simulated with a seed.

    x ~ Uniform(0, 0.5) and y = x + 0.3 sin(2 pi (x + eps)) + 0.3 sin(4 pi (x + eps)) + eps,
    eps ~ N(0, noise_std^2): a wiggly curve observed on half of the plotted interval, so that
    a Bayesian network's uncertainty can be seen to grow away from the data.
    """
    n_obs = check_count("n_obs", n_obs)
    if not noise_std >= 0:
        raise ValueError(f"noise_std must be >= 0 (a standard deviation), got {noise_std}")
    rng = np.random.default_rng(seed)
    x = rng.uniform(0.0, 0.5, size=n_obs)
    eps = rng.normal(0.0, noise_std, size=n_obs)
    y = x + 0.3 * np.sin(2 * np.pi * (x + eps)) + 0.3 * np.sin(4 * np.pi * (x + eps)) + eps
    return Dataset(
        x=x[:, None],
        y=y,
        feature_names=["x"],
        target_name="y",
        description=f"toy curve of Blundell et al. (2015), {n_obs} points, seed {seed}",
    )


LOADERS = {
    "penguins": penguins,
    "digits": digits,
    "diabetes": diabetes,
    "toy_curve": toy_curve,
}


def load(name: str, **kwargs) -> Dataset:
    """Load a course data set by name (see the table at the top of this module)."""
    if name not in LOADERS:
        raise ValueError(f"unknown data set {name!r}; the course has: {', '.join(sorted(LOADERS))}")
    return LOADERS[name](**kwargs)


def split(*arrays: np.ndarray, test_fraction: float = 0.25, seed: int = 0):
    """Shuffle rows with ``seed`` and split every array into train and test parts.

    Returns ``train_0, test_0, train_1, test_1, ...`` in the order of ``arrays``.
    """
    if not arrays:
        raise ValueError("split needs at least one array")
    if not 0.0 < test_fraction < 1.0:
        raise ValueError(f"test_fraction must lie strictly between 0 and 1, got {test_fraction}")
    n_obs = len(arrays[0])
    for k, a in enumerate(arrays):
        if len(a) != n_obs:
            raise ValueError(
                f"all arrays must have the same number of rows: array 0 has {n_obs}, "
                f"array {k} has {len(a)}"
            )
    n_test = int(round(test_fraction * n_obs))
    if n_test < 1 or n_test >= n_obs:
        raise ValueError(
            f"test_fraction={test_fraction} of {n_obs} rows leaves an empty train or test part"
        )
    order = np.random.default_rng(seed).permutation(n_obs)
    test, train = order[:n_test], order[n_test:]
    out = []
    for a in arrays:
        a = np.asarray(a)
        out += [a[train], a[test]]
    return tuple(out)


def standardize(x_train: np.ndarray, *others: np.ndarray):
    """Centre and scale columns with the mean and standard deviation of ``x_train``.

    Returns the scaled ``x_train`` followed by each array of ``others`` scaled the same
    way, so that no information leaks from a test set into the scaling.
    """
    x_train = np.asarray(x_train, dtype=np.float64)
    if x_train.ndim not in (1, 2):
        raise ValueError(f"x_train must be 1-D or 2-D, got shape {x_train.shape}")
    mean = x_train.mean(axis=0)
    std = x_train.std(axis=0)
    std = np.where(std > 0, std, 1.0)  # a constant column is centred, not divided by 0
    scaled = [(x_train - mean) / std]
    for k, other in enumerate(others):
        other = np.asarray(other, dtype=np.float64)
        if other.shape[1:] != x_train.shape[1:]:
            raise ValueError(
                f"array {k + 1} has shape {other.shape}, but x_train has {x_train.shape}: "
                "they need the same number of columns"
            )
        scaled.append((other - mean) / std)
    return tuple(scaled) if others else scaled[0]


@dataclass
class CellsDataset(Dataset):
    """A :class:`Dataset` of simulated cells that also knows each cell's trajectory time."""

    time: np.ndarray | None = None  # shape (N_obs,), in [0, 1]


def simulated_cells(n_cells: int = 800, n_genes: int = 60, n_types: int = 3,
                    noise_std: float = 0.5, seed: int = 0) -> CellsDataset:
    """Expression-like data with a known latent structure: cell types and a trajectory.

    Each cell i has a type c_i, uniform among ``n_types``, and a time t_i ~ Uniform(0, 1)
    along a continuous trajectory (a differentiation, a cell cycle). Its log-expression of
    gene k is, for a trajectory gene and for a marker gene,

        x_ik = beta_k + alpha_k exp(-(t_i - nu_k)^2 / (2 omega_k^2)) + eps_ik,
        x_ik = beta_k + gamma_k 1[c_i = c*_k] + eps_ik,

    with eps_ik ~ N(0, noise_std^2) and gene parameters drawn once from ``seed``:
    beta_k ~ N(1, 0.5^2) a baseline; for 70% of the genes (*trajectory genes*) a wave of
    height alpha_k ~ U(1, 3) peaking at time nu_k ~ U(-0.1, 1.1) with width omega_k ~ U(0.08, 0.2),
    so that the trajectory drives many genes non-linearly; the other 30% (*markers*) are
    raised by gamma_k ~ U(0.8, 1.5) in the cells of one type c*_k (markers cycle over the types).
    ``y`` is the type; ``time`` the true t_i. The waves carry most of the variance, the
    types less: PCA's leading directions follow the trajectory.
    """
    n_cells = check_count("n_cells", n_cells, minimum=2)
    n_types = check_count("n_types", n_types)
    n_genes = check_count("n_genes", n_genes, minimum=2 * n_types)
    if not noise_std >= 0:
        raise ValueError(f"noise_std must be >= 0 (a standard deviation), got {noise_std}")
    rng = np.random.default_rng(seed)
    time = rng.uniform(0.0, 1.0, size=n_cells)
    cell_type = rng.integers(0, n_types, size=n_cells)
    n_markers = int(round(0.3 * n_genes))
    n_waves = n_genes - n_markers
    baseline = rng.normal(1.0, 0.5, size=n_genes)
    peak = rng.uniform(-0.1, 1.1, n_waves)  # nu_k
    width = rng.uniform(0.08, 0.2, n_waves)  # omega_k
    height = rng.uniform(1.0, 3.0, n_waves)  # alpha_k
    waves = height * np.exp(-((time[:, None] - peak) ** 2) / (2 * width**2))  # (n_cells, n_waves)
    marked_type = np.arange(n_markers) % n_types
    markers = rng.uniform(0.8, 1.5, n_markers) * (cell_type[:, None] == marked_type)  # gamma_k 1[c_i = c*_k]
    x = baseline + np.hstack([waves, markers]) + noise_std * rng.normal(size=(n_cells, n_genes))
    return CellsDataset(
        x=x,
        y=cell_type.astype(np.int64),
        feature_names=[f"wave_{g}" for g in range(n_waves)]
        + [f"marker_{g}_type_{k}" for g, k in enumerate(marked_type)],
        target_name="cell type",
        target_labels=[f"type {k}" for k in range(n_types)],
        description=(f"simulated cells (seed {seed}): {n_cells} cells, {n_genes} genes, {n_types} types "
                     f"and a trajectory time, log-expression noise sd {noise_std}"),
        time=time,
    )


LOADERS["simulated_cells"] = simulated_cells
