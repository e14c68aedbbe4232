"""The check of page 3.4b accepts right answers written independently and rejects typical
wrong ones, with the expected hint."""

import pytest
import torch
from scipy import stats

from course_lib import checks


# --- right answers, written as a student would (not the reference of course_lib) -------
def nb_from_torch(x, mean, dispersion):
    # torch's NegativeBinomial(total_count=theta, probs=p) counts successes with mean theta p / (1 - p)
    probs = mean / (dispersion + mean)
    return torch.distributions.NegativeBinomial(total_count=dispersion, probs=probs).log_prob(x)


def nb_from_scipy(x, mean, dispersion):
    x, mean, dispersion = torch.broadcast_tensors(x, mean, dispersion)
    values = stats.nbinom.logpmf(x.numpy(), n=dispersion.numpy(), p=(dispersion / (dispersion + mean)).numpy())
    return torch.from_numpy(values)


@pytest.mark.parametrize("answer", [nb_from_torch, nb_from_scipy])
def test_right_answers_pass(answer, capsys):
    checks.negative_binomial_log_prob(answer)
    assert "correct on 3 cases" in capsys.readouterr().out


# --- typical wrong answers ---------------------------------------------------------------
def poisson(x, mean, dispersion):
    return torch.distributions.Poisson(mean).log_prob(x) + 0 * dispersion


def no_factorial(x, mean, dispersion):
    return nb_from_torch(x, mean, dispersion) + torch.lgamma(x + 1)


def dispersion_inverted(x, mean, dispersion):
    return nb_from_torch(x, mean, 1.0 / dispersion)


def swapped_terms(x, mean, dispersion):
    log_ratio = torch.lgamma(x + dispersion) - torch.lgamma(dispersion) - torch.lgamma(x + 1)
    total = dispersion + mean
    return log_ratio + x * torch.log(dispersion / total) + dispersion * torch.log(mean / total)


def summed(x, mean, dispersion):
    return nb_from_torch(x, mean, dispersion).sum()


def wrong_without_a_hint(x, mean, dispersion):
    return nb_from_torch(x, mean, dispersion) + 0.1


@pytest.mark.parametrize("answer, hint", [
    (poisson, "the Poisson log-probability"),
    (no_factorial, "log x! is missing"),
    (dispersion_inverted, "inverse dispersion"),
    (swapped_terms, "the two log terms are swapped"),
    (summed, "element by element"),
])
def test_typical_wrong_answers_fail_with_their_hint(answer, hint):
    with pytest.raises(AssertionError, match="hint: your answer looks like") as error:
        checks.negative_binomial_log_prob(answer)
    assert hint in str(error.value)


def test_another_wrong_answer_fails_without_a_hint():
    with pytest.raises(AssertionError) as error:
        checks.negative_binomial_log_prob(wrong_without_a_hint)
    assert "hint" not in str(error.value) and "case 1 of 3" in str(error.value)


def test_the_stub_is_reported_as_not_implemented(capsys):
    def stub(x, mean, dispersion):
        raise NotImplementedError("write your code here")

    checks.negative_binomial_log_prob(stub)
    assert "not implemented yet" in capsys.readouterr().out
