import numpy as np
import pytest
import torch

from course_lib import linear


def test_least_squares_matches_numpy_polyfit():
    rng = np.random.default_rng(0)
    x = rng.normal(size=40)
    y = 2.0 - 3.0 * x + rng.normal(scale=0.1, size=40)
    beta, beta_0 = linear.fit_linear_regression(x[:, None], y)
    slope, intercept = np.polyfit(x, y, 1)
    assert beta[0] == pytest.approx(slope, rel=1e-10)
    assert beta_0 == pytest.approx(intercept, rel=1e-10)


def test_cross_entropy_matches_torch():
    rng = np.random.default_rng(1)
    logits = rng.normal(size=(30, 4))
    labels = rng.integers(0, 4, size=30)
    p = torch.softmax(torch.from_numpy(logits), dim=1).numpy()
    expected = torch.nn.functional.cross_entropy(torch.from_numpy(logits), torch.from_numpy(labels)).item()
    assert linear.cross_entropy(labels, p) == pytest.approx(expected, rel=1e-12)


def test_softmax_regression_separates_separable_classes():
    rng = np.random.default_rng(2)
    x = np.vstack([rng.normal(-2, 0.5, size=(30, 2)), rng.normal(2, 0.5, size=(30, 2))])
    labels = np.repeat([0, 1], 30)
    predict_proba, losses = linear.fit_softmax_regression(x, labels, epochs=200, lr=0.5)
    assert np.all(predict_proba(x).argmax(axis=1) == labels)
    assert losses[-1] < losses[0]
    np.testing.assert_allclose(predict_proba(x).sum(axis=1), 1.0)


def test_pca_matches_the_svd_of_the_centred_data():
    rng = np.random.default_rng(3)
    x = rng.normal(size=(100, 5)) @ rng.normal(size=(5, 5))
    fitted = linear.pca(x, 2)
    _, singular, vt = np.linalg.svd(x - x.mean(axis=0), full_matrices=False)
    assert linear.principal_angles(fitted.P, vt[:2].T).max() < 1e-5
    np.testing.assert_allclose(fitted.variances, singular**2 / len(x), rtol=1e-10)
    np.testing.assert_allclose(fitted.P.T @ fitted.P, np.eye(2), atol=1e-12)
    # the reconstruction error is the sum of the discarded eigenvalues
    assert fitted.reconstruction_error(x) == pytest.approx(fitted.variances[2:].sum(), rel=1e-10)


def test_pca_with_all_components_reconstructs_exactly():
    x = np.random.default_rng(4).normal(size=(10, 3))
    fitted = linear.pca(x, 3)
    np.testing.assert_allclose(fitted.decode(fitted.encode(x)), x, atol=1e-12)


def test_principal_angles_of_known_planes():
    a = np.array([[1.0, 0.0], [0.0, 1.0], [0.0, 0.0]])
    angle = np.radians(30)
    b = np.array([[1.0, 0.0], [0.0, np.cos(angle)], [0.0, np.sin(angle)]])
    np.testing.assert_allclose(linear.principal_angles(a, b), [0.0, 30.0], atol=1e-6)


@pytest.mark.parametrize("call, error, match", [
    (lambda: linear.pca(np.zeros(5), 1), ValueError, r"2-D array of shape \(N_obs, n\)"),
    (lambda: linear.pca(np.zeros((5, 3)), 4), ValueError, "1 <= m <= n = 3"),
    (lambda: linear.pca(np.zeros((5, 3)), 0), ValueError, "1 <= m <= n = 3"),
    (lambda: linear.pca(np.full((2, 2), np.nan), 1), ValueError, "NaN"),
    (lambda: linear.fit_linear_regression(np.zeros((5, 2)), np.zeros(4)), ValueError, "5 rows but y has 4"),
    (lambda: linear.fit_softmax_regression(np.zeros((4, 2)), np.zeros(4, dtype=int), lr=-1), ValueError, "lr must be > 0"),
    (lambda: linear.principal_angles(np.zeros((3, 1)), np.zeros((4, 1))), ValueError, "same number of rows"),
])
def test_bad_input_says_what_is_allowed(call, error, match):
    with pytest.raises(error, match=match):
        call()
