"""Checks for ``exercises/ch02_mdp.ipynb`` (chapter 2: dynamic programming).

Learners write plain numpy functions on ``P [S, A, S']``, ``R [S, A]``,
``gamma``; we compare with hand-computed cases and with :mod:`mbrl_lessons.mdp`
on random MDPs (no terminal states here).
"""

from __future__ import annotations

import math

import numpy as np

from mbrl_lessons.grading.core import (
    Check,
    Exercise,
    as_array,
    assert_close,
    assert_greedy,
    get_function,
    random_mdp,
)
from mbrl_lessons.mdp import TabularMDP, bellman_optimality_backup, value_iteration
from mbrl_lessons.mdp import policy_evaluation_exact as ref_eval
from mbrl_lessons.mdp import q_from_v as ref_q


def two_state():
    """s0: a0 stays (+1), a1 -> s1 (0); s1: a0 stays (+2), a1 -> s0 (0); gamma 0.9.
    V* = [18, 20] (worked out in the chapter's test suite and its text)."""
    P = np.zeros((2, 2, 2))
    P[0, 0, 0] = P[0, 1, 1] = P[1, 0, 1] = P[1, 1, 0] = 1.0
    R = np.array([[1.0, 0.0], [2.0, 0.0]])
    return P, R, 0.9


_DP = "mbrl_lessons.mdp.dp"


def _rng(k):
    return np.random.default_rng(1000 + k)


# ----------------------------------------------------- policy evaluation
def pe_shape(ns):
    fn = get_function(ns, "policy_evaluation")
    P, R = random_mdp(_rng(0), 4, 2)
    pi = np.full((4, 2), 0.5)
    as_array(fn(P, R, 0.9, pi), "policy_evaluation", shape=(4,))


def pe_hand(ns):
    fn = get_function(ns, "policy_evaluation")
    P, R, gamma = two_state()
    pi = np.array([[0.5, 0.5], [1.0, 0.0]])
    # V1 = 2 / (1 - 0.9) = 20;  V0 = 0.5 (1 + 0.9 V0) + 0.5 (0.9 * 20) -> V0 = 190/11
    V = as_array(fn(P, R, gamma, pi), "policy_evaluation", shape=(2,))
    assert_close(V, [190 / 11, 20.0], "V for the 2-state MDP", atol=1e-5,
                 hint="each sweep is V <- sum_a pi(a|s) [R + gamma P V]")


def pe_random(ns):
    fn = get_function(ns, "policy_evaluation")
    for k in range(3):
        rng = _rng(10 + k)
        S, A = 5 + k, 3
        P, R = random_mdp(rng, S, A)
        pi = rng.random((S, A))
        pi /= pi.sum(1, keepdims=True)
        V = as_array(fn(P, R, 0.9, pi, 1e-10), "policy_evaluation", shape=(S,))
        assert_close(V, ref_eval(TabularMDP(P, R, 0.9), pi), f"V on random MDP {k}",
                     atol=1e-5, hint="iterate until the largest change is below tol")


def pe_gamma0(ns):
    fn = get_function(ns, "policy_evaluation")
    P, R = random_mdp(_rng(3), 4, 2)
    pi = np.array([[1.0, 0.0], [0.0, 1.0], [0.3, 0.7], [0.5, 0.5]])
    V = as_array(fn(P, R, 0.0, pi), "policy_evaluation", shape=(4,))
    assert_close(V, (pi * R).sum(1), "V with gamma = 0", atol=1e-8,
                 hint="with gamma = 0 a state is worth its expected immediate reward")


# ------------------------------------------------------- bellman backup
def bb_shape(ns):
    fn = get_function(ns, "bellman_optimality_backup")
    P, R = random_mdp(_rng(4), 3, 2)
    as_array(fn(P, R, 0.9, np.zeros(3)), "bellman_optimality_backup", shape=(3,))


