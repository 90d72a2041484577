"""Sampling-based planners over action sequences, and the MPC agent (ch. 4, 6).

Both planners fit :class:`~mbrl_lessons.core.types.Planner`: they score
``[N, H, A]`` candidate sequences with any
:class:`~mbrl_lessons.core.types.BatchedModelEnv` (the deterministic
:class:`~mbrl_lessons.models.ModelEnv`, PETS's particles, ...) in one batched
rollout.

- **Random shooting** draws all candidates at once and keeps the best.
- **CEM** {Rubinstein & Kroese 2004} refits a diagonal Gaussian to the top
  ``n_elites`` candidates for a few iterations; ``alpha`` smooths the update,
  samples are clipped to the action bounds, and the next plan starts from the
  previous mean shifted by one step (warm start).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from mbrl_lessons.core.types import BatchedModelEnv, Planner, require


def cem_update(samples: torch.Tensor, returns: torch.Tensor, n_elites: int,
               mean: torch.Tensor, std: torch.Tensor, alpha: float = 0.0
               ) -> tuple[torch.Tensor, torch.Tensor]:
    """One CEM step: fit mean/std to the elites, smoothed towards the old ones.

    ``samples [N, H, A]``, ``returns [N]`` -> new ``mean, std [H, A]``;
    ``alpha`` is the weight of the OLD parameters (0: no smoothing).
    """
    if samples.shape[0] != returns.shape[0]:
        raise ValueError(f"{samples.shape[0]} samples but {returns.shape[0]} returns")
    if not 1 <= n_elites <= samples.shape[0]:
        raise ValueError(f"n_elites must be in 1..{samples.shape[0]}, got {n_elites}")
    elites = samples[torch.topk(returns, n_elites).indices]
    new_mean, new_std = elites.mean(0), elites.std(0, unbiased=False)
    return (alpha * mean + (1 - alpha) * new_mean,
            alpha * std + (1 - alpha) * new_std)


@dataclass(frozen=True)
class PlannerConfig:
    """Settings shared by random shooting and CEM."""

    horizon: int = 25
    """Planning horizon H (steps)."""
    n_candidates: int = 500
    """Sequences scored per iteration."""
    n_iterations: int = 5
    """CEM iterations (random shooting uses n_candidates * n_iterations samples
    in one go, so both make the same number of model calls)."""
    n_elites: int = 50
    """CEM elites."""
    alpha: float = 0.1
    """CEM smoothing (weight of the previous mean/std)."""
    init_std: float = 1.0
    """Initial std, as a fraction of the half-range of the action bounds."""


class _Planner:
    def __init__(self, model_env: BatchedModelEnv, act_low, act_high,
                 cfg: PlannerConfig, seed: int = 0) -> None:
        require(model_env, BatchedModelEnv, f"{type(self).__name__}'s model_env")
        self.model_env, self.cfg = model_env, cfg
        self.low = torch.as_tensor(np.atleast_1d(act_low), dtype=torch.float32)
        self.high = torch.as_tensor(np.atleast_1d(act_high), dtype=torch.float32)
        self.gen = torch.Generator().manual_seed(int(seed))
        self.model_calls = 0
        self.reset()

    def reset(self) -> None:
        H, A = self.cfg.horizon, len(self.low)
        self.mean = ((self.low + self.high) / 2).expand(H, A).clone()

    def _score(self, obs: torch.Tensor, seqs: torch.Tensor) -> torch.Tensor:
        self.model_calls += seqs.shape[0] * seqs.shape[1]
        return self.model_env.returns(obs, seqs)

    def _sample(self, mean, std, n):
        noise = torch.randn((n, *mean.shape), generator=self.gen)
        return torch.maximum(torch.minimum(mean + std * noise, self.high), self.low)


class RandomShootingPlanner(_Planner):
    """Best of ``n_candidates * n_iterations`` uniformly random sequences."""

    @torch.no_grad()
    def plan(self, obs) -> np.ndarray:
        obs = torch.as_tensor(obs, dtype=torch.float32)
        n = self.cfg.n_candidates * self.cfg.n_iterations
        H, A = self.cfg.horizon, len(self.low)
        seqs = self.low + (self.high - self.low) * torch.rand((n, H, A),
                                                              generator=self.gen)
        returns = self._score(obs, seqs)
        return seqs[returns.argmax()].numpy()


class CEMPlanner(_Planner):
    """The cross-entropy method with warm starts (see module docstring)."""

    @torch.no_grad()
    def plan(self, obs) -> np.ndarray:
        obs = torch.as_tensor(obs, dtype=torch.float32)
        mean = self.mean
        std = ((self.high - self.low) / 2 * self.cfg.init_std).expand_as(mean).clone()
        for _ in range(self.cfg.n_iterations):
            seqs = self._sample(mean, std, self.cfg.n_candidates)
            returns = self._score(obs, seqs)
            mean, std = cem_update(seqs, returns, self.cfg.n_elites, mean, std,
                                   self.cfg.alpha)
        # warm start: the next plan begins where this one would continue
        self.mean = torch.cat([mean[1:], mean[-1:]], 0)
        return mean.numpy()


class MPCAgent:
    """Model predictive control: plan, execute the FIRST action, replan."""

    def __init__(self, planner: Planner) -> None:
        require(planner, Planner, "MPCAgent's planner")
        self.planner = planner

    def reset(self) -> None:
        self.planner.reset()

    def act(self, obs) -> np.ndarray:
        return self.planner.plan(obs)[0]


def run_episode(env, act_fn, seed: int, action_noise: float = 0.0,
                rng: np.random.Generator | None = None):
    """Roll one real episode with ``act_fn(obs) -> action``; returns
    ``(return, obs [T+1, O], act [T, A])``.  ``action_noise`` adds Gaussian
    noise (std, in action units) to every executed action."""
    obs, _ = env.reset(seed=seed)
    total, observations, actions = 0.0, [obs], []
    done = False
    while not done:
        a = np.asarray(act_fn(obs), dtype=np.float32)
        if action_noise > 0:
            a = a + action_noise * rng.normal(size=a.shape).astype(np.float32)
        a = np.clip(a, env.action_space.low, env.action_space.high)
        obs, r, term, trunc, _ = env.step(a)
        total += float(r)
        observations.append(obs)
        actions.append(a)
        done = term or trunc
    return total, np.array(observations), np.array(actions)


def open_loop(plan: np.ndarray):
    """An ``act_fn`` that ignores observations and replays a fixed plan."""
    it = iter(plan)
    return lambda obs: next(it)
