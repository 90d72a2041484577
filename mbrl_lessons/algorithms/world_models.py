"""World Models: a controller trained entirely inside a learned model (chapter 7.1).

Ha and Schmidhuber {ha2018worldmodels} split the agent in three:

- **V** compresses an observation into a code ``z`` (a VAE over frames in the
  paper).  Here the task is ``Pendulum-v1`` seen through its state vector, so
  V is the identity (:func:`encode_state`); the encoder of chapter 5.7's
  pixel model would fill the same slot.
- **M** is a stochastic model of the next code, a mixture density network
  (MDN) ``p(z' | z, a) = sum_k pi_k N(z'; mu_k, sigma_k^2)``
  (:class:`~mbrl_lessons.models.mdn.MDN`).
  It is sampled with a temperature ``tau``: mixture logits divided by
  ``tau``, standard deviations multiplied by ``sqrt(tau)``
  (:func:`~mbrl_lessons.models.mdn.mdn_sample`).  Small ``tau`` makes the
  dream nearly deterministic.
- **C** is a tiny tanh network ``a = 2 tanh(W2 tanh(W1 z + b1) + b2)`` with
  under a hundred weights, found by CMA-ES {hansen2016cma} (the ``cma``
  package) from returns of rollouts *inside M* (:func:`dream_returns`),
  evaluated for a whole CMA-ES population at once in torch.

The reward is the task's known reward computed on the dreamed code (V is the
identity, so the code is a state).  "The real environment" is the exact
batched pendulum of :mod:`mbrl_lessons.envs.pendulum` (it matches
gymnasium's ``Pendulum-v1`` step for step), started from gymnasium's reset
distribution.  :func:`train` collects random-policy data, fits M, runs CMA-ES
in the dream and, for ``n_rounds > 1``, adds rollouts of the current
controller to the data and repeats (the paper needed such rounds for its
harder task).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import NamedTuple, Protocol

import cma
import numpy as np
import torch

from mbrl_lessons.core.progress import tqdm
from mbrl_lessons.core.seeding import make_rng, torch_generator
from mbrl_lessons.envs.pendulum import MAX_TORQUE, pendulum_reward, pendulum_step
from mbrl_lessons.envs.rewards import env_id_of
from mbrl_lessons.models.mdn import (  # noqa: F401  (MixtureParams, mdn_sample re-exported)
    MDN,
    MixtureParams,
    fit_mdn,
    mdn_sample,
)

OBS_DIM = 3


def encode_state(obs: torch.Tensor) -> torch.Tensor:
    """V for a state-vector task: the identity, ``[..., 3] -> [..., 3]``."""
    if obs.shape[-1] != OBS_DIM:
        raise ValueError(f"obs must be [..., {OBS_DIM}], got {tuple(obs.shape)}")
    return obs


# ----------------------------------------------------------------------------- M
# M is the mixture density network of models/mdn.py; C is trained in anything
# with its ``sample_next``.

class DreamModel(Protocol):
    """Anything C can be trained in: ``sample_next(z, act, tau, gen) -> z'``."""

    def sample_next(self, z: torch.Tensor, act: torch.Tensor, tau: float,
                    gen: torch.Generator) -> torch.Tensor: ...


class TruePendulumDream:
    """The real pendulum behind the :class:`DreamModel` interface (ignores
    ``tau``): the ceiling a perfect M would give, and a test fixture."""

    def sample_next(self, z, act, tau, gen):
        return pendulum_step(z, act)


# ----------------------------------------------------------------------------- C
def n_controller_params(code_dim: int = OBS_DIM, hidden: int = 16) -> int:
    """Weights of C: ``hidden * (code_dim + 2) + 1``."""
    return hidden * (code_dim + 2) + 1


def controller_act(theta: torch.Tensor, z: torch.Tensor, hidden: int = 16
                   ) -> torch.Tensor:
    """C for a whole population at once: ``theta [P, n]``, ``z [P, N, D]`` ->
    torques ``[P, N, 1]`` in ``[-2, 2]``.  The velocity is divided by the
    pendulum's top speed so that every input is of order one."""
    P, D = theta.shape[0], z.shape[-1]
    if theta.ndim != 2 or theta.shape[1] != n_controller_params(D, hidden):
        raise ValueError(f"theta must be [P, {n_controller_params(D, hidden)}], got "
                         f"{tuple(theta.shape)}")
    if z.ndim != 3 or z.shape[0] != P:
        raise ValueError(f"z must be [P={P}, N, D], got {tuple(z.shape)}")
    w1 = theta[:, :hidden * D].view(P, hidden, D)
    b1 = theta[:, hidden * D:hidden * (D + 1)]
    w2 = theta[:, hidden * (D + 1):hidden * (D + 2)]
    b2 = theta[:, -1:]
    x = z * torch.tensor([1.0] * (D - 1) + [1 / 8.0])
    h = torch.tanh(torch.einsum("phd,pnd->pnh", w1, x) + b1[:, None])
    return MAX_TORQUE * torch.tanh(torch.einsum("ph,pnh->pn", w2, h) + b2)[..., None]