def bb_hand(ns):
    fn = get_function(ns, "bellman_optimality_backup")
    P, R, gamma = two_state()
    assert_close(fn(P, R, gamma, np.zeros(2)), [1.0, 2.0], "T(0) on the 2-state MDP",
                 hint="from V = 0 the backup is the best immediate reward")
    assert_close(fn(P, R, gamma, np.array([18.0, 20.0])), [18.0, 20.0],
                 "T(V*) on the 2-state MDP", atol=1e-8,
                 hint="V* is a fixed point of the optimality backup")


def bb_random(ns):
    fn = get_function(ns, "bellman_optimality_backup")
    for k in range(3):
        rng = _rng(20 + k)
        P, R = random_mdp(rng, 6, 3)
        V = rng.normal(size=6) * 5
        assert_close(fn(P, R, 0.8, V), bellman_optimality_backup(
            TabularMDP(P, R, 0.8), V), f"backup on random MDP {k}", atol=1e-8,
            hint="max over actions of R[s, a] + gamma * sum_s' P[s, a, s'] V[s']")


# ------------------------------------------------------- value iteration
def vi_returns(ns):
    fn = get_function(ns, "value_iteration")
    P, R, gamma = two_state()
    out = fn(P, R, gamma, 1e-8)
    if not (isinstance(out, tuple) and len(out) == 2):
        raise AssertionError("value_iteration should return a tuple (V, n_sweeps), "
                             f"got {type(out).__name__}")
    as_array(out[0], "value_iteration's V", shape=(2,))
    if not isinstance(out[1], int | np.integer):
        raise AssertionError(f"n_sweeps should be an int, got {type(out[1]).__name__}")


def vi_hand(ns):
    fn = get_function(ns, "value_iteration")
    P, R, gamma = two_state()
    V, _ = fn(P, R, gamma, 1e-10)
    assert_close(V, [18.0, 20.0], "V* of the 2-state MDP", atol=1e-6)


def vi_random(ns):
    fn = get_function(ns, "value_iteration")
    for k in range(3):
        P, R = random_mdp(_rng(30 + k), 7, 3)
        tol = 1e-6
        V, _ = fn(P, R, 0.9, tol)
        ref = value_iteration(TabularMDP(P, R, 0.9), tol=1e-12).V
        assert_close(V, ref, f"V* on random MDP {k}", atol=tol * 0.9 / 0.1 + 1e-9,
                     hint="stop when max_s |V_new - V| < tol; the error bound is "
                          "tol * gamma / (1 - gamma)")


def _sweep_deltas(P, R, gamma, n):
    """max|V_k - V_{k-1}| for the first ``n`` sweeps from V = 0."""
    V, out = np.zeros(P.shape[0]), []
    for _ in range(n):
        V_new = bellman_optimality_backup(TabularMDP(P, R, gamma), V)
        out.append(float(np.abs(V_new - V).max()))
        V = V_new
    return out


def vi_stopping(ns):
    fn = get_function(ns, "value_iteration")
    _, n = fn(*two_state()[:2], 0.9, 25.0)   # the first change is 2 < 25
    if int(n) != 1:
        raise AssertionError(
            f"with tol = 25 the first sweep (largest change 2) already meets the "
            f"rule, so value iteration stops after 1 sweep; you reported {n}. Hint: "
            "n_sweeps counts every backup you applied, the last one included")
    P, R = random_mdp(_rng(40), 6, 2)
    deltas = _sweep_deltas(P, R, 0.9, 70)
    for k in (4, 17, 60):
        # a tol halfway (geometrically) between the changes of sweeps k-1 and k:
        # the rule max|V_new - V| < tol first holds at sweep k, by a wide margin
        tol = math.sqrt(deltas[k - 2] * deltas[k - 1])
        _, n = fn(P, R, 0.9, tol)
        if int(n) != k:
            hint = ("count every backup you applied, the last one included"
                    if abs(int(n) - k) == 1 else
                    "stop after the first sweep whose largest change is below tol")
            raise AssertionError(
                f"with tol={tol:.6g} the stopping rule max|V_new - V| < tol stops "
                f"after {k} sweeps (starting from V = 0); you reported {n}. "
                f"Hint: {hint}")


