import io

import matplotlib
import numpy as np
import pytest
from matplotlib.figure import Figure
from PIL import Image

from course_lib import plotting


def test_description_reads_titles_and_axis_labels():
    fig = Figure()
    left, right = fig.subplots(1, 2)
    left.plot([0, 1])
    left.set(title="Loss", xlabel="epoch", ylabel="$R_i$ (nats)")
    right.imshow(np.eye(3))
    right.axis("off")
    right.set_title("a digit")
    assert plotting.describe_figure(fig) == "Loss: R_i (nats) against epoch; a digit"


def test_an_unlabelled_axis_is_named_as_such():
    fig = Figure()
    fig.subplots().plot([0, 1])
    assert plotting.UNLABELLED in plotting.describe_figure(fig)


def test_a_shared_axis_takes_its_label_from_its_sibling():
    fig = Figure()
    left, right = fig.subplots(1, 2, sharey=True)
    for ax in (left, right):
        ax.plot([0, 1])
        ax.set_xlabel("x")
    left.set_ylabel("y")
    assert plotting.describe_figure(fig) == "y against x"


def test_the_inline_png_carries_its_description():
    fig = Figure()
    ax = fig.subplots()
    ax.plot([0, 1])
    ax.set(xlabel="x", ylabel="y")
    png = Image.open(io.BytesIO(plotting._png_with_description(fig)))
    assert png.info["Description"] == "y against x"


def test_use_style_sets_a_white_background():
    plotting.use_style()
    assert matplotlib.rcParams["figure.facecolor"] == "white"


def test_figure_to_png_and_show_images_check_their_input():
    with pytest.raises(ValueError, match="dpi must be a positive number"):
        plotting.figure_to_png(Figure(), dpi=0)
    with pytest.raises(ValueError, match="3 images but only 2 axes"):
        plotting.show_images(Figure().subplots(1, 2), np.zeros((3, 64)))
    with pytest.raises(ValueError, match=r"points must have shape \(N_obs, 2\)"):
        plotting.scatter_classes(Figure().subplots(), np.zeros((4, 3)), np.zeros(4), ["a"], "x", "y")


def test_the_legend_goes_to_the_emptiest_corner():
    rng = np.random.default_rng(0)
    points = rng.uniform(0, 1, size=(500, 2))
    crowded = points[(points[:, 0] < 0.4) & (points[:, 1] < 0.4)]
    everywhere_but_upper_right = np.vstack([points[~((points[:, 0] > 0.6) & (points[:, 1] > 0.6))], crowded])
    assert plotting.emptiest_corner(everywhere_but_upper_right) == "upper right"
    assert plotting.emptiest_corner(everywhere_but_upper_right * [-1, 1]) == "upper left"  # mirrored
    with pytest.raises(ValueError, match=r"points must have shape \(N_obs, 2\)"):
        plotting.emptiest_corner(np.zeros((0, 2)))
