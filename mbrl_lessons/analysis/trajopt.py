"""Chapter 6.3's comparison of trajectory optimisers at equal budgets.

CEM (sampling) and gradient shooting (backpropagation through the model) plan
from the same start states of Pendulum-v1 with the TRUE model, given the same
number of model calls per plan; we record the return of each plan (exact,
since the model is the true one) and the wall-clock time it took.
"""

from __future__ import annotations

import time

import numpy as np
import torch

from mbrl_lessons.analysis.schemes import TRUE_ENV
from mbrl_lessons.core.seeding import stream_rng, stream_seed
from mbrl_lessons.planning import CEMPlanner, PlannerConfig
from mbrl_lessons.planning.gradient import GradientPlanner, GradientPlannerConfig


def equal_budget_configs(calls: int, horizon: int = 30
                         ) -> tuple[PlannerConfig, GradientPlannerConfig]:
    """A CEM and a gradient-shooting config that each spend ``calls`` model
    calls per plan (``calls / horizon`` sequences of ``horizon`` steps).

    CEM scores them in 5 rounds (10% elites); gradient shooting spends them on
    ``restarts = clip(sequences / 50, 2, 10)`` parallel restarts, each taking
    ``sequences / restarts - 1`` Adam steps plus one last forward pass."""
    seqs = calls // horizon
    if seqs < 20:
        raise ValueError(f"{calls} calls at horizon {horizon} is fewer than 20 "
                         "sequences per plan")
    cem = PlannerConfig(horizon=horizon, n_candidates=seqs // 5, n_iterations=5,
                        n_elites=max(2, seqs // 50))
    restarts = max(2, min(10, seqs // 50))
    grad = GradientPlannerConfig(horizon=horizon, n_restarts=restarts,
                                 n_iterations=seqs // restarts - 1)
    return cem, grad


def start_states(n: int, seed: int) -> np.ndarray:
    """``[n, 3]`` Pendulum-v1 start observations (its reset distribution:
    angle uniform in [-pi, pi], angular velocity uniform in [-1, 1]), from the
    ``"starts"`` stream of ``seed``."""
    rng = stream_rng(seed, "starts")
    th, thdot = rng.uniform(-np.pi, np.pi, n), rng.uniform(-1, 1, n)
    return np.stack([np.cos(th), np.sin(th), thdot], 1).astype(np.float32)


def plan_from_starts(cfg: PlannerConfig | GradientPlannerConfig, n_starts: int = 10,
                     seed: int = 0) -> dict:
    """Plan once from each of ``n_starts`` start states (``start_states(n,
    seed)``) with CEM or gradient shooting (by the type of ``cfg``), each plan
    from a fresh planner: ``{"returns": [...], "ms": [...], "calls": int}``,
    the TRUE return of each plan over its horizon and the milliseconds it took.
    Planner ``i`` draws from the ``("planner", i)`` stream of ``seed``, so CEM
    and gradient shooting plan from the same starts (paired by ``seed``) with
    their own randomness, and no planner shares numbers with the starts or
    with another seed's planners."""
    cls = GradientPlanner if isinstance(cfg, GradientPlannerConfig) else CEMPlanner
    out: dict = {"returns": [], "ms": [], "calls": 0}
    for i, obs in enumerate(start_states(n_starts, seed)):
        planner = cls(TRUE_ENV, -2.0, 2.0, cfg, seed=stream_seed(seed, "planner", i))
        t0 = time.perf_counter()
        plan = planner.plan(obs)
        out["ms"].append(1000 * (time.perf_counter() - t0))
        with torch.no_grad():
            ret = TRUE_ENV.returns(torch.as_tensor(obs), torch.as_tensor(plan)[None])
        out["returns"].append(float(ret[0]))
        out["calls"] = planner.model_calls
    return out
