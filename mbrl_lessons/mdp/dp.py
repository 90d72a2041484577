"""Dynamic programming on a :class:`TabularMDP` (chapter 2).

Policies are either deterministic, ``int [S]`` (the action in each state), or
stochastic, ``float [S, A]`` with rows summing to 1.  Terminal states keep value
0 throughout: they are absorbing and pay nothing.  References: Bellman (1957),
Howard (1960), Puterman (2014), Sutton & Barto (2018) ch. 4.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from mbrl_lessons.mdp.tabular import TabularMDP


class EvalResult(NamedTuple):
    V: np.ndarray          # [S]
    iterations: int
    deltas: list[float]    # max |V_k+1 - V_k| per sweep


class VIResult(NamedTuple):
    V: np.ndarray          # [S]
    Q: np.ndarray          # [S, A]
    policy: np.ndarray     # int [S]
    iterations: int
    deltas: list[float]


class PIResult(NamedTuple):
    V: np.ndarray
    policy: np.ndarray
    iterations: int
    policy_changes: list[int]  # states whose action changed, per improvement


class QVIResult(NamedTuple):
    Q: np.ndarray
    policy: np.ndarray
    iterations: int
    deltas: list[float]


def as_stochastic(policy: np.ndarray, n_states: int, n_actions: int) -> np.ndarray:
    """A policy as a ``[S, A]`` matrix (one-hot rows for a deterministic one)."""
    policy = np.asarray(policy)
    if policy.ndim == 1:
        if policy.shape != (n_states,):
            raise ValueError(f"a deterministic policy needs shape ({n_states},), "
                             f"got {policy.shape}")
        if not np.issubdtype(policy.dtype, np.integer):
            raise TypeError(f"a deterministic policy holds ints, got {policy.dtype}")
        if policy.min() < 0 or policy.max() >= n_actions:
            raise ValueError(f"policy actions must be in 0..{n_actions - 1}")
        return np.eye(n_actions)[policy]
    if policy.shape != (n_states, n_actions):
        raise ValueError(f"a stochastic policy needs shape ({n_states}, {n_actions}), "
                         f"got {policy.shape}")
    if (policy < 0).any() or np.abs(policy.sum(1) - 1).max() > 1e-8:
        raise ValueError("each row of a stochastic policy must be a distribution")
    return policy.astype(float)


def _policy_model(mdp: TabularMDP, policy) -> tuple[np.ndarray, np.ndarray]:
    """``P_pi [S, S']`` and ``r_pi [S]`` with terminal rows zeroed."""
    pi = as_stochastic(policy, mdp.n_states, mdp.n_actions)
    P_pi = np.einsum("sa,sat->st", pi, mdp.P)
    r_pi = (pi * mdp.R).sum(1)
    P_pi[mdp.terminal] = 0.0
    r_pi[mdp.terminal] = 0.0
    return P_pi, r_pi


def policy_evaluation(mdp: TabularMDP, policy, *, tol: float = 1e-10,
                      max_iter: int = 10_000) -> EvalResult:
    """Iterative policy evaluation: ``V <- r_pi + gamma P_pi V`` until the
    largest change is below ``tol`` (Sutton & Barto §4.1)."""
    P_pi, r_pi = _policy_model(mdp, policy)
    V = np.zeros(mdp.n_states)
    deltas: list[float] = []
    for k in range(1, max_iter + 1):
        V_new = r_pi + mdp.gamma * P_pi @ V
        deltas.append(float(np.abs(V_new - V).max()))
        V = V_new
        if deltas[-1] < tol:
            return EvalResult(V, k, deltas)
    return EvalResult(V, max_iter, deltas)


def policy_evaluation_exact(mdp: TabularMDP, policy) -> np.ndarray:
    """Solve ``(I - gamma P_pi) V = r_pi`` directly.

    With ``gamma = 1`` this needs every non-terminal state to reach a terminal
    one under the policy; otherwise the system is singular and we say so.
    """
    P_pi, r_pi = _policy_model(mdp, policy)
    A = np.eye(mdp.n_states) - mdp.gamma * P_pi
    try:
        return np.linalg.solve(A, r_pi)
    except np.linalg.LinAlgError:
        raise ValueError("I - gamma P_pi is singular: with gamma = 1 the policy "
                         "must reach a terminal state from everywhere") from None


def q_from_v(mdp: TabularMDP, V: np.ndarray) -> np.ndarray:
    """One-step lookahead ``Q[s, a] = R[s, a] + gamma sum_s' P[s, a, s'] V[s']``.

    Terminal rows are 0.  ``V`` has shape ``[S]``; returns ``[S, A]``.
    """
    V = np.asarray(V, dtype=float)
    if V.shape != (mdp.n_states,):
        raise ValueError(f"V must have shape ({mdp.n_states},), got {V.shape}")
    Q = mdp.R + mdp.gamma * mdp.P @ V
    Q[mdp.terminal] = 0.0
    return Q


def bellman_optimality_backup(mdp: TabularMDP, V: np.ndarray) -> np.ndarray:
    """``(T V)(s) = max_a [R(s, a) + gamma sum_s' P(s'|s, a) V(s')]``."""
    return q_from_v(mdp, V).max(axis=1)


def greedy_policy(Q: np.ndarray) -> np.ndarray:
    """``argmax_a Q[s, a]`` per state; ties go to the lowest action index."""
    Q = np.asarray(Q)
    if Q.ndim != 2:
        raise ValueError(f"Q must have shape [S, A], got {Q.shape}")
    return Q.argmax(axis=1).astype(np.int64)


def value_iteration(mdp: TabularMDP, *, tol: float = 1e-8,
                    max_iter: int = 10_000) -> VIResult:
    """Repeat the optimality backup until ``max|V_k+1 - V_k| < tol``.

    For ``gamma < 1`` stopping at ``tol`` guarantees
    ``|V - V*| <= tol * gamma / (1 - gamma)`` (Puterman, Thm 6.3.1).
    """
    V = np.zeros(mdp.n_states)
    deltas: list[float] = []
    k = 0
    for k in range(1, max_iter + 1):  # noqa: B007 (k is returned)
        V_new = bellman_optimality_backup(mdp, V)
        deltas.append(float(np.abs(V_new - V).max()))
        V = V_new
        if deltas[-1] < tol:
            break
    Q = q_from_v(mdp, V)
    return VIResult(V, Q, greedy_policy(Q), k, deltas)


def policy_iteration(mdp: TabularMDP, *, max_iter: int = 1_000) -> PIResult:
    """Howard's policy iteration: exact evaluation, then greedy improvement,
    until the policy stops changing (finitely many steps)."""
    policy = np.zeros(mdp.n_states, dtype=np.int64)
    changes: list[int] = []
    V = policy_evaluation_exact(mdp, policy)
    for k in range(1, max_iter + 1):
        Q = q_from_v(mdp, V)
        # keep the current action on ties, so the loop cannot cycle
        best = Q.max(axis=1)
        keep = Q[np.arange(mdp.n_states), policy] >= best - 1e-12
        new_policy = np.where(keep, policy, greedy_policy(Q))
        changes.append(int((new_policy != policy).sum()))
        policy = new_policy
        V = policy_evaluation_exact(mdp, policy)
        if changes[-1] == 0:
            return PIResult(V, policy, k, changes)
    return PIResult(V, policy, max_iter, changes)


def q_value_iteration(mdp: TabularMDP, *, tol: float = 1e-8,
                      max_iter: int = 10_000) -> QVIResult:
    """``Q <- R + gamma P max_a' Q`` until the change is below ``tol``."""
    Q = np.zeros((mdp.n_states, mdp.n_actions))
    deltas: list[float] = []
    k = 0
    for k in range(1, max_iter + 1):  # noqa: B007 (k is returned)
        Q_new = mdp.R + mdp.gamma * mdp.P @ Q.max(axis=1)
        Q_new[mdp.terminal] = 0.0
        deltas.append(float(np.abs(Q_new - Q).max()))
        Q = Q_new
        if deltas[-1] < tol:
            break
    return QVIResult(Q, greedy_policy(Q), k, deltas)
