"""Chapter 4's diagnostic experiments on Pendulum-v1."""

from __future__ import annotations

import time

import gymnasium as gym
import numpy as np
import torch

from mbrl_lessons.algorithms.schemes import model_return_loss
from mbrl_lessons.core.nets import mlp
from mbrl_lessons.core.seeding import make_rng, stream_seed
from mbrl_lessons.core.types import BatchedModelEnv
from mbrl_lessons.envs.pendulum import pendulum_reward, pendulum_step
from mbrl_lessons.models import MLPDynamics, ModelEnv, TrueModel
from mbrl_lessons.planning import (
    CEMPlanner,
    MPCAgent,
    PlannerConfig,
    RandomShootingPlanner,
    open_loop,
    run_episode,
)

TRUE_ENV = ModelEnv(TrueModel(pendulum_step), pendulum_reward)


def mpc_returns(planner_cls, cfg: PlannerConfig, n_episodes: int, seed: int = 0,
                model_env: BatchedModelEnv = TRUE_ENV, action_noise: float = 0.0
                ) -> list[float]:
    """Real returns of MPC with a given planner (TRUE model by default)."""
    env, rng = gym.make("Pendulum-v1"), make_rng(seed)
    agent = MPCAgent(planner_cls(model_env, -2.0, 2.0, cfg,
                                 seed=stream_seed(seed, "planner")))
    out = []
    for ep in range(n_episodes):
        agent.reset()
        out.append(run_episode(env, agent.act, stream_seed(seed, "episode", ep),
                               action_noise, rng)[0])
    return out


def cem_vs_random_shooting(budgets=((100, 2), (200, 5), (400, 5)), horizon=15,
                           n_episodes=2, seed=0) -> dict:
    """MPC return with CEM and with random shooting at EQUAL model calls
    (``n_candidates x n_iterations`` sequences per plan), TRUE model."""
    out = {"model_calls_per_step": [], "cem": [], "random_shooting": []}
    for n_cand, n_iter in budgets:
        cfg = PlannerConfig(horizon=horizon, n_candidates=n_cand, n_iterations=n_iter,
                            n_elites=max(5, n_cand // 10))
        out["model_calls_per_step"].append(n_cand * n_iter * horizon)
        out["cem"].append(float(np.mean(mpc_returns(CEMPlanner, cfg, n_episodes,
                                                    seed))))
        out["random_shooting"].append(float(np.mean(mpc_returns(
            RandomShootingPlanner, cfg, n_episodes, seed))))
    return out


def open_vs_closed_loop(noise_levels=(0.0, 0.2, 0.5, 1.0), n_episodes=2, seed=0,
                        mpc_cfg: PlannerConfig | None = None) -> dict:
    """Returns of one whole-episode open-loop plan vs MPC, both with the TRUE
    model, as Gaussian noise is added to every executed action."""
    env, rng = gym.make("Pendulum-v1"), make_rng(seed)
    ol_cfg = PlannerConfig(horizon=200, n_candidates=400, n_iterations=8,
                           n_elites=40)
    mpc_cfg = mpc_cfg or PlannerConfig(horizon=20, n_candidates=200, n_iterations=4,
                                       n_elites=20)
    out = {"noise": list(noise_levels), "open_loop": [], "mpc": [],
           "open_loop_theta": {}, "mpc_theta": {}}  # angle traces [T] by noise
    for sigma in noise_levels:
        ol, mp = [], []
        for ep in range(n_episodes):
            s0, _ = env.reset(seed=stream_seed(seed, "episode", ep))
            plan = CEMPlanner(TRUE_ENV, -2.0, 2.0, ol_cfg,
                              seed=stream_seed(seed, "open-loop planner", ep)).plan(s0)
            r, obs_ol, _ = run_episode(env, open_loop(plan),
                                       stream_seed(seed, "episode", ep), sigma, rng)
            ol.append(r)
            agent = MPCAgent(CEMPlanner(TRUE_ENV, -2.0, 2.0, mpc_cfg,
                                        seed=stream_seed(seed, "planner", ep)))
            r, obs_mpc, _ = run_episode(env, agent.act,
                                        stream_seed(seed, "episode", ep), sigma, rng)
            mp.append(r)
            if ep == 0:  # the first episode's angle at every noise level
                out["open_loop_theta"][sigma] = np.arctan2(obs_ol[:, 1], obs_ol[:, 0])
                out["mpc_theta"][sigma] = np.arctan2(obs_mpc[:, 1], obs_mpc[:, 0])
        out["open_loop"].append(float(np.mean(ol)))
        out["mpc"].append(float(np.mean(mp)))
    return out


def swing_up_transitions(seed: int = 0, cfg: PlannerConfig | None = None
                         ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(obs [T, 3], act [T, 1], next_obs [T, 3])`` of one real episode of MPC
    with the TRUE model: the states a good controller must pass through (fast
    swings, the top), which a random policy rarely visits."""
    env = gym.make("Pendulum-v1")
    cfg = cfg or PlannerConfig(horizon=20, n_candidates=200, n_iterations=4,
                               n_elites=20)
    agent = MPCAgent(CEMPlanner(TRUE_ENV, -2.0, 2.0, cfg, seed=seed))
    _, obs, act = run_episode(env, agent.act, seed)
    return obs[:-1], act, obs[1:]


def model_errors(model: MLPDynamics, obs, act, next_obs) -> np.ndarray:
    """One-step prediction error ``|f(s, a) - s'|`` per transition."""
    with torch.no_grad():
        pred = model.predict(torch.as_tensor(obs, dtype=torch.float32),
                             torch.as_tensor(act, dtype=torch.float32)).numpy()
    return np.linalg.norm(pred - next_obs, axis=1)


def gradient_norm_vs_horizon(model: MLPDynamics, starts: np.ndarray,
                             horizons=(1, 2, 5, 10, 25, 50, 100), seed=0) -> dict:
    """Norm of d(model return)/d(policy parameters) for a fresh policy, as the
    unroll horizon grows: backprop through time multiplies Jacobians."""
    starts_t = torch.as_tensor(starts, dtype=torch.float32)
    out = {"horizon": list(horizons), "grad_norm": []}
    for p in model.parameters():
        p.requires_grad_(False)
    for H in horizons:
        policy = mlp(3, 1, hidden=64, layers=2, seed=seed)
        loss = model_return_loss(policy, model, starts_t, H)
        loss.backward()
        out["grad_norm"].append(float(torch.sqrt(sum(
            (p.grad ** 2).sum() for p in policy.parameters()))))
    return out


def plan_time_ms(model_env: BatchedModelEnv, cfg: PlannerConfig, repeats: int = 20,
                 seed: int = 0, clock=time.perf_counter) -> float:
    """Median milliseconds of one CEM plan: wall-clock by default;
    ``clock=time.process_time`` counts this process's CPU time instead, which
    other jobs on a shared machine do not inflate (with one torch thread it is
    the plan's cost on one core)."""
    planner = CEMPlanner(model_env, -2.0, 2.0, cfg, seed=seed)
    obs = np.array([1.0, 0.0, 0.0], dtype=np.float32)
    planner.plan(obs)  # warm-up
    times = []
    for _ in range(repeats):
        t0 = clock()
        planner.plan(obs)
        times.append(clock() - t0)
    return 1000 * float(np.median(times))
