"""Model-based policy optimisation, MBPO (Janner et al. 2019; chapter 7.3).

MBPO is Dyna (Sutton 1990) with deep parts: a model generates extra
transitions and a model-free learner (SAC, :mod:`~mbrl_lessons.algorithms.sac`)
trains on them.  What makes it work is *how short* the model's rollouts are:

1. An ensemble of Gaussian MLPs learns ``(s, a) -> (s' - s, r)``: the same
   :class:`~mbrl_lessons.models.ensemble.GaussianEnsemble` as PETS, refit by
   :func:`~mbrl_lessons.models.ensemble.fit_ensemble` every
   ``model_train_every`` real steps with a held-out split that keeps each
   member's best weights and picks the elites (:data:`MBPO_MODEL_TRAIN`).
2. *Branched* rollouts of only ``k`` steps start from states drawn from the
   real replay buffer; every step of every rollout asks an elite member drawn
   at random (:func:`branched_rollout`).  Starting on real states keeps
   the model near its data; a short ``k`` stops errors from compounding.
3. The results go into a model buffer, and SAC takes ``G`` updates per real
   step on batches that are mostly model data with a small real share
   (:func:`mixed_batch`).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import NamedTuple

import gymnasium as gym
import numpy as np
import torch

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
from mbrl_lessons.core.seeding import make_rng, stream_seed, torch_generator
from mbrl_lessons.envs import as_env
from mbrl_lessons.envs.rewards import KNOWN_TASKS, KnownTask, RewardFn, TerminationFn
from mbrl_lessons.models.ensemble import (
    EnsembleTrainConfig,
    GaussianEnsemble,
    fit_ensemble,
)


def model_data(data: Batch, learn_reward: bool) -> tuple[np.ndarray, np.ndarray]:
    """Inputs ``(s, a) [N, O + A]`` and targets ``(s' - s[, r]) [N, O (+ 1)]``."""
    x = np.concatenate([data.obs, data.act], -1)
    y = data.next_obs - data.obs
    if learn_reward:
        y = np.concatenate([y, data.rew[:, None]], -1)
    return x, y


MBPO_MODEL_TRAIN = EnsembleTrainConfig(
    steps=300, batch_size=256, lr=1e-3, beta=0.0, bootstrap=False,
    holdout_ratio=0.2, eval_every=50, patience=5)
"""How MBPO refits its ensemble, as in the authors' code: the plain Gaussian
NLL (``beta=0``; PETS needs the beta-NLL on the noise-free pendulum, §7.2),
and a fifth of the real data held out to keep each member's best weights and
pick the elites.  Members differ by initial weights and minibatches."""


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
def branched_rollout(model: GaussianEnsemble, policy: Callable[[torch.Tensor],
                     torch.Tensor], start_obs: torch.Tensor, k: int,
                     gen: torch.Generator, reward_fn: RewardFn | None = None,
                     termination_fn: TerminationFn | None = None) -> BranchedRollout:
    """``k`` model steps from each of ``start_obs [N, O]`` (states from the REAL
    buffer), acting with ``policy(obs [N, O]) -> act [N, A]``.

    Every step of every rollout uses an elite member drawn uniformly at
    random (:meth:`~mbrl_lessons.models.ensemble.GaussianEnsemble.random_elites`),
    so model errors of different members do not line up into one
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
        member = model.random_elites(n, gen)
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
    train: EnsembleTrainConfig = MBPO_MODEL_TRAIN
    """How each refit trains the ensemble (``train.steps=0``: never trained,
    a broken-model control)."""
    ensemble_size: int = 7
    """Ensemble members (7, as in the paper)..."""
    n_elites: int = 5
    """...of which the rollouts use the best this many on held-out data (5)."""
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
                     "model_train_every", "ensemble_size", "n_elites",
                     "model_hidden", "model_layers", "rollout_every",
                     "rollout_batch", "model_retain", "eval_every"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int) or v < 1:
                raise ValueError(f"MBPOConfig.{name} must be a positive int, got {v!r}")
        if not 0.0 <= self.real_ratio <= 1.0:
            raise ValueError(f"MBPOConfig.real_ratio must be in [0, 1], got "
                             f"{self.real_ratio}")
        if self.n_elites > self.ensemble_size:
            raise ValueError(f"MBPOConfig.n_elites ({self.n_elites}) must be at most "
                             f"ensemble_size ({self.ensemble_size})")
        if self.sac.start_steps % self.model_train_every:
            raise ValueError(f"MBPOConfig: sac.start_steps ({self.sac.start_steps}) "
                             f"must be a multiple of model_train_every "
                             f"({self.model_train_every})")


@dataclass
class MBPOResult:
    """What :func:`train` returns."""

    agent: SACAgent
    model: GaussianEnsemble
    eval_steps: list[int]
    eval_returns: list[float]
    model_losses: list[float]
    """Held-out NLL of the elites (normalised units, mean over them) after every
    refit."""
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
    from :mod:`mbrl_lessons.envs.rewards`, else never); ``eval_env`` defaults
    to a fresh ``gym.make(env.spec.id)``.
    """
    env = as_env(env)
    if termination_fn is None and getattr(env, "spec", None) is not None:
        termination_fn = KNOWN_TASKS.get(env.spec.id, KnownTask("", None)
                                         ).termination_fn
    obs_dim, low, high = check_box_env(env)
    t0 = time.time()
    # the learner gets the run's seed: MBPO and SAC of one seed share networks
    seed, rng = cfg.seed, make_rng(cfg.seed)
    gen = torch_generator(stream_seed(seed, "rollouts"))
    act_dim, learn_reward = len(low), reward_fn is None
    model = GaussianEnsemble(obs_dim + act_dim, obs_dim + int(learn_reward),
                             cfg.ensemble_size, cfg.model_hidden, cfg.model_layers,
                             n_elites=cfg.n_elites, seed=stream_seed(seed, "model"))
    sac_cfg = cfg.sac
    agent = SACAgent(obs_dim, low, high, replace(
        sac_cfg, total_steps=cfg.total_steps, updates_per_step=cfg.updates_per_step,
        seed=seed))
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
    obs, _ = env.reset(seed=stream_seed(seed, "env"))
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
        # 2. refit the ensemble on all real data (warm-started; a held-out
        # fifth keeps each member's best weights and ranks the elites)
        if t >= sac_cfg.start_steps and t % cfg.model_train_every == 0:
            fit = fit_ensemble(model, *model_data(real.all(), learn_reward),
                               cfg.train, seed=stream_seed(seed, "model_fit", t))
            losses.append(float(np.mean([fit.best[e] for e in fit.elites])))
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
            returns.append(evaluate(eval_env, agent, cfg.eval_episodes, seed))
    return MBPOResult(agent, model, steps, returns, losses, real, time.time() - t0)