# --------------------------------------------------------- greedy policy
def gp_shape(ns):
    fn = get_function(ns, "greedy_policy")
    P, R = random_mdp(_rng(50), 5, 3)
    as_array(fn(P, R, 0.9, np.zeros(5)), "greedy_policy", shape=(5,), kind="i")


def gp_hand(ns):
    fn = get_function(ns, "greedy_policy")
    P, R, gamma = two_state()
    pi = as_array(fn(P, R, gamma, np.array([18.0, 20.0])), "greedy_policy",
                  shape=(2,), kind="i")
    if pi.tolist() != [1, 0]:
        raise AssertionError(f"greedy policy of V* should be [1, 0] (move, then "
                             f"stay), got {pi.tolist()}; hint: look one step ahead "
                             "with Q = R + gamma P V")


def gp_random(ns):
    fn = get_function(ns, "greedy_policy")
    for k in range(3):
        rng = _rng(60 + k)
        P, R = random_mdp(rng, 6, 3)
        V = rng.normal(size=6) * 3
        pi = as_array(fn(P, R, 0.9, V), "greedy_policy", shape=(6,), kind="i")
        assert_greedy(ref_q(TabularMDP(P, R, 0.9), V), pi, atol=1e-8)


EXERCISES = [
    Exercise("ch02_policy_evaluation", "Iterative policy evaluation", "ch02_mdp",
             ("policy_evaluation",),
             (Check("returns V of shape [S]", 1, pe_shape),
              Check("2-state MDP, worked by hand", 2, pe_hand),
              Check("random MDPs vs the exact linear solve", 2, pe_random),
              Check("gamma = 0 gives the expected immediate reward", 1, pe_gamma0)),
             hint="repeat V <- r_pi + gamma * P_pi @ V until the change is below tol",
             forbidden=(f"{_DP}.policy_evaluation", f"{_DP}.policy_evaluation_exact")),
    Exercise("ch02_bellman_backup", "The Bellman optimality backup", "ch02_mdp",
             ("bellman_optimality_backup",),
             (Check("returns shape [S]", 1, bb_shape),
              Check("2-state MDP: T(0) and the fixed point T(V*) = V*", 2, bb_hand),
              Check("random MDPs vs the reference", 2, bb_random)),
             hint="Q = R + gamma * P @ V, then take the max over actions",
             forbidden=(f"{_DP}.bellman_optimality_backup", f"{_DP}.q_from_v")),
    Exercise("ch02_value_iteration", "Value iteration with a stopping rule",
             "ch02_mdp", ("value_iteration",),
             (Check("returns (V, n_sweeps)", 1, vi_returns),
              Check("2-state MDP: V* = [18, 20]", 2, vi_hand),
              Check("random MDPs within the error bound", 2, vi_random),
              Check("stops when max|V_new - V| < tol", 1, vi_stopping)),
             hint="start from V = 0; back up until the largest change is below tol",
             forbidden=(f"{_DP}.value_iteration", f"{_DP}.q_value_iteration",
                        f"{_DP}.policy_iteration", f"{_DP}.bellman_optimality_backup")),
    Exercise("ch02_greedy_policy", "Greedy policy improvement", "ch02_mdp",
             ("greedy_policy",),
             (Check("returns integer actions of shape [S]", 1, gp_shape),
              Check("2-state MDP: greedy in V* is [1, 0]", 2, gp_hand),
              Check("random MDPs: every chosen action maximises Q", 2, gp_random)),
             hint="compute Q = R + gamma * P @ V and take argmax over actions",
             forbidden=(f"{_DP}.greedy_policy", f"{_DP}.q_from_v")),
]
