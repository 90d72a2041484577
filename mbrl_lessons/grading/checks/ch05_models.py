"""Checks for ``exercises/ch05_models.ipynb`` (chapter 5)."""

from __future__ import annotations

import math

import numpy as np

from mbrl_lessons.grading.core import (
    Check,
    Exercise,
    as_array,
    assert_close,
    get_function,
)


# ------------------------------------------------------- Gaussian NLL
def _ref_nll(mean, var, y):
    return float(np.mean(0.5 * (np.log(2 * np.pi * var) + (y - mean) ** 2 / var)))


def _nll(ns, mean, var, y) -> float:
    out = get_function(ns, "gaussian_nll")(mean, var, y)
    return float(as_array(out, "gaussian_nll's result", shape=()))


def nll_hand(ns):
    got = _nll(ns, np.zeros((1, 1)), np.ones((1, 1)), np.zeros((1, 1)))
    assert_close(got, 0.5 * math.log(2 * math.pi), "NLL of y = mean under N(0, 1)",
                 hint="include the constant 0.5 log(2 pi)")
    got = _nll(ns, np.zeros((1, 1)), np.full((1, 1), 4.0), np.full((1, 1), 2.0))
    assert_close(got, 0.5 * (math.log(2 * math.pi * 4.0) + 1.0),
                 "NLL of y = 2 under N(0, 4)",
                 hint="the squared error is divided by the VARIANCE, not the std")


def nll_random(ns):
    rng = np.random.default_rng(3)
    mean, y = rng.normal(size=(20, 3)), rng.normal(size=(20, 3))
    var = rng.uniform(0.1, 2.0, size=(20, 3))
    assert_close(_nll(ns, mean, var, y), _ref_nll(mean, var, y),
                 "mean NLL over every element of random [20, 3] arrays", atol=1e-8,
                 hint="average over both the batch and the dimensions")


# ------------------------------------------------ total variance split
def _split(ns, means, variances):
    out = get_function(ns, "split_uncertainty")(means, variances)
    if not (isinstance(out, tuple) and len(out) == 3):
        raise AssertionError("split_uncertainty should return (mean, aleatoric, "
                             "epistemic)")
    shape = means.shape[1:]
    return tuple(as_array(o, n, shape=shape)
                 for o, n in zip(out, ("mean", "aleatoric", "epistemic"), strict=True))


def split_hand(ns):
    means = np.array([[[1.0]], [[3.0]]])       # two members, one input, one dim
    variances = np.array([[[0.5]], [[1.5]]])
    mean, alea, epi = _split(ns, means, variances)
    assert_close(mean, [[2.0]], "the ensemble mean")
    assert_close(alea, [[1.0]], "aleatoric = mean of the members' variances")
    assert_close(epi, [[1.0]], "epistemic = variance of the members' means",
                 hint="population variance (divide by E, not E - 1)")


def split_random(ns):
    rng = np.random.default_rng(5)
    means = rng.normal(size=(5, 7, 2))
    variances = rng.uniform(0.1, 1.0, size=(5, 7, 2))
    mean, alea, epi = _split(ns, means, variances)
    assert_close(mean, means.mean(0), "mean on random members", atol=1e-8)
    assert_close(alea, variances.mean(0), "aleatoric on random members", atol=1e-8)
    assert_close(epi, means.var(0), "epistemic on random members", atol=1e-8)
    assert_close(alea + epi, (variances + means ** 2).mean(0) - means.mean(0) ** 2,
                 "aleatoric + epistemic = total predictive variance", atol=1e-8)


# ---------------------------------------------------- k-step loss
def _ref_kstep(predict, obs, act):
    s, total = obs[:, 0], 0.0
    k = act.shape[1]
    for j in range(k):
        s = predict(s, act[:, j])
        total += np.mean(np.sum((s - obs[:, j + 1]) ** 2, axis=-1))
    return total / k


def _kstep(ns, predict, obs, act) -> float:
    out = get_function(ns, "kstep_loss")(predict, obs, act)
    return float(as_array(out, "kstep_loss's result", shape=()))


def kstep_hand(ns):
    def predict(s, a):  # a model that always moves 1 too far
        return s + a + 1.0

    obs = np.array([[[0.0], [1.0], [2.0]]])   # truth: s' = s + a
    act = np.array([[[1.0], [1.0]]])
    # predictions 2, 4 against 1, 2: errors 1 and 2 -> (1 + 4) / 2
    assert_close(_kstep(ns, predict, obs, act), 2.5,
                 "two steps with a model that overshoots by 1",
                 hint="feed the model its OWN prediction, not the true state")


def kstep_random(ns):
    rng = np.random.default_rng(11)
    w = rng.normal(size=(3, 3)) * 0.5

    def predict(s, a):
        return s @ w + a

    obs = rng.normal(size=(4, 6, 3))
    act = rng.normal(size=(4, 5, 3))
    assert_close(_kstep(ns, predict, obs, act), _ref_kstep(predict, obs, act),
                 "a linear model on random trajectories (k = 5)", atol=1e-8,
                 hint="sum the squared error over dimensions, average over the "
                      "batch, then average over the k steps")


EXERCISES = [
    Exercise("ch05_gaussian_nll", "The Gaussian negative log-likelihood",
             "ch05_models", ("gaussian_nll",),
             (Check("by hand, including the constant", 2, nll_hand),
              Check("random data vs the reference", 2, nll_random)),
             hint="0.5 * (log(2 pi var) + (y - mean)^2 / var), averaged"),
    Exercise("ch05_split_uncertainty", "Aleatoric and epistemic variance",
             "ch05_models", ("split_uncertainty",),
             (Check("two members, by hand", 2, split_hand),
              Check("random members; the parts add up", 2, split_random)),
             hint="aleatoric: mean of variances; epistemic: variance of means"),
    Exercise("ch05_kstep_loss", "The k-step unrolled loss", "ch05_models",
             ("kstep_loss",),
             (Check("a model that overshoots, by hand", 2, kstep_hand),
              Check("a linear model on random trajectories", 2, kstep_random)),
             hint="s = obs[:, 0]; for each j: s = predict(s, act[:, j]); add the "
                  "error against obs[:, j + 1]"),
]
