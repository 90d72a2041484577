"""The four basic schemes of model-based RL on one task (chapter 4).

Following Levine's lectures {levine2017cs294}, in increasing sophistication:

- **v0.5** — collect random data once, fit a model once, plan a whole episode
  once, execute it open-loop.
- **v1.0** — iterate: plan open-loop with the current model, execute, add the
  new data, refit.
- **v1.5** — model predictive control: replan at every step from the real
  state and execute only the first action (closed loop); refit per episode.
- **v2.0** — backpropagate the model's predicted return into a policy network
  and act with the policy (no planning at run time).

All share the stack of :mod:`mbrl_lessons.models` and
:mod:`mbrl_lessons.planning`, the known reward, and the same real-data budget
measured in episodes.  Each is called like every complete algorithm of the
package, ``v1_5_mpc(env, cfg, *, progress=False)`` (the seed in ``cfg``), plans
with the env's known reward (:mod:`mbrl_lessons.envs.rewards`) or an explicit
``reward_fn=``, and returns a :class:`SchemeResult`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import NamedTuple

import gymnasium as gym
import numpy as np
import torch

from mbrl_lessons.core.nets import mlp
from mbrl_lessons.core.progress import tqdm
from mbrl_lessons.core.seeding import make_rng, stream_seed, torch_generator
from mbrl_lessons.envs import as_env
from mbrl_lessons.envs.pendulum import pendulum_reward
from mbrl_lessons.envs.rewards import RewardFn, resolve_task
from mbrl_lessons.models import MLPDynamics, ModelEnv, TrainConfig, fit_model
from mbrl_lessons.planning import (
    CEMPlanner,
    MPCAgent,
    PlannerConfig,
    open_loop,
    run_episode,
)


@dataclass(frozen=True)
class SchemeConfig:
    """Shared settings of the four schemes (defaults sized for Pendulum-v1)."""

    seed: int = 0
    """Seed of every random draw (episode starts, models, planners)."""
    n_episodes: int = 10
    """Real episodes of data each scheme may collect (the data budget)."""
    planner: PlannerConfig = field(default_factory=PlannerConfig)
    """CEM settings for MPC (v1.5)."""
    open_loop_planner: PlannerConfig = field(default_factory=lambda: PlannerConfig(
        horizon=200, n_candidates=500, n_iterations=8, n_elites=50))
    """CEM settings for whole-episode open-loop plans (v0.5, v1.0)."""
    train: TrainConfig = field(default_factory=TrainConfig)
    """Model training settings (refit from scratch each time)."""
    hidden: int = 128
    """Width of the model's two hidden layers (128: as good as 200 on the
    pendulum, and a cheaper plan; the ch04 benchmark times both)."""
    action_noise: float = 0.0
    """Std of Gaussian noise added to every executed action (robustness tests)."""
    policy_horizon: int = 25
    """v2.0: steps unrolled through the model per policy-gradient step."""
    policy_steps: int = 300
    """v2.0: policy gradient steps after each model fit."""
    policy_batch: int = 256
    """v2.0: imagined start states per gradient step (from the data)."""
    policy_lr: float = 3e-3
    """v2.0: Adam learning rate of the policy."""
    grad_clip: float = 10.0
    """v2.0: gradient-norm clipping (exploding gradients through the model)."""
    exploration_std: float = 0.3
    """v2.0: action noise while collecting data with the policy."""

    def __post_init__(self) -> None:
        for name in ("n_episodes", "hidden", "policy_horizon", "policy_batch"):
            if not isinstance(getattr(self, name), int) or getattr(self, name) < 1:
                raise ValueError(f"SchemeConfig.{name} must be a positive int, "
                                 f"got {getattr(self, name)!r}")
        for name in ("action_noise", "policy_steps", "exploration_std"):
            if getattr(self, name) < 0:
                raise ValueError(f"SchemeConfig.{name} must be >= 0, got "
                                 f"{getattr(self, name)!r}")


class SchemeResult(NamedTuple):
    returns: np.ndarray          # [n_episodes] return of each real episode
    final_return: float          # mean return of the scheme's final behaviour
    seconds_per_action: float    # compute per real action of the final agent
    model: MLPDynamics | None    # the last fitted model (None for random)
    eval_returns: list[float] | None = None   # v0.5, v2.0: the final episodes
    train_data: tuple | None = None  # v0.5: (obs, act, next_obs) the model saw
    visited: list[np.ndarray] | None = None   # v0.5: obs [T+1, O] per eval episode
    executed: list[np.ndarray] | None = None  # v0.5: act [T, A] per eval episode
    policy: torch.nn.Module | None = None     # v2.0: the trained policy
    grad_norms: list[float] | None = None     # v2.0: per policy step, pre-clip


class _Data:
    def __init__(self):
        self.obs, self.act, self.next = [], [], []

    def add(self, obs_traj: np.ndarray, acts: np.ndarray) -> None:
        self.obs.append(obs_traj[:-1])
        self.act.append(acts)
        self.next.append(obs_traj[1:])

    def arrays(self):
        return (np.concatenate(self.obs), np.concatenate(self.act),
                np.concatenate(self.next))


def _fit(data: _Data, cfg: SchemeConfig, env, seed: int) -> MLPDynamics:
    obs_dim = env.observation_space.shape[0]
    act_dim = env.action_space.shape[0]
    model = MLPDynamics(obs_dim, act_dim, cfg.hidden, seed=seed)
    fit_model(model, *data.arrays(), cfg.train, seed=seed)
    return model


def _random_episode(env, rng, seed):
    return run_episode(env, lambda obs: rng.uniform(env.action_space.low,
                                                    env.action_space.high), seed)


def _timed(act_fn: Callable, stats: list) -> Callable:
    def wrapped(obs):
        t0 = time.perf_counter()
        a = act_fn(obs)
        stats.append(time.perf_counter() - t0)
        return a
    return wrapped


def _setup(env, cfg: SchemeConfig, reward_fn: RewardFn | None = None):
    """The env, the numpy RNG, the seed and the planning reward of one run."""
    env = as_env(env)
    if not isinstance(env.action_space, gym.spaces.Box):
        raise TypeError(f"the schemes need a Box action space, got {env.action_space}")
    reward_fn, _ = resolve_task(env, reward_fn)
    return env, make_rng(cfg.seed), cfg.seed, reward_fn


def random_policy(env, cfg: SchemeConfig = SchemeConfig(), *, progress: bool = False
                  ) -> SchemeResult:
    """The baseline: uniformly random actions."""
    env = as_env(env)
    rng, seed = make_rng(cfg.seed), cfg.seed
    returns = [_random_episode(env, rng, stream_seed(seed, "episode", ep))[0]
               for ep in tqdm(range(cfg.n_episodes), desc="random", leave=False,
                              disable=not progress)]
    return SchemeResult(np.array(returns), float(np.mean(returns)), 0.0, None)


def v0_5(env, cfg: SchemeConfig = SchemeConfig(), *, progress: bool = False,
         reward_fn: RewardFn | None = None, n_eval: int = 3) -> SchemeResult:
    """Random data once, model once, one open-loop plan per evaluation episode."""
    env, rng, seed, reward_fn = _setup(env, cfg, reward_fn)
    data, returns = _Data(), []
    for ep in tqdm(range(cfg.n_episodes), desc="v0.5", leave=False,
                   disable=not progress):
        ret, obs, acts = _random_episode(env, rng, stream_seed(seed, "episode", ep))
        data.add(obs, acts)
        returns.append(ret)
    model = _fit(data, cfg, env, stream_seed(seed, "model", 0))
    planner = CEMPlanner(ModelEnv(model, reward_fn), env.action_space.low,
                         env.action_space.high, cfg.open_loop_planner,
                         seed=stream_seed(seed, "planner", 0))
    finals, times, visited, executed = [], [], [], []
    for k in range(n_eval):
        s0, _ = env.reset(seed=stream_seed(seed, "eval", k))
        t0 = time.perf_counter()
        plan = planner.plan(s0)
        times.append((time.perf_counter() - t0) / len(plan))
        ret, obs, acts = run_episode(env, open_loop(plan), stream_seed(seed, "eval", k),
                                     cfg.action_noise, rng)
        finals.append(ret)
        visited.append(obs)
        executed.append(acts)
    return SchemeResult(np.array(returns), float(np.mean(finals)),
                        float(np.mean(times)), model,
                        eval_returns=finals, train_data=data.arrays(),
                        visited=visited, executed=executed)


def _iterate(env, cfg: SchemeConfig, make_act_fn: Callable, progress: bool,
             name: str):
    """The loop v1.0 and v1.5 share: one random episode, then per episode refit
    the model, build an ``act_fn`` from it, run it for real, add the data."""
    rng, seed = make_rng(cfg.seed), cfg.seed
    data, returns = _Data(), []
    ret, obs, acts = _random_episode(env, rng, stream_seed(seed, "episode", 0))
    data.add(obs, acts)
    returns.append(ret)
    model = None
    for ep in tqdm(range(1, cfg.n_episodes), desc=name, leave=False,
                   disable=not progress):
        model = _fit(data, cfg, env, stream_seed(seed, "model", ep))
        act_fn = make_act_fn(model, env, ep)
        ret, obs, acts = run_episode(env, act_fn, stream_seed(seed, "episode", ep),
                                     cfg.action_noise, rng)
        data.add(obs, acts)
        returns.append(ret)
    tail = returns[len(returns) // 2:]
    return np.array(returns), float(np.mean(tail)), model


def v1_0(env, cfg: SchemeConfig = SchemeConfig(), *, progress: bool = False,
         reward_fn: RewardFn | None = None) -> SchemeResult:
    """Iterate: fit, plan a whole episode open-loop, execute it, add the data."""
    env, _, seed, reward_fn = _setup(env, cfg, reward_fn)
    times: list[float] = []

    def plan_whole_episode(model, env, ep):
        planner = CEMPlanner(ModelEnv(model, reward_fn), env.action_space.low,
                             env.action_space.high, cfg.open_loop_planner,
                             seed=stream_seed(seed, "planner", ep))
        # the episode will start here
        s0, _ = env.reset(seed=stream_seed(seed, "episode", ep))
        t0 = time.perf_counter()
        plan = planner.plan(s0)
        times.append((time.perf_counter() - t0) / len(plan))
        return open_loop(plan)

    returns, final, model = _iterate(env, cfg, plan_whole_episode, progress, "v1.0")
    return SchemeResult(returns, final, float(np.mean(times)), model)


def v1_5_mpc(env, cfg: SchemeConfig = SchemeConfig(), *, progress: bool = False,
             reward_fn: RewardFn | None = None) -> SchemeResult:
    """MPC: replan every step with CEM on the current model; refit per episode."""
    env, _, seed, reward_fn = _setup(env, cfg, reward_fn)
    times: list[float] = []

    def mpc(model, env, ep):
        agent = MPCAgent(CEMPlanner(ModelEnv(model, reward_fn),
                                    env.action_space.low, env.action_space.high,
                                    cfg.planner, seed=stream_seed(seed, "planner", ep)))
        return _timed(agent.act, times)

    returns, final, model = _iterate(env, cfg, mpc, progress, "v1.5")
    return SchemeResult(returns, final, float(np.mean(times)), model)


def model_return_loss(policy: torch.nn.Module, model: MLPDynamics, starts: torch.Tensor,
                      horizon: int, reward_fn=pendulum_reward, max_action=2.0
                      ) -> torch.Tensor:
    """v2.0's loss: minus the mean predicted return of ``policy`` over
    ``horizon`` steps unrolled through the (differentiable) model from
    ``starts [B, O]``.  Gradients flow through every step of the model."""
    obs, total = starts, torch.zeros(starts.shape[0])
    for _ in range(horizon):
        act = max_action * torch.tanh(policy(obs))
        next_obs = model.predict(obs, act)
        total = total + reward_fn(obs, act, next_obs)
        obs = next_obs
    return -total.mean()


def v2_0_backprop(env, cfg: SchemeConfig = SchemeConfig(), *, progress: bool = False,
                  reward_fn: RewardFn | None = None) -> SchemeResult:
    """Train a policy only in the model by backprop through time; act with it."""
    env, rng, seed, reward_fn = _setup(env, cfg, reward_fn)
    obs_dim, act_dim = env.observation_space.shape[0], env.action_space.shape[0]
    policy = mlp(obs_dim, act_dim, hidden=64, layers=2,
                 seed=stream_seed(seed, "policy"))
    opt = torch.optim.Adam(policy.parameters(), lr=cfg.policy_lr)
    gen = torch_generator(stream_seed(seed, "policy batches"))
    data, returns, grad_norms = _Data(), [], []
    ret, obs, acts = _random_episode(env, rng, stream_seed(seed, "episode", 0))
    data.add(obs, acts)
    returns.append(ret)
    # the policy squashes with max_a * tanh: symmetric, equal bounds only
    low, high = env.action_space.low, env.action_space.high
    if not (np.allclose(low, -high) and np.allclose(high, high[0])):
        raise ValueError(f"v2.0 needs symmetric, equal action bounds [-a, a]; "
                         f"got low {low}, high {high}")
    max_a = float(high[0])

    def act_fn(o, noise=0.0):
        with torch.no_grad():
            a = max_a * torch.tanh(policy(torch.as_tensor(o, dtype=torch.float32)))
        return a.numpy() + noise * rng.normal(size=act_dim)

    model = None
    for ep in tqdm(range(1, cfg.n_episodes), desc="v2.0", leave=False,
                   disable=not progress):
        model = _fit(data, cfg, env, stream_seed(seed, "model", ep))
        for p in model.parameters():
            p.requires_grad_(False)
        all_obs = torch.as_tensor(data.arrays()[0], dtype=torch.float32)
        for _ in range(cfg.policy_steps):
            idx = torch.randint(len(all_obs), (cfg.policy_batch,), generator=gen)
            loss = model_return_loss(policy, model, all_obs[idx], cfg.policy_horizon,
                                     reward_fn, max_action=max_a)
            opt.zero_grad()
            loss.backward()
            grad_norms.append(float(torch.nn.utils.clip_grad_norm_(
                policy.parameters(), cfg.grad_clip)))
            opt.step()
        ret, obs, acts = run_episode(env, lambda o: act_fn(o, cfg.exploration_std),
                                     stream_seed(seed, "episode", ep),
                                     cfg.action_noise, rng)
        data.add(obs, acts)
        returns.append(ret)
    times: list[float] = []
    finals = [run_episode(env, _timed(act_fn, times), stream_seed(seed, "eval", k))[0]
              for k in range(3)]
    return SchemeResult(np.array(returns), float(np.mean(finals)),
                        float(np.mean(times)), model,
                        eval_returns=finals, policy=policy,
                        grad_norms=grad_norms)
