"""Model-based policy optimisation, MBPO (Janner et al. 2019; chapter 7.3).

MBPO is Dyna (Sutton 1990) with deep parts: a model generates extra
transitions and a model-free learner (SAC, :mod:`~mbrl_lessons.algorithms.sac`)
trains on them.  What makes it work is *how short* the model's rollouts are:

1. An ensemble of Gaussian MLPs learns ``(s, a) -> (s' - s, r)``
   (:class:`MBPOEnsemble`, with the forward pass and the Gaussian NLL of
   PETS's :mod:`~mbrl_lessons.models.ensemble`, optionally beta-weighted as
   PETS does), refit every ``model_train_every`` real steps.
2. *Branched* rollouts of only ``k`` steps start from states drawn from the
   real replay buffer; every step of every rollout asks a randomly chosen
   ensemble member (:func:`branched_rollout`).  Starting on real states keeps
   the model near its data; a short ``k`` stops errors from compounding.
3. The results go into a model buffer, and SAC takes ``G`` updates per real
   step on batches that are mostly model data with a small real share
   (:func:`mixed_batch`).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import NamedTuple

import gymnasium as gym
import numpy as np
import torch
from torch import nn

from mbrl_lessons.algorithms.sac import (
    SACAgent,
    SACConfig,
    check_box_env,
    evaluate,
    fresh_env,
    random_action,
)
from mbrl_lessons.core.progress import tqdm
from mbrl_lessons.core.replay import Batch, ReplayBuffer
from mbrl_lessons.core.seeding import make_rng, torch_generator, torch_seeded
from mbrl_lessons.envs import as_env
from mbrl_lessons.envs.rewards import KNOWN_TASKS, KnownTask, RewardFn, TerminationFn
from mbrl_lessons.models.ensemble import batched_gaussian_forward, gaussian_nll


class MBPOEnsemble(nn.Module):
    """``E`` Gaussian MLPs evaluated together with batched matrix products.

    Each member maps ``x = (s, a)`` to a diagonal Gaussian over ``y`` (the
    state change, and the reward if it is learned).  Inputs and targets are
    standardised with statistics of the data at the last fit.  The
    log-variance is bounded softly, as in chapter 5's ``GaussianMLP``.
    """

    def __init__(self, in_dim: int, out_dim: int, n_members: int = 5,
                 hidden: int = 128, layers: int = 3, seed: int = 0,
                 min_logvar: float = -10.0, max_logvar: float = 0.5) -> None:
        super().__init__()
        if n_members < 1 or hidden < 1 or layers < 1:
            raise ValueError("MBPOEnsemble: n_members, hidden and layers must be "
                             f">= 1, got {n_members}, {hidden}, {layers}")
        self.n_members, self.out_dim = n_members, out_dim
        dims = [in_dim] + [hidden] * layers + [2 * out_dim]
        with torch_seeded(seed):  # each member gets its own random initial weights
            self.weights = nn.ParameterList(
                nn.Parameter(torch.randn(n_members, a, b) / math.sqrt(a))
                for a, b in zip(dims[:-1], dims[1:], strict=True))
        self.biases = nn.ParameterList(nn.Parameter(torch.zeros(n_members, 1, b))
                                       for b in dims[1:])
        self.min_logvar, self.max_logvar = min_logvar, max_logvar
        for name, size in (("x_mu", in_dim), ("y_mu", out_dim)):
            self.register_buffer(name, torch.zeros(size))
        for name, size in (("x_sd", in_dim), ("y_sd", out_dim)):
            self.register_buffer(name, torch.ones(size))

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``x [E, B, in]`` (raw units) -> standardised ``mean, logvar [E, B, out]``."""
        h = (x - self.x_mu) / self.x_sd
        return batched_gaussian_forward(h, self.weights, self.biases, self.out_dim,
                                        self.min_logvar, self.max_logvar)

    def loss(self, x: torch.Tensor, y: torch.Tensor, beta: float = 0.0,
             ) -> tuple[torch.Tensor, torch.Tensor]:
        """``(objective, nll)`` of :func:`~mbrl_lessons.models.ensemble.gaussian_nll`
        in standardised units, summed over members: the beta-NLL to minimise and
        the plain Gaussian NLL (up to a constant; the same when ``beta = 0``);
        ``x [E, B, in]``, ``y [E, B, out]`` in raw units."""
        mean, logvar = self(x)
        return gaussian_nll(mean, logvar, (y - self.y_mu) / self.y_sd, beta)

    @torch.no_grad()
    def sample(self, x: torch.Tensor, member: torch.Tensor,
               gen: torch.Generator) -> torch.Tensor:
        """One draw of ``y`` per row of ``x [B, in]``, from member ``member[b]``
        (``[B]`` ints), in raw units -> ``[B, out]``."""
        mean, logvar = self(x.expand(self.n_members, *x.shape))
        rows = torch.arange(len(x))
        mean, logvar = mean[member, rows], logvar[member, rows]
        z = mean + (0.5 * logvar).exp() * torch.randn(mean.shape, generator=gen)
        return self.y_mu + self.y_sd * z


