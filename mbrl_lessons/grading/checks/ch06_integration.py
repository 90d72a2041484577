"""Checks for ``exercises/ch06_integration.ipynb`` (chapter 6)."""

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
from mbrl_lessons.grading.wire import fx


# ------------------------------------------------------ Dyna planning loop
def _chain_model():
    # 0 -> 1 -> 2 -> goal 3 with action 0; the last step pays 1 and ends
    return {(0, 0): (0.0, 1, False), (1, 0): (0.0, 2, False), (2, 0): (1.0, 3, True)}


def dyna_single(ns):
    fn = get_function(ns, "dyna_planning")
    Q = np.zeros((4, 2))
    Q[1] = [2.0, 0.0]
    Q = as_array(fn(Q, {(0, 1): (1.0, 1, False)}, 2, 0.5, 0.9,
                    fx("rng", seed=0)), "dyna_planning", shape=(4, 2))
    # two updates of the only pair: 0 -> 1.4 -> 2.1 (target 1 + 0.9 * 2 = 2.8)
    assert_close(Q[0, 1], 2.1, "Q[0, 1] after 2 planning updates",
                 hint="Q += alpha * (r + gamma * max Q[s'] - Q), n times")
    assert_close(Q[0, 0], 0.0, "Q[0, 0] (never in the model)")


def dyna_terminal(ns):
    fn = get_function(ns, "dyna_planning")
    Q = np.full((4, 1), 5.0)
    Q = fn(Q, {(2, 0): (1.0, 3, True)}, 1, 1.0, 0.9, fx("rng", seed=0))
    assert_close(Q[2, 0], 1.0, "a terminal transition's target",
                 hint="do not bootstrap from the state after a terminal transition")


def dyna_converges(ns):
    fn = get_function(ns, "dyna_planning")
    Q = fn(np.zeros((4, 1)), _chain_model(), 300, 0.5, 0.9, fx("rng", seed=1))
    assert_close(Q[:3, 0], [0.81, 0.9, 1.0], "Q on the chain after 300 updates",
                 atol=1e-3, hint="sample remembered pairs uniformly at random")


# ------------------------------------------------------------------ UCB
def ucb_hand(ns):
    fn = get_function(ns, "ucb_score")
    want = 0.5 + math.sqrt(2) * math.sqrt(math.log(10) / 2)
    assert_close(fn(0.5, 10, 2, math.sqrt(2)), want, "ucb_score(0.5, 10, 2, sqrt 2)",
                 hint="q + c * sqrt(ln(n_parent) / n_child)")
    assert_close(fn(0.2, 100, 5, 1.0), 0.2 + math.sqrt(math.log(100) / 5),
                 "ucb_score(0.2, 100, 5, 1)")


def ucb_unvisited(ns):
    v = get_function(ns, "ucb_score")(0.0, 10, 0, 1.0)
    if not v == math.inf:
        raise AssertionError(f"an unvisited child should score +inf (try it first), "
                             f"got {v}")


# ---------------------------------------------------------- MCTS backprop
def _path():
    return [{"N": 3, "W": 1.0, "mover": -1}, {"N": 2, "W": 1.5, "mover": 1},
            {"N": 0, "W": 0.0, "mover": -1}]


def _backprop(ns, result):
    """The path after the learner's ``backpropagate`` updated it in place."""
    r = get_function(ns, "backpropagate").call(_path(), result, return_args=True)
    path = r.args[0]
    if not (isinstance(path, list) and all(isinstance(n, dict) and "N" in n
                                           and "W" in n for n in path)):
        raise AssertionError("update the nodes of the path in place (a list of "
                             "dicts with keys 'N', 'W' and 'mover')")
    return path


def bp_win(ns):
    path = _backprop(ns, 1)  # the first player (+1) won
    got = [(n["N"], n["W"]) for n in path]
    want = [(4, 1.0), (3, 2.5), (1, 0.0)]
    if not np.allclose(np.asarray(got, dtype=float), np.asarray(want, dtype=float)):
        raise AssertionError(f"after a win for +1, (N, W) per node should be {want}, "
                             f"got {got}; hint: each node counts the result for the "
                             "player who moved into it (win 1, draw 0.5, loss 0)")