@torch.no_grad()
def dream_returns(model: DreamModel, theta: torch.Tensor, z0: torch.Tensor,
                  horizon: int, tau: float, gen: torch.Generator,
                  hidden: int = 16) -> torch.Tensor:
    """Mean return ``[P]`` of each controller over rollouts from the codes
    ``z0 [N, D]`` inside ``model`` (the known reward on the dreamed codes).
    All ``P x N`` dreams advance together; every controller meets the same
    starts (common random numbers make the ranking less noisy)."""
    P, (N, D) = theta.shape[0], z0.shape
    z = z0.expand(P, N, D).reshape(P * N, D)
    total = torch.zeros(P * N)
    for _ in range(horizon):
        a = controller_act(theta, z.view(P, N, D), hidden).reshape(P * N, 1)
        next_z = model.sample_next(z, a, tau, gen)
        total += pendulum_reward(z, a, next_z)
        z = next_z
    return total.view(P, N).mean(1)


@torch.no_grad()
def rollout_angles(model: DreamModel, theta: np.ndarray | torch.Tensor,
                   z0: torch.Tensor, horizon: int, tau: float,
                   gen: torch.Generator | None, hidden: int = 16) -> torch.Tensor:
    """Angles ``[N, horizon + 1]`` of one controller ``theta [n]`` run from
    ``z0 [N, 3]`` inside ``model`` (pass :class:`TruePendulumDream` for reality);
    read from the code as ``atan2(sin, cos)``, for plots."""
    th = torch.as_tensor(theta, dtype=torch.float32)[None]
    z, angles = z0, [torch.atan2(z0[:, 1], z0[:, 0])]
    for _ in range(horizon):
        z = model.sample_next(z, controller_act(th, z[None], hidden)[0], tau, gen)
        angles.append(torch.atan2(z[:, 1], z[:, 0]))
    return torch.stack(angles, 1)


def random_returns(starts: torch.Tensor, gen: torch.Generator, horizon: int = 200
                   ) -> float:
    """Mean real return of uniformly random torques from ``starts [N, 3]``."""
    s, total = starts, torch.zeros(len(starts))
    for _ in range(horizon):
        a = (2 * torch.rand(len(s), 1, generator=gen) - 1) * MAX_TORQUE
        next_s = pendulum_step(s, a)
        total += pendulum_reward(s, a, next_s)
        s = next_s
    return total.mean().item()


def real_returns(theta: torch.Tensor, starts: torch.Tensor, horizon: int = 200,
                 hidden: int = 16) -> torch.Tensor:
    """Mean return ``[P]`` in the real pendulum from ``starts [N, 3]``."""
    return dream_returns(TruePendulumDream(), theta, starts, horizon, 0.0, None, hidden)


def reset_states(n: int, gen: torch.Generator, max_angle: float = math.pi,
                 max_speed: float = 1.0) -> torch.Tensor:
    """``n`` start states ``[n, 3]``, gymnasium's reset by default (angle
    uniform in ``[-pi, pi]``, speed uniform in ``[-1, 1]``)."""
    th = (2 * torch.rand(n, generator=gen) - 1) * max_angle
    thdot = (2 * torch.rand(n, generator=gen) - 1) * max_speed
    return torch.stack([th.cos(), th.sin(), thdot], -1)


