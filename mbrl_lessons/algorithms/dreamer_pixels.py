"""Dreamer from pixels: an RSSM world model and behaviour learned in its
imagination (chapter 7, §7.4).

The agent of {hafner2020dreamer} on the pendulum seen through a small camera
(:func:`~mbrl_lessons.envs.pixel_pendulum.render_pendulum`):

1. **Collect** an episode with the current actor, filtering the frames
   through the RSSM's posterior online, the actor's mean action plus
   Gaussian exploration noise, each action repeated ``action_repeat`` times.
2. **World model**: sample ``batch`` sequences of ``seq_len`` steps from the
   replay of real episodes and take a gradient step on the RSSM's loss
   (:func:`~mbrl_lessons.models.rssm.world_model_loss`: frame
   reconstruction, learned reward, continuation, balanced KL with free nats).
3. **Behaviour**: from every posterior state of that batch (detached) imagine
   ``horizon`` steps with the actor in the RSSM's prior; score them with the
   *learned* reward head, the continuation head's discounts and λ-returns
   bootstrapped with a slowly moving target critic; train the actor by
   backpropagating the λ-returns through the imagined dynamics (the analytic,
   reparameterised gradient) and the critic by regressing them, both
   weighted by the cumulative discount of the imagined step (Dreamer v2).

The model's weights are not changed by the behaviour losses; the behaviour
nets read the RSSM's feature ``[h, z]``.  ``RSSMConfig.deterministic_path =
False`` is the ablation without the recurrent deterministic state.
"""

from __future__ import annotations

import copy
import time
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import numpy as np
import torch
from torch import nn

from mbrl_lessons.algorithms.dreamer import TanhGaussianActor
from mbrl_lessons.algorithms.pixel_episodes import (
    SUPPORTED_ENVS,  # noqa: F401 (the registry reads it here)
    SequenceReplay,
    as_pixel_env,
    run_pixel_episode,
)
from mbrl_lessons.core.nets import mlp
from mbrl_lessons.core.progress import tqdm
from mbrl_lessons.core.seeding import stream_rng, stream_seed, torch_generator
from mbrl_lessons.models.rssm import RSSM, State, overshooting_loss, world_model_loss


@dataclass(frozen=True)
class RSSMConfig:
    """Sizes of the world model (see :class:`~mbrl_lessons.models.rssm.RSSM`)."""

    deter: int = 64
    """Size of the GRU's deterministic state h."""
    stoch: int = 16
    """Size of the Gaussian stochastic state z."""
    hidden: int = 64
    """Width of the transition, prior/posterior and head layers."""
    embed: int = 128
    """Size of the encoder's output."""
    channels: int = 8
    """Channels of the first conv layer (the second has twice as many)."""
    deterministic_path: bool = True
    """False: the ablation without the recurrent deterministic path."""