def bp_draw(ns):
    path = _backprop(ns, 0)
    got = [n["W"] for n in path]
    if not np.allclose(np.asarray(got, dtype=float), [1.5, 2.0, 0.5]):
        raise AssertionError(f"a draw adds 0.5 to every node's W; got W = {got}")


# ---------------------------------------------- prioritized predecessors
def ps_hand(ns):
    fn = get_function(ns, "predecessor_priorities")
    Q = np.zeros((4, 2))
    Q[2] = [1.0, 3.0]
    model = {(0, 0): (0.5, 2, False), (1, 1): (0.0, 2, False), (3, 0): (0.0, 0, False),
             (1, 0): (2.7, 2, False)}
    preds = {2: {(0, 0), (1, 1), (1, 0)}, 0: {(3, 0)}}
    out = fn(Q, model, preds, 2, 0.9, 0.1)
    got = sorted((round(float(p), 6), int(s), int(a)) for p, s, a in out)
    # |r + 0.9 * 3 - 0|: (0,0) -> 3.2, (1,1) -> 2.7, (1,0) -> 5.4
    want = [(2.7, 1, 1), (3.2, 0, 0), (5.4, 1, 0)]
    if got != want:
        raise AssertionError(f"expected (priority, s, a) = {want}, got {got}")


def ps_negative(ns):
    # a predecessor whose value is too HIGH: r + gamma max Q[s] - Q = -2.5; its
    # priority is the size of that error, 2.5, and it must be queued
    fn = get_function(ns, "predecessor_priorities")
    Q = np.zeros((3, 2))
    Q[1] = [1.0, 0.0]
    Q[0, 1] = 3.4
    model = {(0, 1): (0.0, 1, False), (2, 0): (0.5, 1, False)}
    out = fn(Q, model, {1: {(0, 1), (2, 0)}}, 1, 0.9, 0.1)
    got = sorted((round(float(p), 6), int(s), int(a)) for p, s, a in out)
    want = [(1.4, 2, 0), (2.5, 0, 1)]
    if got != want:
        hint = ""
        if (2.5, 0, 1) not in got:
            hint = (" Hint: the priority is the SIZE of the error, |r + gamma max "
                    "Q[s] - Q[s_bar, a_bar]|: a value that is too high needs an "
                    "update as much as one that is too low")
        raise AssertionError(f"expected (priority, s, a) = {want}, got {got}.{hint}")


def ps_threshold(ns):
    fn = get_function(ns, "predecessor_priorities")
    Q = np.zeros((3, 1))
    Q[1, 0] = 1.0
    Q[0, 0] = 0.9
    model = {(0, 0): (0.0, 1, False)}
    out = fn(Q, model, {1: {(0, 0)}}, 1, 0.9, 0.01)
    if list(out):
        raise AssertionError(f"a pair whose priority is below theta must not be "
                             f"queued; got {list(out)}")


# ------------------------------------------------- gradient of a plan's return
def _plan_return(actions, s0, alpha, beta, rho):
    s, total = float(s0), 0.0
    for a in actions:
        total -= s * s + rho * a * a
        s = alpha * s + beta * a
    return total


def _plan_gradient(ns, actions, s0, alpha, beta, rho):
    fn = get_function(ns, "plan_gradient")
    return as_array(fn(np.array(actions, dtype=float), s0, alpha, beta, rho),
                    "plan_gradient", shape=(len(actions),))