def model_targets(data: Batch, learn_reward: bool) -> tuple[np.ndarray, np.ndarray]:
    """Inputs ``(s, a) [N, O + A]`` and targets ``(s' - s[, r]) [N, O (+ 1)]``."""
    x = np.concatenate([data.obs, data.act], -1)
    y = data.next_obs - data.obs
    if learn_reward:
        y = np.concatenate([y, data.rew[:, None]], -1)
    return x, y


def fit_mbpo_ensemble(model: MBPOEnsemble, data: Batch, learn_reward: bool,
                      n_steps: int, batch_size: int, lr: float,
                      rng: np.random.Generator, beta: float = 0.0) -> float:
    """``n_steps`` Adam steps on all members at once, each member on its own
    random minibatches (so the members see different data as well as starting
    from different weights), minimising the beta-NLL (``beta = 0``: the plain
    Gaussian NLL).  Warm-starts from the current weights.  Returns the mean
    plain NLL over the last 10% of the steps."""
    if not 0.0 <= beta <= 1.0:
        raise ValueError(f"beta must be in [0, 1], got {beta}")
    x_np, y_np = model_targets(data, learn_reward)
    x, y = torch.as_tensor(x_np), torch.as_tensor(y_np)
    model.x_mu.copy_(x.mean(0))
    model.x_sd.copy_(x.std(0).clamp_min(1e-6))
    model.y_mu.copy_(y.mean(0))
    model.y_sd.copy_(y.std(0).clamp_min(1e-6))
    opt = torch.optim.Adam(model.parameters(), lr=lr, foreach=True)
    tail = []
    for step in range(n_steps):
        idx = torch.as_tensor(rng.integers(0, len(x), (model.n_members, batch_size)))
        loss, nll = model.loss(x[idx], y[idx], beta)
        opt.zero_grad()
        loss.backward()
        opt.step()
        if step >= int(0.9 * n_steps):
            tail.append(nll.item())
    return float(np.mean(tail)) if tail else float("nan")


class BranchedRollout(NamedTuple):
    """A batch of branched rollouts, time first: ``obs [k, N, O]``,
    ``act [k, N, A]``, ``rew [k, N]``, ``next_obs [k, N, O]``,
    ``terminated [k, N]``, ``alive [k, N]`` (False after a termination)."""

    obs: torch.Tensor
    act: torch.Tensor
    rew: torch.Tensor
    next_obs: torch.Tensor
    terminated: torch.Tensor
    alive: torch.Tensor

    def to_batch(self) -> Batch:
        """The live transitions, flattened into a replay :class:`Batch`."""
        keep = self.alive
        return Batch(*(t[keep].numpy() for t in (self.obs, self.act, self.rew,
                                                   self.next_obs, self.terminated)))


@torch.no_grad()
def branched_rollout(model: MBPOEnsemble, policy: Callable[[torch.Tensor],
                     torch.Tensor], start_obs: torch.Tensor, k: int,
                     gen: torch.Generator, reward_fn: RewardFn | None = None,
                     termination_fn: TerminationFn | None = None) -> BranchedRollout:
    """``k`` model steps from each of ``start_obs [N, O]`` (states from the REAL
    buffer), acting with ``policy(obs [N, O]) -> act [N, A]``.

    Every step of every rollout uses an ensemble member drawn uniformly at
    random, so model errors of different members do not line up into one
    consistent (and confidently wrong) trajectory.  The reward is the model's
    last output, or ``reward_fn(obs, act, next_obs)`` when a known reward is given;
    ``termination_fn(obs, act, next_obs) -> done [N]`` (e.g. from
    :mod:`mbrl_lessons.envs.mujoco_tasks`) ends a branch, which keeps its
    terminal transition (flagged) and nothing after it.
    """
    if start_obs.ndim != 2:
        raise ValueError(f"start_obs must be [N, O], got {tuple(start_obs.shape)}")
    if isinstance(k, bool) or not isinstance(k, int) or k < 1:
        raise ValueError(f"rollout length k must be an int >= 1, got {k!r}")
    n, obs_dim = start_obs.shape
    obs, alive = start_obs.float(), torch.ones(n, dtype=torch.bool)
    out: dict[str, list[torch.Tensor]] = {f: [] for f in BranchedRollout._fields}
    for _ in range(k):
        act = policy(obs)
        member = torch.randint(model.n_members, (n,), generator=gen)
        y = model.sample(torch.cat([obs, act], -1), member, gen)
        next_obs = obs + y[:, :obs_dim]
        rew = (reward_fn(obs, act, next_obs) if reward_fn is not None
               else y[:, obs_dim])
        term = (termination_fn(obs, act, next_obs).bool()
                if termination_fn is not None else torch.zeros(n, dtype=torch.bool))
        step = (obs, act, rew, next_obs, term, alive)
        for name, v in zip(BranchedRollout._fields, step, strict=True):
            out[name].append(v)
        alive = alive & ~term
        obs = next_obs
    return BranchedRollout(*(torch.stack(out[f]) for f in BranchedRollout._fields))


