"""A deterministic latent dynamics model learned from pixels (chapter 5.7).

Three networks, trained together on pairs of frames ``o_t`` (see
:func:`~mbrl_lessons.envs.pixel_pendulum.stack_frames`):

    z_t = enc(o_t),    z_{t+1} = f(z_t, a_t) = z_t + g([z_t, a_t]),
    o_hat_t = dec(z_t).

The loss is the sum of (1) reconstruction, ``dec(enc(o_t)) ~ o_t``;
(2) prediction, ``dec(f^k(z_t, a_{t:t+k})) ~ o_{t+k}`` for ``k = 1 .. unroll``;
(3) latent consistency, ``||f^k(z_t, a_{t:t+k}) - enc(o_{t+k})||^2``.
(1) makes ``z`` keep what is needed to redraw the image, (2) makes the latent
transition useful for forecasting, (3) makes a predicted latent land where the
encoder would put the real next observation, so rollouts stay on the
encoder's manifold.  It is the deterministic core of the World Models
{ha2018worldmodels} / PlaNet {hafner2019planet} recipe (both add noise: a VAE
or a stochastic state), close to E2C {watter2015e2c} without its local-linear
transition.  Images are compared with binary cross-entropy: the rod covers a
few per cent of the pixels, so a squared error charges little for a blank
guess, while cross-entropy charges without bound for a dark pixel on the rod.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from mbrl_lessons.core.nets import mlp
from mbrl_lessons.core.progress import tqdm
from mbrl_lessons.core.seeding import stream_seed, torch_generator
from mbrl_lessons.envs.pendulum import MAX_TORQUE
from mbrl_lessons.envs.pixel_pendulum import PixelPendulumData, stack_frames


@dataclass(frozen=True)
class LatentConfig:
    """Sizes and training settings of :class:`LatentModel` (pixel pendulum)."""

    image_size: int = 24
    """Side of the square frames; an observation is ``[2, size, size]``."""
    latent_dim: int = 6
    """Size of ``z``.  The true state needs 3 numbers (cos, sin, velocity);
    a little slack makes the optimisation easier."""
    hidden: int = 128
    """Width of the two hidden layers of the encoder and the decoder."""
    trans_hidden: int = 128
    """Width of the two hidden layers of the latent transition ``g``."""
    unroll: int = 4
    """Steps the transition is unrolled during training (chapter 5.6:
    training on multi-step predictions slows the drift of long rollouts)."""
    n_steps: int = 5000
    """Adam steps, one minibatch of windows each (about a minute on a CPU)."""
    batch_size: int = 64
    """Windows of ``unroll + 1`` observations per step."""
    lr: float = 1e-3
    """Adam learning rate."""
    pred_weight: float = 1.0
    """Weight of the decoded-prediction loss (2)."""
    consistency_weight: float = 1.0
    """Weight of the latent consistency loss (3)."""
    stop_gradient: bool = True
    """Treat ``enc(o_{t+k})`` in (3) as a fixed target, so that (3) trains the
    transition only.  Without it (3) also pulls on the encoder, which can make
    the gap small by shrinking the latent scale rather than by predicting
    better (compare both: an exercise of chapter 5.7)."""
    seed: int = 0
    """Fixes the initial weights and the minibatch order (each network's
    weights and the minibatches draw from their own named stream of it)."""


class LatentModel(nn.Module):
    """MLP encoder ``[B, 2, S, S] -> [B, Z]``, residual transition
    ``([B, Z], [B, 1]) -> [B, Z]`` and MLP decoder ``[B, Z] -> [B, 2, S, S]``."""

    def __init__(self, cfg: LatentConfig = LatentConfig()) -> None:
        super().__init__()
        self.cfg = cfg
        pixels, z = 2 * cfg.image_size**2, cfg.latent_dim
        self.encoder = mlp(pixels, z, cfg.hidden, 2, nn.ELU,
                           seed=stream_seed(cfg.seed, "encoder"))
        self.decoder = mlp(z, pixels, cfg.hidden, 2, nn.ELU,
                           seed=stream_seed(cfg.seed, "decoder"))
        self.transition = mlp(z + 1, z, cfg.trans_hidden, 2, nn.ELU,
                              seed=stream_seed(cfg.seed, "transition"))
        with torch.no_grad():  # start as "nothing moves": f(z, a) = z
            self.transition[-1].weight.zero_()
            self.transition[-1].bias.zero_()

    def encode(self, obs: torch.Tensor) -> torch.Tensor:
        """``[..., 2, S, S] -> [..., Z]``."""
        s = self.cfg.image_size
        if obs.ndim < 3 or tuple(obs.shape[-3:]) != (2, s, s):
            raise ValueError(f"obs must be [..., 2, {s}, {s}] (two stacked frames), "
                             f"got {tuple(obs.shape)}")
        return self.encoder(obs.flatten(-3))

    def decode_logits(self, z: torch.Tensor) -> torch.Tensor:
        """``[..., Z] -> [..., 2, S, S]`` pixel logits."""
        return self.decoder(z).unflatten(-1, (2, *[self.cfg.image_size] * 2))

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """``[..., Z] -> [..., 2, S, S]`` pixel intensities in ``[0, 1]``."""
        return torch.sigmoid(self.decode_logits(z))

    def step(self, z: torch.Tensor, act: torch.Tensor) -> torch.Tensor:
        """``z_{t+1} = z_t + g([z_t, a_t / 2])``; ``[B, Z], [B, 1] -> [B, Z]``."""
        if act.shape[-1] != 1 or act.shape[:-1] != z.shape[:-1]:
            raise ValueError(f"act must be [B, 1] next to z {tuple(z.shape)}, got "
                             f"{tuple(act.shape)}")
        return z + self.transition(torch.cat([z, act / MAX_TORQUE], -1))


class LatentLosses(NamedTuple):
    reconstruction: torch.Tensor  # (1) BCE per observation of dec(enc(o_t))
    prediction: torch.Tensor      # (2) the same for the decoded k-step latents
    consistency: torch.Tensor     # (3) squared latent gap, averaged over k

    def total(self, cfg: LatentConfig) -> torch.Tensor:
        return (self.reconstruction + cfg.pred_weight * self.prediction
                + cfg.consistency_weight * self.consistency)


def _bce(logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Binary cross-entropy summed over an observation's pixels, averaged over
    the batch: a log-likelihood per image, so it weighs against the latent
    gap of (3) the same whatever the image size."""
    bce = F.binary_cross_entropy_with_logits(logits, target, reduction="none")
    return bce.flatten(-3).sum(-1).mean()