def grad_hand(ns):
    # H = 2, s0 = 1, alpha = 1, beta = 1, rho = 0.5, a = (0.5, -1):
    # s1 = 1.5, s2 = 0.5; lambda_2 = 0, lambda_1 = -3;
    # dJ/da1 = -2 * 0.5 * (-1) + 0 = 1, dJ/da0 = -2 * 0.5 * 0.5 + (-3) = -3.5
    got = _plan_gradient(ns, [0.5, -1.0], 1.0, 1.0, 1.0, 0.5)
    if np.allclose(got, [-0.5, 1.0]):
        raise AssertionError(
            f"got {got.tolist()}, only the actions' own reward terms: a_0 also "
            "moves s_1, whose reward -s_1^2 is in J (add beta * lambda_1)")
    assert_close(got, [-3.5, 1.0], "the gradient of a 2-step plan, by hand",
                 hint="dJ/da_t = -2 rho a_t + beta lambda_{t+1}; lambda_t = "
                      "-2 s_t + alpha lambda_{t+1}; lambda_H = 0")


def grad_memoryless(ns):
    # alpha = 0: s_{t+1} = beta a_t only, so a_t reaches exactly one later
    # reward, -s_{t+1}^2 (none for the last action): dJ/da_t = -2 rho a_t
    # - 2 beta^2 a_t for t < H - 1
    a = np.array([1.0, -2.0, 0.5])
    got = _plan_gradient(ns, a, 3.0, 0.0, 2.0, 0.1)
    want = -2 * 0.1 * a - 2 * 4.0 * a * np.array([1.0, 1.0, 0.0])
    assert_close(got, want, "alpha = 0 (each action moves only the next state)",
                 hint="the last action moves only s_H, which earns no reward")


def grad_finite_differences(ns):
    actions = np.random.default_rng(3).normal(size=6)
    args = (0.7, 0.9, 0.5, 0.1)
    got = _plan_gradient(ns, actions, *args)
    want = np.empty(6)
    for t in range(6):
        e = np.zeros(6)
        e[t] = 1e-6
        want[t] = (_plan_return(actions + e, *args)
                   - _plan_return(actions - e, *args)) / 2e-6
    assert_close(got, want, "a 6-step plan's gradient against finite differences",
                 atol=1e-5, hint="alpha multiplies lambda_{t+1} in lambda_t: a "
                 "state affects every later state through the model")


EXERCISES = [
    Exercise("ch06_dyna_planning", "The Dyna-Q planning loop", "ch06_integration",
             ("dyna_planning",),
             (Check("two updates of one remembered pair, by hand", 2, dyna_single),
              Check("no bootstrap after a terminal transition", 1, dyna_terminal),
              Check("planning alone solves a chain", 2, dyna_converges)),
             forbidden=("mbrl_lessons.dyna.dyna_q.DynaQ",)),
    Exercise("ch06_ucb_score", "The UCB selection rule", "ch06_integration",
             ("ucb_score",),
             (Check("two scores by hand", 2, ucb_hand),
              Check("unvisited children first", 1, ucb_unvisited)),
             forbidden=("mbrl_lessons.search.mcts.ucb_score",)),
    Exercise("ch06_mcts_backprop", "MCTS backpropagation", "ch06_integration",
             ("backpropagate",),
             (Check("a win credits movers correctly", 2, bp_win),
              Check("a draw is worth one half", 1, bp_draw)),
             forbidden=("mbrl_lessons.search.mcts.backpropagate",)),
    Exercise("ch06_ps_predecessors", "The prioritized-sweeping predecessor update",
             "ch06_integration", ("predecessor_priorities",),
             (Check("priorities of the predecessors, by hand", 2, ps_hand),
              Check("an overestimated predecessor is queued by |error|", 1,
                    ps_negative),
              Check("only priorities above theta are queued", 1, ps_threshold)),
             forbidden=("mbrl_lessons.dyna.prioritized.PrioritizedSweeping",
                        "mbrl_lessons.dyna.prioritized.priority")),
    Exercise("ch06_plan_gradient", "The gradient of a plan's return",
             "ch06_integration", ("plan_gradient",),
             (Check("a 2-step plan, by hand", 2, grad_hand),
              Check("a model without memory (alpha = 0)", 1, grad_memoryless),
              Check("a 6-step plan against finite differences", 2,
                    grad_finite_differences))),
]