def mixed_batch(real: ReplayBuffer, model: ReplayBuffer, batch_size: int,
                real_ratio: float, rng: np.random.Generator) -> Batch:
    """``round(real_ratio * batch_size)`` real transitions, the rest from the
    model buffer (all real if the model buffer is still empty)."""
    n_real = batch_size if len(model) == 0 else int(round(real_ratio * batch_size))
    parts = [real.sample(n_real, rng)] if n_real > 0 else []
    if n_real < batch_size:
        parts.append(model.sample(batch_size - n_real, rng))
    return Batch(*(np.concatenate(f) for f in zip(*parts, strict=True)))


@dataclass(frozen=True)
class MBPOConfig:
    """MBPO settings; ``sac`` configures the learner (its ``total_steps``,
    ``updates_per_step`` and ``seed`` are ignored in favour of the fields here)."""

    total_steps: int = 5000
    """Real environment steps."""
    rollout_length: int = 5
    """k: model steps per branched rollout."""
    updates_per_step: int = 10
    """G: SAC updates per real step."""
    real_ratio: float = 0.05
    """Share of real transitions in each SAC batch.  Small, because the point
    is to train SAC mostly on plentiful model data (G updates per real step
    would overfit the few real transitions); not 0, because a few real
    samples anchor the critic where the model is wrong (Janner et al. 2019
    use 0.05)."""
    model_train_every: int = 250
    """Refit the model every this many real steps (the first fit ends the
    random-action warm-up ``sac.start_steps``, which must be a multiple)."""
    model_train_steps: int = 300
    """Adam steps per refit (0: never train, a broken-model control)."""
    model_batch: int = 256
    """Minibatch per member and step."""
    model_lr: float = 1e-3
    """Model learning rate."""
    model_beta: float = 0.0
    """beta-NLL (Seitzer et al. 2022) for the model: each element's NLL is
    weighted by its predicted variance to the power ``beta``, with no gradient
    through the weight.  The default 0 is the plain Gaussian NLL of the MBPO
    paper.  PETS uses 0.5 (chapter 7.2): on the noise-free pendulum the plain
    NLL can explain its own mean error away as variance.  For MBPO, 0.5 cut the
    model's 20-step drift by about 30 % but did not change what the benchmark
    measures beyond seed-to-seed noise (see the §7.3 exercise)."""
    ensemble_size: int = 5
    """Ensemble members."""
    model_hidden: int = 128
    """Model width."""
    model_layers: int = 3
    """Model hidden layers."""
    rollout_every: int = 10
    """Generate rollouts every this many real steps..."""
    rollout_batch: int = 400
    """...from this many start states drawn from the real buffer."""
    model_retain: int = 1000
    """Keep the rollouts of the last this many real steps in the model buffer."""
    eval_every: int = 500
    """Evaluate every this many real steps."""
    eval_episodes: int = 5
    """Episodes per evaluation."""
    seed: int = 0
    """Seeds everything (env, networks, rollouts, buffers)."""
    sac: SACConfig = field(default_factory=lambda: SACConfig(hidden=64))
    """The learner."""

    def __post_init__(self) -> None:
        for name in ("total_steps", "rollout_length", "updates_per_step",
                     "model_train_every", "model_batch", "ensemble_size",
                     "rollout_every", "rollout_batch", "model_retain", "eval_every"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int) or v < 1:
                raise ValueError(f"MBPOConfig.{name} must be a positive int, got {v!r}")
        if not 0.0 <= self.real_ratio <= 1.0:
            raise ValueError(f"MBPOConfig.real_ratio must be in [0, 1], got "
                             f"{self.real_ratio}")
        if self.model_train_steps < 0:
            raise ValueError("MBPOConfig.model_train_steps must be >= 0")
        if not 0.0 <= self.model_beta <= 1.0:
            raise ValueError(f"MBPOConfig.model_beta must be in [0, 1], got "
                             f"{self.model_beta}")
        if self.sac.start_steps % self.model_train_every:
            raise ValueError(f"MBPOConfig: sac.start_steps ({self.sac.start_steps}) "
                             f"must be a multiple of model_train_every "
                             f"({self.model_train_every})")