# ------------------------------------------------------------------------ train
@dataclass(frozen=True)
class WorldModelsConfig:
    """Settings of :func:`train` (defaults: Pendulum-v1 swing-up, about a CPU
    minute)."""

    n_random_episodes: int = 40
    """Random-policy episodes collected first (uniform torques), as the paper."""
    episode_len: int = 200
    """Steps per episode, real and dreamed (Pendulum-v1's time limit)."""
    max_angle: float = math.pi
    """Starts have ``|theta| <= max_angle``: pi is gymnasium's reset."""
    n_mixtures: int = 5
    """Gaussians in M's mixture (the paper used 5)."""
    mdn_hidden: int = 64
    """Width of M's two hidden layers."""
    mdn_steps: int = 2000
    """Adam steps per fit of M."""
    tau: float = 1.0
    """Temperature of the dream (see :func:`mdn_sample`)."""
    ctrl_hidden: int = 16
    """Hidden units of C (81 weights on the 3-d code)."""
    popsize: int = 24
    """CMA-ES population."""
    generations: int = 120
    """CMA-ES generations per round."""
    sigma0: float = 1.0
    """CMA-ES initial step size."""
    dream_starts: int = 16
    """Dreams per candidate per generation (fresh starts each generation)."""
    eval_every: int = 5
    """Every this many generations, score the CMA-ES mean in dream and reality."""
    n_eval: int = 64
    """Episodes behind each of those scores (fixed starts)."""
    n_rounds: int = 1
    """1 = random data only; each further round adds controller rollouts."""
    round_episodes: int = 20
    """Real episodes of the current controller added per extra round."""
    explore_noise: float = 0.3
    """Std of the Gaussian torque noise added while collecting those."""
    shuffle_actions: bool = False
    """Break M on purpose: fit it on actions shuffled across transitions."""
    seed: int = 0
    """Fixes data, M's weights, CMA-ES and every dream."""

    def __post_init__(self) -> None:
        for name in ("n_rounds", "n_random_episodes", "generations", "episode_len",
                     "popsize", "dream_starts", "eval_every", "n_eval"):
            if not isinstance(getattr(self, name), int) or getattr(self, name) < 1:
                raise ValueError(f"WorldModelsConfig.{name} must be an int >= 1, "
                                 f"got {getattr(self, name)!r}")
        if self.tau < 0:
            raise ValueError(f"tau must be >= 0, got {self.tau}")


class Trace(NamedTuple):
    generation: np.ndarray  # [E] generations at which the mean was scored
    dream: np.ndarray       # [E] its return inside M (at the training tau)
    real: np.ndarray        # [E] its return in the real pendulum


class WorldModelsResult(NamedTuple):
    theta: np.ndarray       # [n] final controller (the CMA-ES mean)
    model: MDN              # the last M
    traces: list[Trace]     # one per round
    dream_return: float     # final controller's return inside the last M
    real_return: float      # ... and in the real pendulum
    n_transitions: int      # real data used
    seconds: float


