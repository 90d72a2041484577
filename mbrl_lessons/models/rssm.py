"""A recurrent state-space model (RSSM) of small grey frames (chapter 7, §7.4).

PlaNet's and Dreamer's world model {hafner2019planet, hafner2020dreamer}.  The
latent state at time ``t`` has two parts:

- a **deterministic** recurrent state ``h_t = GRU(h_{t-1}, [z_{t-1}, a_{t-1}])``,
  which carries memory along the sequence without noise;
- a **stochastic** state ``z_t``, here a diagonal Gaussian (Dreamer v1's
  choice; v2/v3 use categorical latents), with a *prior* ``p(z_t | h_t)``
  that the model can roll forward without images and a *posterior*
  ``q(z_t | h_t, e_t)`` that also sees the encoded frame ``e_t = enc(o_t)``.

Heads read the feature ``s_t = [h_t, z_t]``: a deconvolutional decoder of
the frame, a reward head and a continuation head (the probability that the
episode goes on).  Training maximises, per step, the reconstruction and reward
log-likelihoods under the posterior minus the KL from posterior to prior,
with DreamerV2's **KL balancing** (the prior is pulled towards the posterior
faster than the posterior towards the prior) and **free nats** (no KL
pressure below a floor), see :func:`kl_loss`.

``deterministic_path=False`` is the ablation without the recurrent
deterministic path (PlaNet's "SSM"): the transition then depends on the last
stochastic sample and action only, ``h_t = MLP([z_{t-1}, a_{t-1}])``, and the
heads read ``z_t`` alone, so all memory must pass through the noisy ``z``.
"""

from __future__ import annotations

from typing import NamedTuple

import torch
from torch import nn
from torch.nn import functional as F

from mbrl_lessons.core.nets import mlp
from mbrl_lessons.core.seeding import stream_seed, torch_seeded


class State(NamedTuple):
    """One latent state of a batch: every field is ``[..., dim]``."""

    deter: torch.Tensor  # h_t
    stoch: torch.Tensor  # z_t (a sample)
    mean: torch.Tensor   # mean of the distribution z_t was drawn from
    std: torch.Tensor    # its standard deviation


def gaussian_kl(mean_q: torch.Tensor, std_q: torch.Tensor, mean_p: torch.Tensor,
                std_p: torch.Tensor) -> torch.Tensor:
    """``KL(N(mean_q, std_q²) || N(mean_p, std_p²))`` of diagonal Gaussians,
    summed over the last axis:
    ``Σ_i log(σ_p/σ_q) + (σ_q² + (μ_q - μ_p)²) / (2σ_p²) - ½``."""
    return (torch.log(std_p / std_q)
            + (std_q.square() + (mean_q - mean_p).square()) / (2 * std_p.square())
            - 0.5).sum(-1)


def kl_loss(post_mean: torch.Tensor, post_std: torch.Tensor,
            prior_mean: torch.Tensor, prior_std: torch.Tensor,
            balance: float = 0.8, free_nats: float = 1.0) -> tuple[torch.Tensor,
                                                                   torch.Tensor]:
    """The RSSM's KL term with KL balancing and free nats (DreamerV2).

    ``KL_bal = α KL(sg(q) || p) + (1 - α) KL(q || sg(p))``: both halves have
    the value ``KL(q || p)``, but the first trains only the prior and the
    second only the posterior, so ``α > ½`` moves the prior towards the
    posterior faster than it regularises the posterior.  Free nats: each
    half is averaged over the batch and time steps and clamped below at
    ``free_nats``, so a KL already under the floor gets no gradient.
    Returns ``(loss, KL(q || p) per step [...])`` (the second for logging).
    """
    if not 0.0 <= balance <= 1.0:
        raise ValueError(f"balance must lie in [0, 1], got {balance}")
    if free_nats < 0:
        raise ValueError(f"free_nats must be >= 0, got {free_nats}")
    sg = torch.Tensor.detach
    kl_prior = gaussian_kl(sg(post_mean), sg(post_std), prior_mean, prior_std)
    kl_post = gaussian_kl(post_mean, post_std, sg(prior_mean), sg(prior_std))
    loss = (balance * kl_prior.mean().clamp_min(free_nats)
            + (1 - balance) * kl_post.mean().clamp_min(free_nats))
    return loss, gaussian_kl(post_mean, post_std, prior_mean, prior_std).detach()