def latent_losses(model: LatentModel, obs: torch.Tensor, act: torch.Tensor,
                  stop_gradient: bool = True) -> LatentLosses:
    """The three losses on windows ``obs [B, K+1, 2, S, S]``, ``act [B, K, 1]``
    (``act[:, k]`` leads from ``obs[:, k]`` to ``obs[:, k+1]``)."""
    if obs.ndim != 5 or act.ndim != 3 or obs.shape[1] != act.shape[1] + 1:
        raise ValueError(f"need obs [B, K+1, 2, S, S] and act [B, K, 1], got "
                         f"{tuple(obs.shape)} and {tuple(act.shape)}")
    z_hat = model.encode(obs[:, 0])                                  # [B, Z]
    rec = _bce(model.decode_logits(z_hat), obs[:, 0])
    # the targets of (3); with the stop-gradient no backward pass is needed
    with torch.set_grad_enabled(torch.is_grad_enabled() and not stop_gradient):
        target = model.encode(obs[:, 1:])                            # [B, K, Z]
    pred, cons = 0.0, 0.0
    for k in range(act.shape[1]):
        z_hat = model.step(z_hat, act[:, k])
        pred = pred + _bce(model.decode_logits(z_hat), obs[:, k + 1])
        cons = cons + (z_hat - target[:, k]).square().sum(-1).mean()
    return LatentLosses(rec, pred / act.shape[1], cons / act.shape[1])


class LatentTrainResult(NamedTuple):
    model: LatentModel
    losses: np.ndarray  # [n_steps, 3] reconstruction, prediction, consistency
    seconds: float


def pixel_transitions(data: PixelPendulumData) -> tuple[torch.Tensor, torch.Tensor]:
    """Observations ``[N, T, 2, S, S]`` (frames ``t, t+1``) and the actions
    ``[N, T-1, 1]`` between them: the torque after frame ``t+1`` is the one that
    leads from ``obs[:, t]`` to ``obs[:, t+1]``."""
    return stack_frames(data.frames), data.actions[:, 1:]


