"""The figures of chapters 1, 2.1, 2.2 and 2.4 label their axes, draw what they are given and
refuse wrong inputs with a ValueError."""

import numpy as np
import pytest
from matplotlib.figure import Figure

from course_lib import backprop_figures, linear_figures, nn_figures, plotting


def _labelled(fig):
    text = plotting.describe_figure(fig)
    assert plotting.UNLABELLED not in text, text
    return text


def test_activations_draw_each_function_and_its_derivative():
    fig = Figure()
    nn_figures.draw_activations(fig, ["tanh", "relu"], low=-2.0, high=2.0)
    phi, dphi = fig.axes
    _labelled(fig)
    a, tanh = phi.get_lines()[0].get_data()
    assert np.allclose(tanh, np.tanh(a))
    a, relu_prime = dphi.get_lines()[1].get_data()
    assert np.array_equal(relu_prime, (a > 0).astype(float))
    with pytest.raises(ValueError, match="low must be smaller"):
        nn_figures.draw_activations(Figure(), low=1.0, high=0.0)
    with pytest.raises(ValueError, match="unknown activation"):
        nn_figures.draw_activations(Figure(), ["swish"])


def test_learning_curves_are_in_grams():
    fig = Figure()
    history = {"loss": np.array([1.0, 0.25]), "val_loss": np.array([1.0, 0.36])}
    nn_figures.draw_learning_curves(fig.subplots(), history, scale=100.0, baseline=70.0, title="t")
    ax = fig.axes[0]
    assert np.allclose(ax.get_lines()[1].get_ydata(), [100.0, 60.0])  # sqrt(val_loss) * scale
    _labelled(fig)
    with pytest.raises(ValueError, match="val_loss"):
        nn_figures.draw_learning_curves(Figure().subplots(), {"loss": [1.0]}, 1.0, 1.0, "t")


def test_width_depth_needs_four_numbers_per_network():
    fig = Figure()
    rows = [((3, 2, 1), 11, 320.0, 330.0), ((3, 8, 1), 41, 300.0, 310.0)]
    nn_figures.draw_width_depth(fig.subplots(), rows, baseline=380.0)
    _labelled(fig)
    with pytest.raises(ValueError, match="rows"):
        nn_figures.draw_width_depth(Figure().subplots(), [((3, 1), 4)], baseline=1.0)


def test_directions_and_reconstructions_check_shapes():
    rng = np.random.default_rng(0)
    fig = Figure()
    nn_figures.draw_directions(fig, {"P": rng.normal(size=(64, 3)), "W": rng.normal(size=(64, 3))}, "Bases")
    assert len(fig.axes) == 6 and plotting.describe_figure(fig).startswith("Bases. column 1 of P")
    with pytest.raises(ValueError, match="same m"):
        nn_figures.draw_directions(Figure(), {"P": rng.normal(size=(64, 3)), "W": rng.normal(size=(64, 2))})
    fig = Figure()
    nn_figures.draw_reconstructions(fig, {"image": rng.random((4, 64)), "PCA": rng.random((4, 64))})
    assert len(fig.axes) == 8
    with pytest.raises(ValueError, match="same shape"):
        nn_figures.draw_reconstructions(Figure(), {"image": rng.random((4, 64)), "PCA": rng.random((3, 64))})


def test_chapter_one_figures():
    rng = np.random.default_rng(1)
    fig = Figure()
    observed = rng.normal(4000, 500, 20)
    linear_figures.draw_regression_fit(fig.subplots(), observed, observed + rng.normal(0, 100, 20))
    _labelled(fig)
    with pytest.raises(ValueError, match="same shape"):
        linear_figures.draw_regression_fit(Figure().subplots(), observed, observed[:5])

    fig = Figure()
    points, labels = rng.normal(size=(30, 2)), np.repeat([0, 1, 2], 10)
    linear_figures.draw_species_regions(fig.subplots(), lambda p: np.tile([0.2, 0.5, 0.3], (len(p), 1)),
                                        points, labels, ["a", "b", "c"])
    assert fig.axes[0].get_legend().get_texts()[0].get_text() == "a"
    with pytest.raises(ValueError, match="predict_proba"):
        linear_figures.draw_species_regions(Figure().subplots(), None, points, labels, ["a", "b", "c"])

    fig = Figure()
    linear_figures.draw_latent_and_errors(fig, points, labels, ["a", "b", "c"], [0.9, 0.5, 0.2, 0.0])
    assert np.allclose(fig.axes[1].get_lines()[0].get_ydata(), [0.9, 0.5, 0.2, 0.0])
    _labelled(fig)
    with pytest.raises(ValueError, match="z must have shape"):
        linear_figures.draw_latent_and_errors(Figure(), points[:, :1], labels, ["a"], [1.0])


def test_backprop_loss_curves():
    fig = Figure()
    backprop_figures.draw_loss_curves(fig.subplots(), {"by hand": [1.0, 0.5], "autograd": [1.0, 0.5]}, "t")
    assert len(fig.axes[0].get_lines()) == 2
    _labelled(fig)
    with pytest.raises(ValueError, match="non-empty"):
        backprop_figures.draw_loss_curves(Figure().subplots(), {"by hand": []}, "t")


def test_reconstruction_rows_are_named_in_the_alt_text():
    rng = np.random.default_rng(0)
    fig = Figure()
    nn_figures.draw_reconstructions(fig, {"test image": rng.random((4, 64)), "PCA": rng.random((4, 64))}, "m = 5")
    assert plotting.describe_figure(fig) == "m = 5. row 1: test image; row 2: PCA"
