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


def _check_positive_int(name: str, value, minimum: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be an integer, got {type(value).__name__} {value!r}")
    if value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value}")
    return int(value)


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
    n_obs = _check_positive_int("n_obs", n_obs)
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
    n_cells = _check_positive_int("n_cells", n_cells, minimum=2)
    n_types = _check_positive_int("n_types", n_types)
    n_genes = _check_positive_int("n_genes", n_genes, minimum=2 * n_types)
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


# ---------------------------------------------------------------------------------------
# Real cells: PBMC counts shipped inside scanpy (issue 15)
# ---------------------------------------------------------------------------------------
PBMC_FILE = "10x_pbmc68k_reduced.h5ad"


@dataclass
class CountsDataset(Dataset):
    """A :class:`Dataset` of counts that also keeps each cell's type name and stored total."""

    cell_types: np.ndarray | None = None  # shape (N_obs,), strings
    stored_totals: np.ndarray | None = None  # shape (N_obs,), counts over all genes (file's n_counts)
    max_rounding: float = 0.0  # largest |value - nearest integer| before rounding


def _pbmc_path() -> str:
    """Where the installed scanpy keeps its PBMC file, found without importing scanpy."""
    import importlib.util
    import os

    spec = importlib.util.find_spec("scanpy")
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError("data.pbmc() reads a file that ships with scanpy: pip install scanpy "
                                  "(it is in requirements.txt)")
    path = os.path.join(list(spec.submodule_search_locations)[0], "datasets", PBMC_FILE)
    if not os.path.exists(path):
        raise FileNotFoundError(f"{PBMC_FILE} is not in the installed scanpy ({path})")
    return path


def _decode(values) -> np.ndarray:
    return np.array([v.decode() if isinstance(v, bytes) else str(v) for v in values])


def pbmc() -> CountsDataset:
    """Real blood cells: UMI counts of 765 genes in 700 peripheral blood mononuclear cells.

    Source: Zheng et al. (2017), Nature Communications 8: 14049, the "fresh 68k PBMCs"
    public data set of 10x Genomics (free to use with attribution), reduced by scanpy's
    authors to 700 cells and 765 highly variable genes; the file ``10x_pbmc68k_reduced.h5ad``
    (1.8 MB) ships inside scanpy's wheel (BSD 3-clause) and is read here with h5py, without
    importing scanpy (slow to import, and nothing is downloaded). ``x[i, k]`` is the number
    of unique molecules (UMI) of gene k counted in cell i (int64, >= 0); ``cell_types``
    (and ``y``, indices into ``target_labels``) are the file's ``bulk_labels``: the
    sorted population whose bulk profile correlates best with the cell (Zheng et al.).

    How it was processed: the file stores x' = log(1 + 10^4 c / t) (``raw.X``) with t the
    cell's total count over all genes (``n_counts``), not the counts c. They are recovered
    as c = round(expm1(x') t / 10^4); before rounding every value lies within
    ``max_rounding`` (< 0.1) of an integer (tested).
    """
    import h5py

    with h5py.File(_pbmc_path(), "r") as f:
        raw = f["raw.X"]
        data, indices, indptr = raw["data"][:], raw["indices"][:], raw["indptr"][:]
        shape = tuple(int(s) for s in raw.attrs["h5sparse_shape"])
        obs = f["obs"][:]
        genes = _decode(f["raw.var"]["index"])
        type_names = _decode(f["uns/bulk_labels_categories"][:])
    log_normalised = np.zeros(shape, dtype=np.float64)
    rows = np.repeat(np.arange(shape[0]), np.diff(indptr))
    log_normalised[rows, indices] = data  # the sparse matrix (CSR), made dense
    totals = obs["n_counts"].astype(np.float64)
    unrounded = np.expm1(log_normalised) * totals[:, None] / 1e4  # c = (e^{x'} - 1) t / 10^4
    counts = np.rint(unrounded).astype(np.int64)
    y = obs["bulk_labels"].astype(np.int64)
    return CountsDataset(
        x=counts,
        y=y,
        feature_names=genes.tolist(),
        target_name="cell type",
        target_labels=list(type_names),
        description=(f"PBMC counts (Zheng et al. 2017, 10x Genomics, via scanpy's pbmc68k_reduced): "
                     f"{shape[0]} cells, {shape[1]} genes, {len(type_names)} cell types"),
        cell_types=type_names[y],
        stored_totals=totals,
        max_rounding=float(np.abs(unrounded - counts).max()),
    )


LOADERS["pbmc"] = pbmc
