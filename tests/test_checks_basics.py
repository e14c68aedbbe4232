"""The checks of chapter 1 accept the reference answers and reject typical wrong ones."""

import numpy as np
import pytest

from course_lib import checks, linear


def _reference_reconstruction(x, P, mean):
    return mean + (x - mean) @ P @ P.T


def test_right_answers_pass_with_one_line(capsys):
    checks.cross_entropy(linear.cross_entropy)
    checks.pca_reconstruction(_reference_reconstruction)
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 2 and all("correct on" in line for line in lines)


def test_a_torch_answer_is_accepted_too(capsys):
    import torch

    def cross_entropy(labels, probabilities):
        p = torch.as_tensor(probabilities)
        return -torch.log(p[torch.arange(len(labels)), torch.as_tensor(labels)]).mean()

    checks.cross_entropy(cross_entropy)
    assert "correct" in capsys.readouterr().out


def test_an_untouched_stub_says_not_implemented(capsys):
    def stub(*args):
        raise NotImplementedError("write your code here")

    checks.cross_entropy(stub)
    checks.pca_reconstruction(stub)
    out = capsys.readouterr().out
    assert out.count("not implemented yet") == 2 and "Traceback" not in out


@pytest.mark.parametrize("wrong, hint", [
    (lambda labels, p: np.mean(np.log(p[np.arange(len(labels)), labels])), "wrong sign"),
    (lambda labels, p: -np.sum(np.log(p[np.arange(len(labels)), labels])), "sum over the rows"),
    (lambda labels, p: -np.log(p[np.arange(len(labels)), labels]), "one value per row"),
    (lambda labels, p: -np.log(np.mean(p[np.arange(len(labels)), labels])), "log of the mean"),
    (lambda labels, p: -np.mean(np.log(p[:, 0])), None),
])
def test_cross_entropy_rejects_typical_mistakes(wrong, hint):
    with pytest.raises(AssertionError) as failure:
        checks.cross_entropy(wrong)
    message = str(failure.value)
    assert "expected" in message and "got" in message
    if hint:
        assert hint in message


@pytest.mark.parametrize("wrong, hint", [
    (lambda x, P, mean: x @ P @ P.T, "not centred"),
    (lambda x, P, mean: (x - mean) @ P @ P.T, "mean was not added back"),
    (lambda x, P, mean: (x - mean) @ P, "latent code"),
    (lambda x, P, mean: mean + (x - mean) @ P @ P.T * 2, None),
])
def test_pca_reconstruction_rejects_typical_mistakes(wrong, hint):
    with pytest.raises(AssertionError) as failure:
        checks.pca_reconstruction(wrong)
    if hint:
        assert hint in str(failure.value)


def test_passing_the_result_instead_of_the_function_is_explained():
    with pytest.raises(TypeError, match="pass your function itself"):
        checks.cross_entropy(0.5)