def train_latent(data: PixelPendulumData, cfg: LatentConfig = LatentConfig(),
                 progress: bool = True) -> LatentTrainResult:
    """Fit :class:`LatentModel` on random windows of ``data`` (Adam, the sum of
    the three losses).  Same data and config, same weights."""
    obs, act = pixel_transitions(data)
    if obs.shape[-1] != cfg.image_size:
        raise ValueError(f"frames are {obs.shape[-1]} pixels wide but "
                         f"cfg.image_size = {cfg.image_size}")
    N, T = obs.shape[:2]
    if T < cfg.unroll + 1:
        raise ValueError(f"episodes of {T} observations are too short for "
                         f"unroll = {cfg.unroll}")
    t0 = time.perf_counter()
    model = LatentModel(cfg)
    with torch.no_grad():  # start the decoder at the mean image, not mid-grey
        mean = obs.mean((0, 1)).flatten().clamp(1e-3, 1 - 1e-3)
        model.decoder[-1].bias.copy_(torch.logit(mean))
    opt = torch.optim.Adam(model.parameters(), lr=cfg.lr)
    gen = torch_generator(stream_seed(cfg.seed, "minibatches"))
    offsets = torch.arange(cfg.unroll + 1)
    history = []
    bar = tqdm(range(cfg.n_steps), desc="latent model", disable=not progress,
               leave=False)
    for _ in bar:
        ep = torch.randint(N, (cfg.batch_size,), generator=gen)
        start = torch.randint(T - cfg.unroll, (cfg.batch_size,), generator=gen)
        t = start[:, None] + offsets                                  # [B, K+1]
        losses = latent_losses(model, obs[ep[:, None], t], act[ep[:, None], t[:, :-1]],
                               cfg.stop_gradient)
        opt.zero_grad()
        losses.total(cfg).backward()
        opt.step()
        history.append([x.item() for x in losses])
        if len(history) % 100 == 0:
            bar.set_postfix(rec=f"{history[-1][0]:.4f}", pred=f"{history[-1][1]:.4f}")
    model.eval()
    return LatentTrainResult(model, np.array(history), time.perf_counter() - t0)


class LatentRollout(NamedTuple):
    latents: torch.Tensor  # [B, K+1, Z]: z_0 = enc(o_0), then f applied k times
    frames: torch.Tensor   # [B, K+1, S, S]: newest frame of each decoded pair


@torch.no_grad()
def rollout(model: LatentModel, obs0: torch.Tensor, actions: torch.Tensor,
            through_pixels: bool = False) -> LatentRollout:
    """Encode once, step ``K`` times in latent space, decode every step.

    ``obs0 [B, 2, S, S]`` (or ``[2, S, S]``), ``actions [B, K, 1]``.  By default
    no image is fed back: the forecast lives in the ``Z``-dimensional space.
    ``through_pixels=True`` closes the loop through the images instead
    (``z <- enc(dec(f(z, a)))`` at every step), as a model that predicts
    observations and reads its own predictions back would.
    """
    if actions.ndim != 3 or actions.shape[-1] != 1:
        raise ValueError(f"actions must be [B, K, 1], got {tuple(actions.shape)}")
    z = model.encode(obs0).expand(actions.shape[0], -1)  # [Z] or [B, Z] -> [B, Z]
    latents = [z]
    for k in range(actions.shape[1]):
        z = model.step(z, actions[:, k])
        if through_pixels:
            z = model.encode(model.decode(z))
        latents.append(z)
    zs = torch.stack(latents, 1)
    return LatentRollout(zs, model.decode(zs)[:, :, 1])


def linear_probe_r2(z_fit: np.ndarray, y_fit: np.ndarray, z_test: np.ndarray,
                    y_test: np.ndarray) -> float:
    """R^2 on held-out data of a least-squares map ``[z, 1] -> y``.

    ``z [N, Z]``, ``y [N, D]``; R^2 = 1 - SS_res / SS_tot, pooled over the
    ``D`` outputs.  Near 1: ``y`` is (almost) a linear function of ``z``.
    """
    z_fit, y_fit, z_test, y_test = (np.asarray(a, dtype=np.float64)
                                    for a in (z_fit, y_fit, z_test, y_test))
    if z_fit.ndim != 2 or y_fit.ndim != 2 or len(z_fit) != len(y_fit):
        raise ValueError(f"need z [N, Z] and y [N, D] with equal N, got "
                         f"{z_fit.shape} and {y_fit.shape}")
    if len(z_fit) <= z_fit.shape[1] + 1:
        raise ValueError(f"{len(z_fit)} points cannot fit a {z_fit.shape[1]}-d probe")
    design = np.c_[z_fit, np.ones(len(z_fit))]
    w, *_ = np.linalg.lstsq(design, y_fit, rcond=None)
    res = y_test - np.c_[z_test, np.ones(len(z_test))] @ w
    return float(1 - (res**2).sum() / ((y_test - y_test.mean(0)) ** 2).sum())