def collect(theta: np.ndarray | None, n_episodes: int, cfg: WorldModelsConfig,
            gen: torch.Generator) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Real transitions ``(obs, act, next_obs)``, each ``[n_episodes * T, .]``:
    uniform random torques if ``theta`` is None, else C plus Gaussian noise."""
    s = reset_states(n_episodes, gen, cfg.max_angle)
    obs, acts, nxt = [], [], []
    for _ in range(cfg.episode_len):
        if theta is None:
            a = (2 * torch.rand(n_episodes, 1, generator=gen) - 1) * MAX_TORQUE
        else:
            th = torch.as_tensor(theta, dtype=torch.float32)[None]
            a = controller_act(th, s[None], cfg.ctrl_hidden)[0]
            a = (a + cfg.explore_noise * torch.randn(a.shape, generator=gen)
                 ).clamp(-MAX_TORQUE, MAX_TORQUE)
        s2 = pendulum_step(s, a)
        obs.append(s)
        acts.append(a)
        nxt.append(s2)
        s = s2
    return torch.cat(obs), torch.cat(acts), torch.cat(nxt)


def cma_in_dream(model: DreamModel, start_pool: torch.Tensor, cfg: WorldModelsConfig,
                 x0: np.ndarray | None = None, progress: bool = True
                 ) -> tuple[np.ndarray, Trace]:
    """CMA-ES on C's weights, scored by :func:`dream_returns` only.

    Each generation draws ``cfg.dream_starts`` start codes from
    ``start_pool [M, D]`` (encoded real first observations).  Every
    ``cfg.eval_every`` generations the distribution mean is scored inside
    the model and in the real pendulum from the SAME fixed fresh reset
    states, so that dream minus real measures the model, not two different
    samples of start states; the real score is recorded, never used.
    Returns the final mean and that :class:`Trace`.
    """
    n = n_controller_params(start_pool.shape[1], cfg.ctrl_hidden)
    rng = make_rng(cfg.seed)
    x0 = np.zeros(n) if x0 is None else np.asarray(x0, dtype=float)
    es = cma.CMAEvolutionStrategy(x0, cfg.sigma0, {
        "popsize": cfg.popsize, "seed": np.nan, "verbose": -9,
        # cma's own draws go through our Generator, not numpy's global state
        "randn": lambda *shape: rng.standard_normal(shape)})
    gen = torch_generator(cfg.seed + 1)
    eval_gen = torch_generator(cfg.seed + 2)
    # this draw is no longer used (the dream was once scored from training
    # starts, which made dream minus real mix model error with the difference
    # between two start samples); it is kept so that the real starts below,
    # and so every committed real return, stay the same
    torch.randint(len(start_pool), (cfg.n_eval,), generator=eval_gen)
    eval_real = reset_states(cfg.n_eval, eval_gen, cfg.max_angle)
    eval_dream = encode_state(eval_real)
    rows = []

    def score(g: int) -> None:
        th = torch.as_tensor(es.mean, dtype=torch.float32)[None]
        d = dream_returns(model, th, eval_dream, cfg.episode_len, cfg.tau,
                          torch_generator(cfg.seed + 3), cfg.ctrl_hidden)
        r = real_returns(th, eval_real, cfg.episode_len, cfg.ctrl_hidden)
        rows.append((g, d.item(), r.item()))

    score(0)
    for g in tqdm(range(1, cfg.generations + 1), desc=f"CMA-ES in dream tau={cfg.tau}",
                  leave=False, disable=not progress):
        xs = es.ask()
        z0 = start_pool[torch.randint(len(start_pool), (cfg.dream_starts,),
                                      generator=gen)]
        ret = dream_returns(model, torch.as_tensor(np.array(xs), dtype=torch.float32),
                            z0, cfg.episode_len, cfg.tau, gen, cfg.ctrl_hidden)
        es.tell(xs, (-ret).tolist())  # cma minimises
        if g % cfg.eval_every == 0 or g == cfg.generations:
            score(g)
    g, d, r = (np.array(c) for c in zip(*rows, strict=True))
    return np.asarray(es.mean, dtype=float), Trace(g, d, r)


SUPPORTED_ENVS = ("Pendulum-v1",)
"""The real environment is simulated in batch with :func:`pendulum_step` (all
starts at once, far faster than stepping gymnasium), so only the pendulum."""


def train(env, cfg: WorldModelsConfig = WorldModelsConfig(), *,
          progress: bool = False) -> WorldModelsResult:
    """The World Models loop on ``env`` (``"Pendulum-v1"`` or that env): random
    data -> V, M -> C in the dream -> reality, repeated ``cfg.n_rounds`` times
    with the controller collecting data."""
    env_id = env_id_of(env)
    if env_id not in SUPPORTED_ENVS:
        raise ValueError(f"World Models here supports {', '.join(SUPPORTED_ENVS)} "
                         f"(a batched torch simulator), got {env_id!r}")
    t0 = time.perf_counter()
    gen = torch_generator(cfg.seed)
    obs, act, nxt = collect(None, cfg.n_random_episodes, cfg, gen)
    starts = obs.view(cfg.episode_len, -1, OBS_DIM)[0]  # first obs of each episode
    theta, traces = None, []
    for rnd in range(cfg.n_rounds):
        if rnd > 0:
            o, a, n2 = collect(theta, cfg.round_episodes, cfg, gen)
            obs, act = torch.cat([obs, o]), torch.cat([act, a])
            nxt = torch.cat([nxt, n2])
            starts = torch.cat([starts, o.view(cfg.episode_len, -1, OBS_DIM)[0]])
        a_fit = act
        if cfg.shuffle_actions:
            a_fit = act[torch.randperm(len(act), generator=torch_generator(cfg.seed))]
        model, _ = fit_mdn(encode_state(obs), a_fit, encode_state(nxt), cfg.n_mixtures,
                           cfg.mdn_hidden, cfg.mdn_steps, seed=cfg.seed + rnd,
                           progress=progress)
        theta, trace = cma_in_dream(model, encode_state(starts), cfg, theta, progress)
        traces.append(trace)
    return WorldModelsResult(theta, model, traces, float(traces[-1].dream[-1]),
                             float(traces[-1].real[-1]), len(obs),
                             time.perf_counter() - t0)