@dataclass(frozen=True)
class DreamerPixelsConfig:
    """Settings of :func:`train`.  The defaults are the plain agent (30
    episodes, the ELBO alone, a new random seed action each decision); the
    benchmark ``benchmarks/ch07_dreamer_pixels.py`` adds latent overshooting,
    held seed actions, pretraining and the actor's mean penalty, and runs 60
    episodes."""

    seed: int = 0
    """Seed of every random draw (episode starts, nets, replay sampling)."""
    size: int = 16
    """Frames are ``size x size`` grey (a multiple of 4)."""
    action_repeat: int = 2
    """Each chosen action is applied this many real steps (rewards summed)."""
    n_seed_episodes: int = 5
    """Episodes of uniform random actions before learning starts."""
    n_episodes: int = 30
    """Real episodes in total, the seed episodes included (200 real steps each)."""
    updates_per_episode: int = 60
    """World-model + behaviour gradient steps after each collected episode."""
    batch: int = 16
    """Sequences per world-model batch (imagination starts: batch x seq_len)."""
    seq_len: int = 32
    """Agent steps per training sequence."""
    horizon: int = 15
    """H: imagined steps per rollout."""
    imagine_starts: int = 128
    """Posterior states of the batch (drawn without replacement out of
    batch x seq_len) that start imagined rollouts; Dreamer starts from all
    of them, a quarter of the 512 cuts the behaviour update's cost by about
    three quarters."""
    gamma: float = 0.99
    """Discount per agent step (times the predicted continuation)."""
    lam: float = 0.95
    """λ of the λ-return."""
    model_lr: float = 1e-3
    """Adam learning rate of the world model."""
    actor_lr: float = 1e-3
    """Adam learning rate of the actor."""
    critic_lr: float = 1e-3
    """Adam learning rate of the critic."""
    kl_scale: float = 1.0
    """β: weight of the KL term."""
    kl_balance: float = 0.8
    """α of KL balancing (share of the KL gradient that trains the prior)."""
    free_nats: float = 1.0
    """No KL pressure below this many nats per step."""
    frame_std: float = 0.1
    """Std of the frame's Gaussian likelihood per pixel.  Dreamer's unit std
    suits 64 x 64 x 3 = 12,288 pixel values; a 16 x 16 grey frame has 48
    times fewer, and at unit std its likelihood gains less from knowing the
    angle than the KL charges for it, so the latent learns the average frame
    (measured: a blurred ring after 300 updates).  0.1 weighs each pixel 100
    times more."""
    reward_scale: float = 0.1
    """Rewards are multiplied by this before the reward head learns them
    (Pendulum's per-step rewards reach -16 per real step)."""
    entropy_coef: float = 1e-3
    """η: weight of the actor's entropy bonus."""
    target_tau: float = 0.02
    """Polyak rate of the target critic per update."""
    grad_clip: float = 100.0
    """Gradient-norm clipping of every optimiser."""
    hidden: int = 64
    """Width of the actor's and critic's two hidden layers."""
    exploration_std: float = 0.3
    """Std of the Gaussian noise added to the actor's mean action (in units of
    the maximal torque) while collecting."""
    n_eval: int = 5
    """Noise-free evaluation episodes at the end."""
    overshooting: int = 1
    """D of latent overshooting (:func:`~mbrl_lessons.models.rssm.overshooting_loss`,
    weight 1): the prior is also trained open-loop up to D steps ahead.
    1 turns it off (the plain ELBO)."""
    pretrain_updates: int = 0
    """World-model updates, without behaviour updates, after the last seed
    episode (Dreamer's pretraining): the actor's first gradients then come
    from a model that has already learned something."""
    seed_action_hold: int = 1
    """The seed episodes' uniform random action is redrawn every this many
    decisions (1: a new one each decision).  Held actions add up to a
    visible swing; single ones average out within a pixel."""
    mean_penalty: float = 0.0
    """c: the actor's loss adds ``c · mean(μ²)`` over the imagined states, μ
    the Gaussian's mean before the tanh.  Once ``|μ|`` is large the tanh is
    flat and the return's gradient vanishes, so nothing else brings a
    saturated actor back; 0 turns it off."""
    rssm: RSSMConfig = field(default_factory=RSSMConfig)
    """The world model's sizes."""

    def __post_init__(self) -> None:
        for name in ("size", "action_repeat", "n_episodes", "updates_per_episode",
                     "batch", "seq_len", "horizon", "imagine_starts", "hidden",
                     "n_eval", "overshooting", "seed_action_hold"):
            v = getattr(self, name)
            if not isinstance(v, int) or isinstance(v, bool) or v < 1:
                raise ValueError(f"DreamerPixelsConfig.{name} must be a positive "
                                 f"int, got {v!r}")
        if not 0 <= self.n_seed_episodes < self.n_episodes:
            raise ValueError("DreamerPixelsConfig.n_seed_episodes must lie in "
                             f"[0, n_episodes), got {self.n_seed_episodes}")
        if not isinstance(self.pretrain_updates, int) or self.pretrain_updates < 0:
            raise ValueError(f"DreamerPixelsConfig.pretrain_updates must be an int "
                             f">= 0, got {self.pretrain_updates!r}")
        if self.overshooting >= self.seq_len:
            raise ValueError(f"DreamerPixelsConfig.overshooting must be below "
                             f"seq_len = {self.seq_len}, got {self.overshooting}")
        if self.size < 8 or self.size % 4:
            raise ValueError(f"DreamerPixelsConfig.size must be a multiple of 4 "
                             f">= 8, got {self.size}")
        for name in ("gamma", "lam", "target_tau", "kl_balance"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ValueError(f"DreamerPixelsConfig.{name} must lie in [0, 1], "
                                 f"got {getattr(self, name)!r}")
        if not self.mean_penalty >= 0:
            raise ValueError(f"DreamerPixelsConfig.mean_penalty must be >= 0, "
                             f"got {self.mean_penalty!r}")
        if self.free_nats < 0 or self.kl_scale < 0 or self.reward_scale <= 0 \
                or self.frame_std <= 0:
            raise ValueError("need free_nats >= 0, kl_scale >= 0, reward_scale > 0 "
                             "and frame_std > 0")


def lambda_returns(rew: torch.Tensor, values: torch.Tensor, discount: torch.Tensor,
                   lam: float) -> torch.Tensor:
    """λ-returns with a discount per step: ``rew [B, H]``, ``values [B, H+1]``
    and ``discount [B, H]`` (γ times the continuation probability of the step's
    next state).  ``V_H = v_H``, ``V_t = r_t + d_t((1-λ) v_{t+1} + λ V_{t+1})``;
    returns ``[B, H]``."""
    if rew.ndim != 2 or values.shape != (rew.shape[0], rew.shape[1] + 1) \
            or discount.shape != rew.shape:
        raise ValueError(f"need rew [B, H], values [B, H+1], discount [B, H]; got "
                         f"{tuple(rew.shape)}, {tuple(values.shape)}, "
                         f"{tuple(discount.shape)}")
    out, nxt = [], values[:, -1]
    for t in reversed(range(rew.shape[1])):
        nxt = rew[:, t] + discount[:, t] * ((1 - lam) * values[:, t + 1] + lam * nxt)
        out.append(nxt)
    return torch.stack(out[::-1], 1)


class Imagined(NamedTuple):
    feat: torch.Tensor      # [B, H+1, F] features s_0 .. s_H
    states: list            # the H+1 RSSM states (for decoding frames)
    action: torch.Tensor    # [B, H, A]
    reward: torch.Tensor    # [B, H] predicted reward of step t (read at s_{t+1})
    discount: torch.Tensor  # [B, H] gamma * predicted continuation at s_{t+1}
    entropy: torch.Tensor   # [B, H]


def imagine(model: RSSM, actor: TanhGaussianActor, start: State, horizon: int,
            gamma: float, gen: torch.Generator) -> Imagined:
    """Roll the actor through the RSSM's prior from ``start`` (fields
    ``[B, dim]``) for ``horizon`` steps, keeping the graph so that the
    returns can be differentiated into the actor through every step."""
    state, states, acts, ents = start, [start], [], []
    for _ in range(horizon):
        a, ent = actor.sample(model.feature(state), gen)
        state = model.img_step(state, a, gen)
        states.append(state)
        acts.append(a)
        ents.append(ent)
    nxt = State(*(torch.stack(f, 1) for f in zip(*states[1:], strict=True)))
    feat = torch.stack([model.feature(s) for s in states], 1)
    return Imagined(feat, states, torch.stack(acts, 1), model.reward(nxt),
                    gamma * model.cont_prob(nxt), torch.stack(ents, 1))


@torch.no_grad()
def dream_frames(model: RSSM, frames: torch.Tensor, actions: torch.Tensor,
                 context: int, gen: torch.Generator | None = None
                 ) -> tuple[torch.Tensor, torch.Tensor]:
    """What the model sees and what it dreams on one real sequence.

    ``frames [T, S, S]`` and ``actions [T, A]`` (``actions[t]`` led to
    ``frames[t]``).  The first ``context`` frames are filtered with the
    posterior; from there the prior alone rolls on with the *real* actions,
    never seeing another frame.  Returns ``(reconstructions [context, S, S],
    dreamed [T - context, S, S])``, both decoded from the latent state (the
    mean frame)."""
    if not 1 <= context < len(frames):
        raise ValueError(f"context must lie in [1, {len(frames) - 1}], got {context}")
    post, _ = model.observe(frames[None, :context], actions[None, :context], gen)
    recon = model.decoder(model.feature(post))[0]
    state = State(*(f[:, -1] for f in post))
    dreamed = []
    for t in range(context, len(frames)):
        state = model.img_step(state, actions[None, t], gen)
        dreamed.append(model.decoder(model.feature(state))[0])
    return recon, torch.stack(dreamed)


class BehaviourLosses(NamedTuple):
    actor: torch.Tensor
    critic: torch.Tensor
    returns: torch.Tensor  # [B, H] λ-returns (with the actor's graph)
    weights: torch.Tensor  # [B, H] cumulative discounts


def behaviour_losses(model: RSSM, actor: TanhGaussianActor, critic: nn.Module,
                     target_critic: nn.Module, start: State,
                     cfg: DreamerPixelsConfig, gen: torch.Generator
                     ) -> BehaviourLosses:
    """Dreamer's actor and critic losses on one batch of imagined rollouts.

    Actor: ``-Σ_t w_t V^λ_t / Σ w - η entropy (+ c mean μ²)``: gradients
    flow through the RSSM's prior, the reward and continuation heads and the
    target critic into the actions.  Critic: ``½ Σ_t w_t (v(s_t) -
    sg(V^λ_t))²`` on detached features.  ``w_t = Π_{k<t} d_k`` (``w_0 =
    1``) is the discount weight: steps after a predicted episode end count
    less.
    """
    im = imagine(model, actor, start, cfg.horizon, cfg.gamma, gen)
    values = target_critic(im.feat).squeeze(-1)
    ret = lambda_returns(im.reward, values, im.discount, cfg.lam)
    weights = torch.cumprod(torch.cat([torch.ones_like(im.discount[:, :1]),
                                       im.discount[:, :-1]], 1), 1).detach()
    wsum = weights.sum()
    actor_loss = -(weights * ret).sum() / wsum \
        - cfg.entropy_coef * im.entropy.mean()
    if cfg.mean_penalty > 0:  # the pre-tanh mean, on the same (detached) states
        mu = actor._dist(im.feat[:, :-1].detach())[0]
        actor_loss = actor_loss + cfg.mean_penalty * mu.square().mean()
    pred = critic(im.feat[:, :-1].detach()).squeeze(-1)
    critic_loss = 0.5 * (weights * (pred - ret.detach()).square()).sum() / wsum
    return BehaviourLosses(actor_loss, critic_loss, ret, weights)


@dataclass
class DreamerPixelsResult:
    returns: np.ndarray      # [n_episodes] return of each collected episode
    steps: np.ndarray        # [n_episodes] real steps by each episode's end
    final_return: float      # mean return of n_eval noise-free episodes
    final_returns: np.ndarray
    model_losses: np.ndarray  # [n_updates, 4] image, reward, cont, KL
    model: RSSM
    actor: TanhGaussianActor
    critic: nn.Module
    replay: SequenceReplay
    seconds: float
    updates: int
    extra: dict[str, Any] = field(default_factory=dict)


class PixelAgent:
    """The RSSM's posterior as a filter plus the actor, acting frame by frame
    in a real env.  The filter must be told the action that was *executed*
    (noise included): it is the ``a_{t-1}`` of the next posterior step."""

    def __init__(self, model: RSSM, actor: TanhGaussianActor, max_action: float,
                 gen: torch.Generator) -> None:
        self.model, self.actor, self.gen = model, actor, gen
        self.act_dim, self.max_action = actor.act_dim, float(max_action)
        self.reset()

    def reset(self) -> None:
        """Forget the episode: the all-zero state, no previous action."""
        self.state = self.model.initial(1)
        self.prev = torch.zeros(1, self.act_dim)

    @torch.no_grad()
    def act(self, frame: np.ndarray, noise_std: float = 0.0,
            rng: np.random.Generator | None = None) -> np.ndarray:
        """Filter ``frame``, then the actor's mean action plus Gaussian noise
        of std ``noise_std * max_action``, clipped to the action box."""
        emb = self.model.encoder(torch.as_tensor(frame, dtype=torch.float32)[None])
        self.state, _ = self.model.obs_step(self.state, self.prev, emb, self.gen)
        a = self.actor.mode(self.model.feature(self.state))[0].numpy()
        if noise_std > 0:
            a = a + noise_std * self.max_action * rng.normal(size=self.act_dim)
        a = np.clip(a, -self.max_action, self.max_action).astype(np.float32)
        self.prev = torch.as_tensor(a)[None]
        return a


def _polyak(target: nn.Module, source: nn.Module, tau: float) -> None:
    with torch.no_grad():
        for p, q in zip(target.parameters(), source.parameters(), strict=True):
            p.lerp_(q, tau)


def train(env, cfg: DreamerPixelsConfig = DreamerPixelsConfig(), *,
          progress: bool = False) -> DreamerPixelsResult:
    """Dreamer from pixels on ``env`` (``"Pendulum-v1"``, its env, or a
    :class:`~mbrl_lessons.algorithms.pixel_episodes.PendulumFrames` with
    ``cfg.size``): ``n_seed_episodes`` random
    episodes, then alternately one episode with the actor and
    ``updates_per_episode`` world-model and behaviour updates."""
    t0 = time.perf_counter()
    if not isinstance(cfg, DreamerPixelsConfig):
        raise TypeError(f"cfg must be a DreamerPixelsConfig, got {type(cfg).__name__}")
    env = as_pixel_env(env, cfg.size)
    seed = cfg.seed
    # named streams: numpy for the actions' noise and the replay's draws, torch
    # for the latent samples of acting and of learning, one seed per network
    rng = stream_rng(seed, "noise_and_replay")
    gen = torch_generator(stream_seed(seed, "latent_samples"))
    act_dim = env.action_space.shape[0]
    max_a = float(env.action_space.high[0])
    r = cfg.rssm
    model = RSSM(act_dim, cfg.size, r.deter, r.stoch, r.hidden, r.embed, r.channels,
                 deterministic_path=r.deterministic_path,
                 seed=stream_seed(seed, "world_model"))
    actor = TanhGaussianActor(model.feat_dim, act_dim, max_a, cfg.hidden,
                              seed=stream_seed(seed, "actor"))
    critic = mlp(model.feat_dim, 1, cfg.hidden, 2, nn.ELU,
                 seed=stream_seed(seed, "critic"))
    target = copy.deepcopy(critic).requires_grad_(False)
    opt_model = torch.optim.Adam(model.parameters(), lr=cfg.model_lr, eps=1e-5)
    opt_actor = torch.optim.Adam(actor.parameters(), lr=cfg.actor_lr, eps=1e-5)
    opt_critic = torch.optim.Adam(critic.parameters(), lr=cfg.critic_lr, eps=1e-5)
    replay, agent = SequenceReplay(), PixelAgent(model, actor, max_a, gen)

    def explore(frame):
        return agent.act(frame, cfg.exploration_std, rng)

    held = {"action": None, "age": 0}

    def random_act(frame):
        if held["age"] % cfg.seed_action_hold == 0:  # age 0: a new episode
            held["action"] = rng.uniform(-max_a, max_a, size=act_dim)
        held["age"] += 1
        return held["action"]

    def world_model_update():
        """One Adam step of the world model on a fresh batch of sequences."""
        frames, acts, rews, conts = replay.sample(cfg.batch, cfg.seq_len, rng)
        wm = world_model_loss(model, frames, acts, rews * cfg.reward_scale, conts,
                              gen, cfg.kl_scale, cfg.kl_balance, cfg.free_nats,
                              cfg.frame_std)
        total = wm.total
        if cfg.overshooting > 1:
            total = total + overshooting_loss(model, wm.post, acts,
                                              rews * cfg.reward_scale,
                                              cfg.overshooting, gen)
        opt_model.zero_grad()
        total.backward()
        nn.utils.clip_grad_norm_(model.parameters(), cfg.grad_clip)
        opt_model.step()
        losses.append([float(wm.image), float(wm.reward), float(wm.cont),
                       float(wm.kl)])
        return wm

    returns, steps, losses, n_real, updates = [], [], [], 0, 0
    bar = tqdm(range(cfg.n_episodes), desc=f"dreamer-pixels seed {seed}",
               leave=False, disable=not progress)
    for ep in bar:
        agent.reset()
        held["action"], held["age"] = None, 0
        policy = random_act if ep < cfg.n_seed_episodes else explore
        ret, episode = run_pixel_episode(env, policy, stream_seed(seed, "episode", ep),
                                         cfg.action_repeat, act_dim)
        replay.add(episode)
        returns.append(ret)
        n_real += (len(episode.rewards) - 1) * cfg.action_repeat
        steps.append(n_real)
        bar.set_postfix(ret=round(ret), refresh=False)
        if ep < cfg.n_seed_episodes - 1 or ep == cfg.n_episodes - 1:
            continue
        if ep == cfg.n_seed_episodes - 1:
            for _ in range(cfg.pretrain_updates):  # the model alone, first
                world_model_update()
        for _ in range(cfg.updates_per_episode):
            wm = world_model_update()
            n_flat = cfg.batch * cfg.seq_len
            pick = (torch.randperm(n_flat, generator=gen)[:cfg.imagine_starts]
                    if cfg.imagine_starts < n_flat else torch.arange(n_flat))
            flat = State(*(f.detach().reshape(-1, f.shape[-1])[pick]
                           for f in wm.post))
            model.requires_grad_(False)  # gradients pass through, never into it
            beh = behaviour_losses(model, actor, critic, target, flat, cfg, gen)
            opt_actor.zero_grad()
            opt_critic.zero_grad()
            beh.actor.backward(inputs=list(actor.parameters()))
            beh.critic.backward(inputs=list(critic.parameters()))
            model.requires_grad_(True)
            nn.utils.clip_grad_norm_(actor.parameters(), cfg.grad_clip)
            nn.utils.clip_grad_norm_(critic.parameters(), cfg.grad_clip)
            opt_actor.step()
            opt_critic.step()
            _polyak(target, critic, cfg.target_tau)
            updates += 1

    finals = []
    for k in range(cfg.n_eval):
        agent.reset()
        finals.append(run_pixel_episode(env, agent.act, stream_seed(seed, "eval", k),
                                        cfg.action_repeat, act_dim)[0])
    return DreamerPixelsResult(
        np.array(returns), np.array(steps), float(np.mean(finals)), np.array(finals),
        np.array(losses).reshape(-1, 4), model, actor, critic, replay,
        time.perf_counter() - t0, updates)
