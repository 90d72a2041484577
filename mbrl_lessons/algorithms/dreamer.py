"""Dreamer-style actor-critic learning in imagination (chapter 7, §7.4).

Dreamer {hafner2020dreamer} learns a behaviour entirely inside a learned
model: from states taken out of the replay data it *imagines* trajectories of
``horizon`` steps with the current actor, scores them with λ-returns that
bootstrap from a learned critic at the end, and then

- regresses the critic on those λ-returns (targets held fixed, built from a
  slowly moving *target* critic), and
- improves the actor by backpropagating the λ-returns through the
  differentiable model into the actions (Dreamer v1's analytic gradients),
  plus a small entropy bonus.

The real Dreamer learns a stochastic recurrent latent model (RSSM) from pixels.
Here we keep the learning-in-imagination part and replace the world model by
chapter 4's :class:`~mbrl_lessons.models.MLPDynamics` on the pendulum's state,
with the known reward :func:`~mbrl_lessons.envs.pendulum.pendulum_reward`, so a
whole run takes well under a minute on one CPU core.  Setting
``use_critic=False`` drops the bootstrap (v = 0): the actor then maximises the
fixed-horizon model return of chapter 4's v2.0, but discounted by gamma*lam
rather than gamma, since lam is kept (equal to v2.0 only at lam = 1).
"""

from __future__ import annotations

import copy
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import NamedTuple

import gymnasium as gym
import numpy as np
import torch
from torch import nn

from mbrl_lessons.core.nets import mlp
from mbrl_lessons.core.progress import tqdm
from mbrl_lessons.core.replay import ReplayBuffer
from mbrl_lessons.core.seeding import make_rng, stream_seed, torch_generator
from mbrl_lessons.envs import as_env
from mbrl_lessons.envs.pendulum import pendulum_reward
from mbrl_lessons.envs.rewards import resolve_task
from mbrl_lessons.models import MLPDynamics, TrainConfig, fit_model
from mbrl_lessons.planning import run_episode


