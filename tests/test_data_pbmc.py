"""Tests of course_lib.data.pbmc: real counts recovered from scanpy's log-normalised file."""

import h5py
import numpy as np
import pytest

from course_lib import data
from course_lib import pbmc as pbmc_module


@pytest.fixture(scope="module")
def pbmc():
    return data.pbmc()


def test_shapes_types_and_names(pbmc):
    assert pbmc.x.shape == (700, 765) and pbmc.x.dtype == np.int64 and pbmc.x.min() >= 0
    assert pbmc.cell_types.shape == (700,) and all(isinstance(t, str) for t in pbmc.cell_types.tolist())
    assert len(pbmc.feature_names) == 765 and all(type(g) is str for g in pbmc.feature_names)
    assert len(set(pbmc.feature_names)) == 765 and len(pbmc.target_labels) == 10
    np.testing.assert_array_equal(np.array(pbmc.target_labels)[pbmc.y], pbmc.cell_types)
    assert "CD14+ Monocyte" in pbmc.target_labels and data.load("pbmc").x.shape == (700, 765)


def _stored(path):
    with h5py.File(path, "r") as f:
        raw = f["raw.X"] if "raw.X" in f else f["raw/X"]  # scanpy < 1.12, scanpy >= 1.12
        dense = np.zeros((700, 765))
        rows = np.repeat(np.arange(700), np.diff(raw["indptr"][:]))
        dense[rows, raw["indices"][:]] = raw["data"][:]
        return dense, f["obs"]["n_counts"][()].astype(float), f["obs"]["n_genes"][()]


def test_recovered_values_were_whole_numbers(pbmc):
    log_normalised, totals, _ = _stored(pbmc_module._pbmc_path())
    unrounded = np.expm1(log_normalised) * totals[:, None] / 1e4
    assert np.abs(unrounded - np.rint(unrounded)).max() < 0.1
    assert pbmc.max_rounding < 0.1
    np.testing.assert_array_equal(pbmc.x, np.rint(unrounded))
    # the inverse: the counts give back the stored values, which the file rounds to 3 decimals
    np.testing.assert_allclose(np.log1p(1e4 * pbmc.x / totals[:, None]), log_normalised, atol=5.1e-4)


def test_mostly_zeros_and_totals_consistent_with_the_stored_ones(pbmc):
    _, totals, n_genes = _stored(pbmc_module._pbmc_path())
    assert np.mean(pbmc.x == 0) >= 0.6
    library = pbmc.x.sum(axis=1)
    # the 765 genes are part of all genes: their counts are a part of the stored total,
    # and the number of genes detected among them is at most the stored number detected
    assert np.all(library <= totals) and np.all(library >= 0.05 * totals)
    assert np.all((pbmc.x > 0).sum(axis=1) <= n_genes)
    np.testing.assert_array_equal(pbmc.stored_totals, totals)
    # with the wrong total (e.g. 10^4 for every cell), the values would not be whole numbers
    wrong = np.expm1(_stored(pbmc_module._pbmc_path())[0])
    assert np.abs(wrong - np.rint(wrong)).max() > 0.2


def test_loads_fast_and_without_scanpy():
    import subprocess
    import sys

    code = ("import sys, time; from course_lib import data; t = time.perf_counter(); data.pbmc(); "
            "print(time.perf_counter() - t); assert 'scanpy' not in sys.modules")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert float(out.stdout) < 2.0


def test_missing_scanpy_is_explained(monkeypatch):
    import importlib.util

    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None)
    with pytest.raises(ModuleNotFoundError, match="pip install scanpy"):
        data.pbmc()
