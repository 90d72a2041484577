"""§6.2: a planning budget that follows the model's confidence.

Kalweit & Boedecker (2017) use imagined transitions only as far as the model
can be trusted.  The tabular version here: Dyna-Q with a count-based
(stochastic) model plans ``n_t = round(n_max * c_t)`` backups after real
step ``t``, where the confidence ``c_t`` is the mean over the remembered
pairs of ``min(1, N(s, a) / k)``: a pair seen once contributes ``1/k``, one
seen ``k`` times or more counts fully.  Early on, when every pair rests on a
sample or two, the agent plans little; as the counts grow, it plans more.
"""

from __future__ import annotations

import numpy as np

from mbrl_lessons.core.seeding import make_rng
from mbrl_lessons.dyna import DynaConfig, DynaQ
from mbrl_lessons.envs.mazes import DynaMaze
from mbrl_lessons.mdp import TabularMDP, value_iteration
from mbrl_lessons.mdp.dp import policy_evaluation_exact


def model_confidence(agent: DynaQ, k: int) -> float:
    """Mean of ``min(1, N(s, a) / k)`` over the pairs in ``agent``'s
    count model (0 before any real step)."""
    if k < 1:
        raise ValueError(f"k must be >= 1, got {k}")
    if not agent.totals:
        return 0.0
    return float(np.mean([min(1.0, c / k) for c in agent.totals.values()]))


def adaptive_dyna(seed: int, n_max: int = 50, k: int | None = 20, slip: float = 0.2,
                  n_episodes: int = 30) -> dict:
    """Dyna-Q with a count model on the slippery Dyna maze, planning ``n_max``
    backups per real step (``k=None``) or ``n_max`` times the model's
    confidence (:func:`model_confidence` with ``k``).

    Returns the exact value from the start of the final greedy policy, the
    optimal value, the planning backups made and the real steps taken."""
    mdp = TabularMDP.from_env(DynaMaze(slip=slip), 0.95)
    s0 = DynaMaze().start_states[0]
    rng, env = make_rng(seed), DynaMaze(slip=slip)
    agent = DynaQ(env.observation_space.n, env.action_space.n,
                  DynaConfig(n_planning=n_max, model="stochastic"), rng)
    obs, _ = env.reset(seed=int(rng.integers(2**31 - 1)))
    planned = steps = 0
    for _ in range(n_episodes):
        done = False
        while not done:
            a = agent.act(obs)
            obs2, r, term, trunc, _ = env.step(a)
            agent.observe(obs, a, r, obs2, term)
            n = n_max if k is None else int(round(n_max * model_confidence(agent, k)))
            before = agent.backups
            agent.plan(n, current=obs2)
            planned += agent.backups - before
            obs, done, steps = obs2, term or trunc, steps + 1
        obs, _ = env.reset()
    greedy = np.eye(env.action_space.n)[agent.Q.argmax(1)]
    return {"value": float(policy_evaluation_exact(mdp, greedy)[s0]),
            "v_star": float(value_iteration(mdp, tol=1e-12).V[s0]),
            "planning_backups": int(planned), "real_steps": int(steps)}
