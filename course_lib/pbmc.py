"""The real cells of page 3.4b: PBMC counts read from the file that ships inside scanpy.

``load`` (also ``course_lib.data.pbmc``) reads ``10x_pbmc68k_reduced.h5ad`` with h5py from
the installed scanpy package, without importing scanpy, and recovers the integer counts from
the log-normalised values the file stores.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from course_lib.data import Dataset

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


def load() -> CountsDataset:
    """Real blood cells: UMI counts of 765 genes in 700 peripheral blood mononuclear cells.

    Source: Zheng et al. (2017), Nature Communications 8: 14049, the "fresh 68k PBMCs"
    public data set of 10x Genomics (free to use with attribution), reduced by scanpy's
    authors to 700 cells and 765 highly variable genes; the file ``10x_pbmc68k_reduced.h5ad``
    (1.8 MB) ships inside scanpy's wheel (BSD 3-clause) and is read here with h5py, without
    importing scanpy (slow to import, and nothing is downloaded). ``x[i, k]`` is the number
    of unique molecules (UMI) of gene k counted in cell i (int64, >= 0); ``cell_types``
    (and ``y``, indices into ``target_labels``) are the file's ``bulk_labels``: the
    sorted population whose bulk profile correlates best with the cell (Zheng et al.).

    How it was processed: the file stores x' = log(1 + 10^4 c / t) (``raw.X``, or ``raw/X`` in
    the anndata layout that scanpy >= 1.12 ships, read alike) with t the
    cell's total count over all genes (``n_counts``), not the counts c. They are recovered
    as c = round(expm1(x') t / 10^4); before rounding every value lies within
    ``max_rounding`` (< 0.1) of an integer (tested).
    """
    import h5py

    with h5py.File(_pbmc_path(), "r") as f:
        if "raw.X" in f:  # the legacy layout of scanpy < 1.12
            raw = f["raw.X"]
            shape = tuple(int(s) for s in raw.attrs["h5sparse_shape"])
            table = f["obs"][:]
            obs = {"n_counts": table["n_counts"], "bulk_labels": table["bulk_labels"]}
            genes = _decode(f["raw.var"]["index"])
            type_names = _decode(f["uns/bulk_labels_categories"][:])
        else:  # anndata's encoding, in scanpy >= 1.12 (Python >= 3.12)
            raw = f["raw/X"]
            shape = tuple(int(s) for s in raw.attrs["shape"])
            obs = {"n_counts": f["obs/n_counts"][:], "bulk_labels": f["obs/bulk_labels/codes"][:]}
            genes = _decode(f["raw/var"][f["raw/var"].attrs["_index"]][:])
            type_names = _decode(f["obs/bulk_labels/categories"][:])
        data, indices, indptr = raw["data"][:], raw["indices"][:], raw["indptr"][:]
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