@dataclass
class MBPOResult:
    """What :func:`train` returns."""

    agent: SACAgent
    model: MBPOEnsemble
    eval_steps: list[int]
    eval_returns: list[float]
    model_losses: list[float]
    """Final training loss (plain NLL) of every refit."""
    real_buffer: ReplayBuffer
    """Every real transition seen."""
    seconds: float


def train(env: gym.Env | str, cfg: MBPOConfig = MBPOConfig(), *,
          progress: bool = False, reward_fn: RewardFn | None = None,
          termination_fn: TerminationFn | None = None,
          eval_env: gym.Env | None = None) -> MBPOResult:
    """MBPO (Janner et al. 2019, algorithm 2) on a gymnasium ``Box`` env.

    ``reward_fn(obs, act, next_obs) -> rew`` (torch, batched) replaces the learned
    reward when given; by default the ensemble learns it, as in the paper.
    ``termination_fn(obs, act, next_obs) -> done`` ends model rollouts (known
    terminations, as mbrl-lib's MBPO uses; default: the env's known termination
    from :mod:`mbrl_lessons.envs.rewards`, else model rollouts never end).
    ``eval_env`` defaults to a fresh ``gym.make(env.spec.id)``.
    """
    env = as_env(env)
    if termination_fn is None and getattr(env, "spec", None) is not None:
        termination_fn = KNOWN_TASKS.get(env.spec.id, KnownTask("", None)
                                         ).termination_fn
    obs_dim, low, high = check_box_env(env)
    t0 = time.time()
    # seed, env, model, policy, buffers; then the loop
    rng, gen = make_rng(cfg.seed), torch_generator(cfg.seed + 7)
    act_dim, learn_reward = len(low), reward_fn is None
    model = MBPOEnsemble(obs_dim + act_dim, obs_dim + int(learn_reward),
                         cfg.ensemble_size, cfg.model_hidden, cfg.model_layers,
                         seed=cfg.seed + 11)
    sac_cfg = cfg.sac
    agent = SACAgent(obs_dim, low, high, replace(
        sac_cfg, total_steps=cfg.total_steps, updates_per_step=cfg.updates_per_step,
        seed=cfg.seed))
    real = ReplayBuffer(obs_dim, act_dim, cfg.total_steps)
    per_round = cfg.rollout_batch * cfg.rollout_length
    # the model buffer holds only recent rollouts: older ones came from older
    # policies and older models
    model_buf = ReplayBuffer(obs_dim, act_dim,
                             per_round * max(1, cfg.model_retain // cfg.rollout_every))
    eval_env = eval_env if eval_env is not None else fresh_env(env)

    def policy(o: torch.Tensor) -> torch.Tensor:  # the current stochastic actor
        return agent.actor(o, agent.gen)[0]

    steps, returns, losses = [], [], []
    model_ready = False
    obs, _ = env.reset(seed=cfg.seed)
    for t in tqdm(range(1, cfg.total_steps + 1), desc="MBPO", leave=False,
                  disable=not progress):
        # 1./3. act (randomly during the warm-up, then with the policy) and
        # store the real transition
        a = (random_action(low, high, rng) if t <= sac_cfg.start_steps
             else agent.act(obs))
        next_obs, r, term, trunc, _ = env.step(a)
        real.add(obs, a, r, next_obs, term)
        obs = next_obs
        if term or trunc:
            obs, _ = env.reset()
        # 2. refit the ensemble on all real data (warm-started)
        if t >= sac_cfg.start_steps and t % cfg.model_train_every == 0:
            losses.append(fit_mbpo_ensemble(model, real.all(), learn_reward,
                                            cfg.model_train_steps, cfg.model_batch,
                                            cfg.model_lr, rng, cfg.model_beta))
            model_ready = True
        # 4. branched rollouts of k model steps from real states
        if model_ready and t % cfg.rollout_every == 0:
            start = torch.as_tensor(real.sample(cfg.rollout_batch, rng).obs)
            model_buf.add(*branched_rollout(model, policy, start, cfg.rollout_length,
                                            gen, reward_fn,
                                            termination_fn).to_batch())
        # 5. G SAC updates per real step on mostly-model batches (the real
        # share anchors the critic where the model is wrong; see real_ratio)
        if model_ready:
            for _ in range(cfg.updates_per_step):
                agent.update(mixed_batch(real, model_buf, sac_cfg.batch_size,
                                         cfg.real_ratio, rng))
        if t % cfg.eval_every == 0:
            steps.append(t)
            returns.append(evaluate(eval_env, agent, cfg.eval_episodes,
                                    seed=10_000 + cfg.seed * 100))
    return MBPOResult(agent, model, steps, returns, losses, real, time.time() - t0)