@dataclass(frozen=True)
class DreamerConfig:
    """Settings of :func:`train` (defaults: Pendulum-v1, 3,000 real steps, about
    a minute of one CPU core)."""

    seed: int = 0
    """Seed of every random draw (episode starts, networks, imagination)."""
    n_episodes: int = 15
    """Real episodes collected in total, the first one with random actions."""
    horizon: int = 15
    """H: imagined steps per rollout."""
    use_critic: bool = True
    """Bootstrap the λ-return with the critic; False gives a critic-free,
    fixed-horizon objective (chapter 4's v2.0)."""
    gamma: float = 0.99
    """Discount of the imagined returns."""
    lam: float = 0.95
    """λ of the λ-return (0: one-step TD target, 1: Monte Carlo + bootstrap)."""
    updates_per_episode: int = 300
    """Actor and critic gradient steps in imagination after each model refit
    (300 per 200-step episode: the same number of actor steps per real episode
    as chapter 4's v2.0, about one and a half per real step -- Dreamer's own
    replay ratio is of this order; 100 left the actor under-trained)."""
    batch: int = 128
    """Imagined start states per update (drawn from the replay buffer)."""
    actor_lr: float = 1e-3
    """Adam learning rate of the actor."""
    critic_lr: float = 1e-3
    """Adam learning rate of the critic."""
    entropy_coef: float = 1e-3
    """η: weight of the actor's entropy bonus."""
    target_tau: float = 0.02
    """Polyak rate of the slow target critic (per update)."""
    grad_clip: float = 100.0
    """Gradient-norm clipping for actor and critic (long chains through the model)."""
    hidden: int = 64
    """Width of the actor's and critic's two hidden layers."""
    model_hidden: int = 128
    """Width of the dynamics model's two hidden layers."""
    model_updates: int = 300
    """About this many Adam steps of the (warm-started) model per refit."""
    train: TrainConfig = field(default_factory=lambda: TrainConfig(patience=5))
    """Model training settings (``max_epochs`` is set from ``model_updates``)."""
    exploration_std: float = 0.3
    """Std of Gaussian noise added to the actor's mean action while collecting."""
    n_eval: int = 3
    """Noise-free evaluation episodes at the end."""

    def __post_init__(self) -> None:
        for name in ("n_episodes", "horizon", "updates_per_episode", "batch",
                     "hidden", "model_hidden", "model_updates"):
            if not isinstance(getattr(self, name), int) or getattr(self, name) < 1:
                raise ValueError(f"DreamerConfig.{name} must be a positive int, "
                                 f"got {getattr(self, name)!r}")
        for name in ("gamma", "lam", "target_tau"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ValueError(f"DreamerConfig.{name} must lie in [0, 1], "
                                 f"got {getattr(self, name)!r}")


def lambda_returns(rew: torch.Tensor, values: torch.Tensor, gamma: float,
                   lam: float) -> torch.Tensor:
    """λ-returns of imagined trajectories (Dreamer, eq. 6, in recursive form).

    ``rew [B, H]`` are the rewards of steps ``0..H-1`` and ``values [B, H+1]``
    the critic at states ``s_0..s_H``.  With ``V_H = v(s_H)``,
    ``V_t = r_t + γ((1 - λ) v(s_{t+1}) + λ V_{t+1})``; returns ``[B, H]``.
    λ = 0 is the one-step TD target, λ = 1 the discounted sum of all H rewards
    plus the discounted critic at the end.
    """
    if rew.ndim != 2 or values.shape != (rew.shape[0], rew.shape[1] + 1):
        raise ValueError(f"need rew [B, H] and values [B, H+1], got "
                         f"{tuple(rew.shape)} and {tuple(values.shape)}")
    if not (0.0 <= gamma <= 1.0 and 0.0 <= lam <= 1.0):
        raise ValueError(f"gamma and lam must lie in [0, 1], got {gamma}, {lam}")
    out, nxt = [], values[:, -1]
    for t in reversed(range(rew.shape[1])):
        nxt = rew[:, t] + gamma * ((1 - lam) * values[:, t + 1] + lam * nxt)
        out.append(nxt)
    return torch.stack(out[::-1], 1)


class TanhGaussianActor(nn.Module):
    """``a = max_action · tanh(μ(s) + σ(s) ε)``, ``ε ~ N(0, I)``: a Gaussian
    squashed into the action box; sampling is reparameterised, so the action
    is a differentiable function of the actor's weights."""

    def __init__(self, obs_dim: int, act_dim: int, max_action: float,
                 hidden: int = 64, seed: int = 0) -> None:
        super().__init__()
        self.net = mlp(obs_dim, 2 * act_dim, hidden, 2, seed=seed)
        self.act_dim, self.max_action = act_dim, float(max_action)

    def _dist(self, obs):
        mean, pre_std = self.net(obs).split(self.act_dim, -1)
        return mean, nn.functional.softplus(pre_std) + 1e-3

    def sample(self, obs: torch.Tensor, gen: torch.Generator
               ) -> tuple[torch.Tensor, torch.Tensor]:
        """Action ``[B, A]`` and entropy ``[B]`` of the Gaussian before the
        squashing (a closed-form stand-in for the squashed entropy)."""
        mean, std = self._dist(obs)
        eps = torch.randn(mean.shape, generator=gen)
        entropy = (std.log() + 0.5 * math.log(2 * math.pi * math.e)).sum(-1)
        return self.max_action * torch.tanh(mean + std * eps), entropy

    def mode(self, obs: torch.Tensor) -> torch.Tensor:
        """The deterministic action ``max_action · tanh(μ(s))``."""
        return self.max_action * torch.tanh(self._dist(obs)[0])


class Imagined(NamedTuple):
    obs: torch.Tensor      # [B, H+1, O] imagined states, s_0 from the data
    act: torch.Tensor      # [B, H, A]
    rew: torch.Tensor      # [B, H]
    entropy: torch.Tensor  # [B, H]


def imagine(model, actor: TanhGaussianActor, starts: torch.Tensor, horizon: int,
            reward_fn: Callable, gen: torch.Generator) -> Imagined:
    """Roll the actor through the model from ``starts [B, O]`` for ``horizon``
    steps, keeping the graph so that returns can be differentiated with
    respect to the actor's weights through every model step."""
    if starts.ndim != 2:
        raise ValueError(f"starts must be [B, O], got {tuple(starts.shape)}")
    obs, traj, acts, rews, ents = starts, [starts], [], [], []
    for _ in range(horizon):
        act, ent = actor.sample(obs, gen)
        next_obs = model.predict(obs, act)
        rews.append(reward_fn(obs, act, next_obs))
        obs = next_obs
        traj.append(obs)
        acts.append(act)
        ents.append(ent)
    return Imagined(torch.stack(traj, 1), torch.stack(acts, 1),
                    torch.stack(rews, 1), torch.stack(ents, 1))


class Losses(NamedTuple):
    actor: torch.Tensor
    critic: torch.Tensor
    returns: torch.Tensor  # [B, H] the λ-returns (with the actor's graph)


def imagination_losses(model, actor: TanhGaussianActor, critic: nn.Module | None,
                       target_critic: nn.Module | None, starts: torch.Tensor,
                       cfg: DreamerConfig, gen: torch.Generator,
                       reward_fn: Callable = pendulum_reward) -> Losses:
    """Dreamer's two losses on one batch of imagined rollouts.

    Actor: ``-mean_t V^λ_t - η · entropy``, differentiated through the model
    and the (frozen) target critic into the actor.  Critic: ``½ (v(s_t) -
    sg(V^λ_t))²`` on the imagined states, also detached.  With ``critic=None``
    the bootstrap values are zero and the critic loss is zero.
    """
    im = imagine(model, actor, starts, cfg.horizon, reward_fn, gen)
    if critic is None:
        values = torch.zeros(im.obs.shape[:2])
    else:
        values = target_critic(im.obs).squeeze(-1)
    ret = lambda_returns(im.rew, values, cfg.gamma, cfg.lam)
    actor_loss = -ret.mean() - cfg.entropy_coef * im.entropy.mean()
    if critic is None:
        return Losses(actor_loss, torch.zeros(()), ret)
    pred = critic(im.obs[:, :-1].detach()).squeeze(-1)
    critic_loss = 0.5 * (pred - ret.detach()).square().mean()  # stop-gradient
    return Losses(actor_loss, critic_loss, ret)


class DreamerResult(NamedTuple):
    returns: np.ndarray      # [n_episodes] return of each collected episode
    steps: np.ndarray        # [n_episodes] real steps taken by each episode's end
    final_return: float      # mean return of n_eval noise-free episodes
    actor: TanhGaussianActor
    critic: nn.Module | None
    model: MLPDynamics
    seconds: float


def _frozen(module: nn.Module) -> nn.Module:
    for p in module.parameters():
        p.requires_grad_(False)
    return module


def train(env, cfg: DreamerConfig = DreamerConfig(), *, progress: bool = False,
          reward_fn: Callable | None = None) -> DreamerResult:
    """Dreamer on ``env`` (a gymnasium env or id, Box spaces): collect an
    episode with the actor, refit the model, train actor and critic in
    imagination; repeat ``n_episodes - 1`` times after one random episode.

    Imagined steps are scored with ``reward_fn(obs, act, next_obs)``, by
    default the env's known reward (:mod:`mbrl_lessons.envs.rewards`); an env
    without one is a ``ValueError``.  Imagination never terminates, so use it
    on tasks that end only by a time limit."""
    t0 = time.perf_counter()
    env, seed = as_env(env), cfg.seed
    # named streams (stream_seed) instead of offsets like seed * 1000 + ep;
    # episode starts, the random first episode and the evaluation starts are
    # the streams chapter 4's schemes use, so seed s of both meets the same
    # start states
    rng, gen = make_rng(seed), torch_generator(stream_seed(seed, "imagination"))
    if not (isinstance(env.observation_space, gym.spaces.Box)
            and isinstance(env.action_space, gym.spaces.Box)):
        raise TypeError("Dreamer here needs Box observation and action spaces, got "
                        f"{env.observation_space} and {env.action_space}")
    reward_fn, _ = resolve_task(env, reward_fn)
    obs_dim, act_dim = env.observation_space.shape[0], env.action_space.shape[0]
    # the actor squashes with max_a * tanh, one scale for every action
    # dimension centred on 0: right only for symmetric, equal bounds
    low, high = env.action_space.low, env.action_space.high
    if not (np.allclose(low, -high) and np.allclose(high, high[0])):
        raise ValueError(f"Dreamer here needs symmetric, equal action bounds "
                         f"[-a, a]; got low {low}, high {high}")
    max_a = float(high[0])
    model = MLPDynamics(obs_dim, act_dim, cfg.model_hidden,
                        seed=stream_seed(seed, "model"))
    actor = TanhGaussianActor(obs_dim, act_dim, max_a, cfg.hidden,
                              seed=stream_seed(seed, "actor"))
    critic = target = None
    params = {"actor": list(actor.parameters())}
    if cfg.use_critic:
        critic = mlp(obs_dim, 1, cfg.hidden, 2, seed=stream_seed(seed, "critic"))
        target = _frozen(copy.deepcopy(critic))
        params["critic"] = list(critic.parameters())
    opt_actor = torch.optim.Adam(params["actor"], lr=cfg.actor_lr)
    opt_critic = (torch.optim.Adam(params["critic"], lr=cfg.critic_lr)
                  if cfg.use_critic else None)
    buffer = ReplayBuffer(obs_dim, act_dim, 200 * cfg.n_episodes + 1000)

    def act_fn(o):
        with torch.no_grad():
            a = actor.mode(torch.as_tensor(o, dtype=torch.float32)).numpy()
        return a + cfg.exploration_std * rng.normal(size=act_dim)

    def random_act(o):
        return rng.uniform(env.action_space.low, env.action_space.high)

    returns, steps = [], []
    for ep in tqdm(range(cfg.n_episodes), desc=f"dreamer seed {seed}",
                   leave=False, disable=not progress):
        ret, obs, acts = run_episode(env, random_act if ep == 0 else act_fn,
                                     stream_seed(seed, "episode", ep))
        # rewards stored as 0: imagination scores steps with the known
        # reward_fn, so the buffer's rewards are never read (no reward model)
        buffer.add(obs[:-1], acts, np.zeros(len(acts)), obs[1:],
                   np.zeros(len(acts), bool))
        returns.append(ret)
        steps.append(len(buffer))
        if ep == cfg.n_episodes - 1:
            break
        # refit the model, warm-started: ~model_updates Adam steps on all data
        data = buffer.all()
        epochs = max(2, math.ceil(cfg.model_updates * cfg.train.batch_size
                                  / len(buffer)))
        for p in model.parameters():
            p.requires_grad_(True)
        fit_model(model, data.obs, data.act, data.next_obs,
                  replace(cfg.train, max_epochs=epochs),
                  seed=stream_seed(seed, "model fit", ep))
        _frozen(model)  # gradients pass *through* the model, never into it
        starts_all = torch.as_tensor(data.obs)
        for _ in range(cfg.updates_per_episode):
            idx = torch.randint(len(starts_all), (cfg.batch,), generator=gen)
            losses = imagination_losses(model, actor, critic, target,
                                        starts_all[idx], cfg, gen, reward_fn)
            opt_actor.zero_grad()
            losses.actor.backward()
            nn.utils.clip_grad_norm_(params["actor"], cfg.grad_clip)
            opt_actor.step()
            if cfg.use_critic:
                opt_critic.zero_grad()
                losses.critic.backward()
                nn.utils.clip_grad_norm_(params["critic"], cfg.grad_clip)
                opt_critic.step()
                with torch.no_grad():
                    for p, q in zip(target.parameters(), critic.parameters(),
                                    strict=True):
                        p.lerp_(q, cfg.target_tau)

    def greedy(o):
        with torch.no_grad():
            return actor.mode(torch.as_tensor(o, dtype=torch.float32)).numpy()

    finals = [run_episode(env, greedy, stream_seed(seed, "eval", k))[0]
              for k in range(cfg.n_eval)]
    return DreamerResult(np.array(returns), np.array(steps), float(np.mean(finals)),
                         actor, critic, model, time.perf_counter() - t0)