def _check_size(size: int) -> None:
    if size < 8 or size % 4:
        raise ValueError(f"frame size must be a multiple of 4 and at least 8, "
                         f"got {size}")


class ConvEncoder(nn.Module):
    """``[..., S, S]`` grey frames in [0, 1] -> ``[..., embed]`` (two stride-2
    convolutions, then a linear layer)."""

    def __init__(self, size: int, embed: int = 128, channels: int = 16,
                 seed: int = 0) -> None:
        super().__init__()
        _check_size(size)
        self.size, c = size, channels
        with torch_seeded(seed):
            self.conv = nn.Sequential(
                nn.Conv2d(1, c, 4, 2, 1), nn.ELU(),
                nn.Conv2d(c, 2 * c, 4, 2, 1), nn.ELU(), nn.Flatten())
            self.out = nn.Linear(2 * c * (size // 4) ** 2, embed)

    def forward(self, frames: torch.Tensor) -> torch.Tensor:
        if frames.shape[-2:] != (self.size, self.size):
            raise ValueError(f"expected frames [..., {self.size}, {self.size}], "
                             f"got {tuple(frames.shape)}")
        lead = frames.shape[:-2]
        x = frames.reshape(-1, 1, self.size, self.size) - 0.5
        return F.elu(self.out(self.conv(x))).reshape(*lead, -1)


class ConvDecoder(nn.Module):
    """``[..., feat]`` -> ``[..., S, S]`` mean frame (a linear layer, then two
    stride-2 transposed convolutions); the frame's likelihood is a Gaussian
    around it with std ``frame_std`` per pixel (see :func:`world_model_loss`)."""

    def __init__(self, feat: int, size: int, channels: int = 16,
                 seed: int = 0) -> None:
        super().__init__()
        _check_size(size)
        self.size, self.c = size, channels
        with torch_seeded(seed):
            self.inp = nn.Linear(feat, 2 * channels * (size // 4) ** 2)
            self.deconv = nn.Sequential(
                nn.ConvTranspose2d(2 * channels, channels, 4, 2, 1), nn.ELU(),
                nn.ConvTranspose2d(channels, 1, 4, 2, 1))

    def forward(self, feat: torch.Tensor) -> torch.Tensor:
        lead, q = feat.shape[:-1], self.size // 4
        x = F.elu(self.inp(feat)).reshape(-1, 2 * self.c, q, q)
        return (self.deconv(x) + 0.5).reshape(*lead, self.size, self.size)


class RSSM(nn.Module):
    """Recurrent state-space model with encoder, decoder, reward and
    continuation heads.  ``feat_dim`` is the size of the feature the heads
    (and an actor and critic) read."""

    def __init__(self, act_dim: int, size: int, deter: int = 64, stoch: int = 16,
                 hidden: int = 64, embed: int = 128, channels: int = 16,
                 min_std: float = 0.1, deterministic_path: bool = True,
                 seed: int = 0) -> None:
        super().__init__()
        for name, v in (("act_dim", act_dim), ("deter", deter), ("stoch", stoch),
                        ("hidden", hidden), ("embed", embed)):
            if not isinstance(v, int) or v < 1:
                raise ValueError(f"RSSM {name} must be a positive int, got {v!r}")
        self.act_dim, self.size = act_dim, size
        self.deter_dim, self.stoch_dim, self.min_std = deter, stoch, min_std
        self.deterministic_path = deterministic_path
        self.feat_dim = deter + stoch if deterministic_path else stoch
        # each part's initial weights from its own named stream of ``seed``
        self.encoder = ConvEncoder(size, embed, channels,
                                   seed=stream_seed(seed, "encoder"))
        self.decoder = ConvDecoder(self.feat_dim, size, channels,
                                   seed=stream_seed(seed, "decoder"))
        with torch_seeded(stream_seed(seed, "dynamics")):
            self.inp = nn.Linear(stoch + act_dim, hidden)
            if deterministic_path:
                self.cell = nn.GRUCell(hidden, deter)
            else:  # h_t = MLP([z_{t-1}, a_{t-1}]): no memory beyond z
                self.cell = nn.Linear(hidden, deter)
            self.prior_net = nn.Sequential(nn.Linear(deter, hidden), nn.ELU(),
                                           nn.Linear(hidden, 2 * stoch))
            self.post_net = nn.Sequential(nn.Linear(deter + embed, hidden), nn.ELU(),
                                          nn.Linear(hidden, 2 * stoch))
        self.reward_head = mlp(self.feat_dim, 1, hidden, 2, nn.ELU,
                               seed=stream_seed(seed, "reward_head"))
        self.cont_head = mlp(self.feat_dim, 1, hidden, 2, nn.ELU,
                             seed=stream_seed(seed, "cont_head"))

    # --- the latent dynamics -------------------------------------------------
    def initial(self, batch: int) -> State:
        """The all-zero state before the first frame."""
        z = torch.zeros(batch, self.stoch_dim)
        return State(torch.zeros(batch, self.deter_dim), z, z, torch.ones_like(z))

    def _stats(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        mean, pre = x.chunk(2, -1)
        return mean, F.softplus(pre) + self.min_std

    def _sample(self, mean, std, gen: torch.Generator | None):
        return mean + std * torch.randn(mean.shape, generator=gen)

    def img_step(self, state: State, action: torch.Tensor,
                 gen: torch.Generator | None = None) -> State:
        """Prior step: ``h_t = f(h_{t-1}, z_{t-1}, a_{t-1})``,
        ``z_t ~ p(z_t | h_t)`` (reparameterised, so differentiable)."""
        x = F.elu(self.inp(torch.cat([state.stoch, action], -1)))
        if self.deterministic_path:
            h = self.cell(x, state.deter)
        else:
            h = F.elu(self.cell(x))
        mean, std = self._stats(self.prior_net(h))
        return State(h, self._sample(mean, std, gen), mean, std)

    def obs_step(self, state: State, action: torch.Tensor, embed: torch.Tensor,
                 gen: torch.Generator | None = None) -> tuple[State, State]:
        """Prior and posterior at ``t`` given ``a_{t-1}`` and the encoded frame
        ``e_t``: ``z_t ~ q(z_t | h_t, e_t)``; returns ``(posterior, prior)``."""
        prior = self.img_step(state, action, gen)
        mean, std = self._stats(self.post_net(torch.cat([prior.deter, embed], -1)))
        return State(prior.deter, self._sample(mean, std, gen), mean, std), prior

    def observe(self, frames: torch.Tensor, actions: torch.Tensor,
                gen: torch.Generator | None = None,
                state: State | None = None) -> tuple[State, State]:
        """Filter a batch of sequences: ``frames [B, T, S, S]`` and ``actions
        [B, T, A]`` where ``actions[:, t]`` is the action *before* frame ``t``
        (zero for the first frame of an episode).  Returns the posterior and
        prior states, each field ``[B, T, dim]``."""
        if frames.ndim != 4 or actions.shape[:2] != frames.shape[:2]:
            raise ValueError(f"need frames [B, T, S, S] and actions [B, T, A], got "
                             f"{tuple(frames.shape)} and {tuple(actions.shape)}")
        embed = self.encoder(frames)
        state = self.initial(frames.shape[0]) if state is None else state
        posts, priors = [], []
        for t in range(frames.shape[1]):
            state, prior = self.obs_step(state, actions[:, t], embed[:, t], gen)
            posts.append(state)
            priors.append(prior)
        stack = lambda xs: State(*(torch.stack(f, 1) for f in zip(*xs, strict=True)))  # noqa: E731
        return stack(posts), stack(priors)

    def feature(self, state: State) -> torch.Tensor:
        """What the heads read: ``[h, z]`` (``z`` alone without the
        deterministic path)."""
        if self.deterministic_path:
            return torch.cat([state.deter, state.stoch], -1)
        return state.stoch

    def reward(self, state: State) -> torch.Tensor:
        """Predicted reward of the step that *led to* ``state``."""
        return self.reward_head(self.feature(state)).squeeze(-1)

    def cont_prob(self, state: State) -> torch.Tensor:
        """Predicted probability that the episode goes on after ``state``."""
        return torch.sigmoid(self.cont_head(self.feature(state)).squeeze(-1))


class WorldModelLoss(NamedTuple):
    total: torch.Tensor
    image: torch.Tensor   # -log p(o | s) per frame (summed pixels, no constant)
    reward: torch.Tensor  # -log p(r | s) per step (unit variance)
    cont: torch.Tensor    # binary cross-entropy of the continuation flag
    kl: torch.Tensor      # mean KL(q || p) per step (before the free-nats clamp)
    post: State           # the posterior states [B, T, ...] (for imagination)


def world_model_loss(model: RSSM, frames: torch.Tensor, actions: torch.Tensor,
                     rewards: torch.Tensor, conts: torch.Tensor,
                     gen: torch.Generator | None = None, kl_scale: float = 1.0,
                     balance: float = 0.8, free_nats: float = 1.0,
                     frame_std: float = 1.0) -> WorldModelLoss:
    """The RSSM's negative ELBO on a batch of sequences (per step):

    ``E_q[-ln p(o_t|s_t) - ln p(r_t|s_t) - ln p(c_t|s_t)] + β KL_bal(q || p)``.

    ``rewards[:, t]`` and ``conts[:, t]`` belong to the step that led to frame
    ``t`` (so entry 0, before the first frame, is ignored).  The frame's
    likelihood is a Gaussian with std ``frame_std`` per pixel, the reward's
    one with unit std; both drop their constant terms, so the frame term is
    ``Σ_pixels (ô - o)² / (2 frame_std²)``.
    """
    if frame_std <= 0:
        raise ValueError(f"frame_std must be positive, got {frame_std}")
    post, prior = model.observe(frames, actions, gen)
    feat = model.feature(post)
    image = (0.5 / frame_std**2) * (model.decoder(feat)
                                    - frames).square().sum((-2, -1)).mean()
    reward = 0.5 * (model.reward_head(feat[:, 1:]).squeeze(-1)
                    - rewards[:, 1:]).square().mean()
    cont = F.binary_cross_entropy_with_logits(
        model.cont_head(feat[:, 1:]).squeeze(-1), conts[:, 1:])
    kl, kl_value = kl_loss(post.mean, post.std, prior.mean, prior.std,
                           balance, free_nats)
    total = image + reward + cont + kl_scale * kl
    return WorldModelLoss(total, image.detach(), reward.detach(), cont.detach(),
                          kl_value.mean(), post)


def overshooting_loss(model: RSSM, post: State, actions: torch.Tensor,
                      rewards: torch.Tensor, depth: int,
                      gen: torch.Generator | None = None) -> torch.Tensor:
    """Latent overshooting {hafner2019planet}: the prior rolled open-loop.

    The ELBO trains the prior one step at a time: each prior step starts from
    a posterior that has just seen a frame.  A prior that ignores the action
    loses little there when one action barely moves the next frame (on a
    16 x 16 pendulum, one decision's torque moves the rod by well under a
    pixel), yet imagination rolls the prior ``H`` steps with no frame at all.
    This loss starts the prior at every posterior state ``s_t`` of the batch,
    rolls it ``d = 1 .. depth`` steps with the real actions
    ``a_{t+1} .. a_{t+d}`` and, for ``d >= 2``, charges
    ``KL(sg(q(z_{t+d})) || p_d)`` (the open-loop prior towards the filtered
    posterior, which is held fixed) plus the reward head's squared error at the
    open-loop state.  Averaged over starts and over ``d = 2 .. depth``.

    ``post`` holds the posterior states ``[B, T, ...]`` of
    :func:`world_model_loss`, ``actions [B, T, A]`` and ``rewards [B, T]``
    the sequence's (``actions[:, t]`` and ``rewards[:, t]`` led to frame
    ``t``); needs ``2 <= depth < T``.  ``gen`` draws the prior's samples.
    """
    T = actions.shape[1]
    if not isinstance(depth, int) or not 2 <= depth < T:
        raise ValueError(f"depth must be an int in [2, {T - 1}] for sequences of "
                         f"{T} steps, got {depth!r}")
    if post.deter.shape[:2] != actions.shape[:2] or rewards.shape != actions.shape[:2]:
        raise ValueError(f"post, actions [B, T, A] and rewards [B, T] must share "
                         f"B and T; got {tuple(post.deter.shape)}, "
                         f"{tuple(actions.shape)}, {tuple(rewards.shape)}")
    n = T - depth  # starts t = 0 .. T - depth - 1 can all roll depth steps

    def flat(x: torch.Tensor, k: int) -> torch.Tensor:
        return x[:, k:k + n].reshape(-1, *x.shape[2:])

    state = State(*(flat(f, 0) for f in post))
    kls, rews = [], []
    for d in range(1, depth + 1):
        state = model.img_step(state, flat(actions, d), gen)
        if d >= 2:
            kls.append(gaussian_kl(flat(post.mean, d).detach(),
                                   flat(post.std, d).detach(),
                                   state.mean, state.std).mean())
            rews.append(0.5 * (model.reward(state) - flat(rewards, d)).square().mean())
    return torch.stack(kls).mean() + torch.stack(rews).mean()

