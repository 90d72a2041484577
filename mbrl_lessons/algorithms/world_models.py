"""World Models from pixels: a controller trained entirely inside a learned
model (chapter 7.1).

Ha and Schmidhuber {ha2018worldmodels} split the agent in three:

- **V** compresses a frame into a code ``z``: a convolutional VAE
  (:class:`~mbrl_lessons.models.vae.ConvVAE`, trained on the negative ELBO of
  :func:`~mbrl_lessons.models.vae.vae_loss`).  M and C see the posterior mean.
- **M** is an MDN-RNN (:class:`~mbrl_lessons.models.mdn.MDNRNN`): an LSTM
  reads ``(z_t, a_t)``; a mixture head on its hidden state ``h_{t+1}`` gives
  ``p(z_{t+1} | ...) = sum_k pi_k N(mu_k, diag sigma_k^2)`` and the reward.
  It is sampled at a temperature ``tau`` (mixture logits divided by ``tau``,
  standard deviations multiplied by ``sqrt(tau)``,
  :func:`~mbrl_lessons.models.mdn.mdn_sample`).
- **C** is linear: ``a = 2 tanh(W [z, h] + b)``, ``D + H + 1`` weights, found
  by CMA-ES {hansen2016cma} (the ``cma`` package) from returns of rollouts
  inside M (:func:`rollout_returns` on a :class:`Dream`), a whole CMA-ES
  population at once in torch.

The task is the pendulum seen through chapter 5.7's camera
(:class:`~mbrl_lessons.envs.pixel_pendulum.PixelPendulum`: 24 x 24 grey
frames, Pendulum-v1's dynamics, reward and reset), optionally with rare random
velocity kicks (``mbrl_lessons/PixelPendulumKicks-v0``), the stochastic
events that a too-cold dream leaves out.  "Reality" is the batched twin
:class:`~mbrl_lessons.envs.pixel_pendulum.PixelPendulumBatch` behind the same
interface as the dream (:class:`Reality`), so a dream and a real episode run
through one loop; :class:`WorldModelsAgent` runs the trained V, M and C in
the gymnasium env, one frame at a time.  :func:`train` collects
random-policy episodes, fits V then M, and runs CMA-ES in the dream; the real
return of the CMA-ES mean is recorded every few generations, never used.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import NamedTuple, Protocol

import cma
import numpy as np
import torch

from mbrl_lessons.core.progress import tqdm
from mbrl_lessons.core.seeding import stream_rng, stream_seed, torch_generator
from mbrl_lessons.envs import as_env
from mbrl_lessons.envs.pendulum import MAX_TORQUE
from mbrl_lessons.envs.pixel_pendulum import PixelPendulum, PixelPendulumBatch
from mbrl_lessons.models.mdn import (  # noqa: F401  (re-exported for the book)
    MDN,
    MDNRNN,
    MixtureParams,
    fit_mdn,
    fit_mdnrnn,
    mdn_sample,
    mixture_nll,
)
from mbrl_lessons.models.vae import ConvVAE, fit_vae, vae_loss  # noqa: F401

SUPPORTED_ENVS = ("mbrl_lessons/PixelPendulum-v0", "mbrl_lessons/PixelPendulumKicks-v0")
"""The real task is stepped in batch (:class:`PixelPendulumBatch`), so only
the pixel pendulum, calm or kicked."""


class RepeatedBatch:
    """A :class:`PixelPendulumBatch` seen by an agent that holds each action
    for ``repeat`` physics steps: ``step`` returns the last frame and the sum
    of the rewards (kicks are still drawn every physics step)."""

    def __init__(self, env: PixelPendulumBatch, repeat: int) -> None:
        self.env, self.repeat = env, repeat

    @property
    def states(self) -> torch.Tensor:
        return self.env.states

    def reset(self, *args, **kwargs) -> torch.Tensor:
        return self.env.reset(*args, **kwargs)

    def step(self, act: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        total = 0.0
        for _ in range(self.repeat):
            frames, r = self.env.step(act)
            total = total + r
        return frames, total


class Task(NamedTuple):
    """What :func:`train` needs to know about the pixel pendulum it is given,
    and how often the agent acts (every ``action_repeat`` physics steps)."""

    size: int
    kick_prob: float
    kick_size: float
    action_repeat: int = 1

    def batch(self, gen: torch.Generator) -> RepeatedBatch:
        return RepeatedBatch(PixelPendulumBatch(gen, self.size, self.kick_prob,
                                                self.kick_size), self.action_repeat)


def task_of(env, action_repeat: int = 1) -> Task:
    """The :class:`Task` of a pixel-pendulum env or id; a clear error otherwise."""
    e = as_env(env) if isinstance(env, str) else env
    inner = getattr(e, "unwrapped", e)
    if not isinstance(inner, PixelPendulum):
        name = env if isinstance(env, str) else type(inner).__name__
        raise ValueError(f"World Models here runs on the pixel pendulum "
                         f"({', '.join(SUPPORTED_ENVS)}), got {name!r}")
    if not isinstance(action_repeat, int) or action_repeat < 1:
        raise ValueError(f"action_repeat must be an int >= 1, got {action_repeat!r}")
    return Task(inner.size, inner.kick_prob, inner.kick_size, action_repeat)


# ----------------------------------------------------------------------------- C
def n_controller_params(z_dim: int, hidden: int) -> int:
    """Weights of the linear C on ``[z, h]``: ``z_dim + hidden + 1``."""
    return z_dim + hidden + 1


def controller_act(phi: torch.Tensor, zn: torch.Tensor, h: torch.Tensor
                   ) -> torch.Tensor:
    """C for a whole population at once: ``phi [P, D + H + 1]``, normalised
    codes ``zn [P, N, D]`` and LSTM states ``h [P, N, H]`` -> torques
    ``[P, N, 1]`` in ``[-2, 2]``: ``2 tanh(w . [zn, h] + b)``."""
    if zn.ndim != 3 or h.ndim != 3 or zn.shape[:2] != h.shape[:2]:
        raise ValueError(f"zn must be [P, N, D] and h [P, N, H], got "
                         f"{tuple(zn.shape)} and {tuple(h.shape)}")
    P, n = zn.shape[0], n_controller_params(zn.shape[-1], h.shape[-1])
    if phi.ndim != 2 or phi.shape != (P, n):
        raise ValueError(f"phi must be [P={P}, {n}], got {tuple(phi.shape)}")
    x = torch.cat([zn, h], -1)
    return MAX_TORQUE * torch.tanh(torch.einsum("pd,pnd->pn", phi[:, :-1], x)
                                   + phi[:, -1:])[..., None]


# ----------------------------------------------------------------- dream, reality
class World(Protocol):
    """Where C acts: the dream or reality, behind one interface."""

    def reset(self, copies: int) -> torch.Tensor:
        """First codes ``[copies * N, D]`` (each start repeated ``copies`` times)."""

    def step(self, z: torch.Tensor, act: torch.Tensor, params: MixtureParams,
             reward_hat: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Next codes and rewards, given M's prediction for this step."""


class Dream:
    """M's imagination: next code sampled from M's mixture at ``tau``, reward
    from M's reward head; starts from the codes ``z0 [N, D]``."""

    def __init__(self, model: MDNRNN, z0: torch.Tensor, tau: float,
                 gen: torch.Generator) -> None:
        self.model, self.z0, self.tau, self.gen = model, z0, tau, gen

    def reset(self, copies: int) -> torch.Tensor:
        return self.z0.repeat(copies, 1)

    def step(self, z, act, params, reward_hat):
        return self.model.next_code(z, params, self.tau, self.gen), reward_hat


class Reality:
    """The real pixel pendulum: V encodes each real frame; the reward is the
    task's.  Starts from the true states ``starts [N, 3]``; kicks (if any) are
    drawn from ``gen``."""

    def __init__(self, vae: ConvVAE, task: Task, starts: torch.Tensor,
                 gen: torch.Generator) -> None:
        self.vae, self.starts, self.env = vae, starts, task.batch(gen)

    def reset(self, copies: int) -> torch.Tensor:
        return self.vae.code(self.env.reset(states=self.starts.repeat(copies, 1)))

    def step(self, z, act, params, reward_hat):
        frames, reward = self.env.step(act)
        return self.vae.code(frames), reward


@torch.no_grad()
def rollout_returns(phi: torch.Tensor, model: MDNRNN, world: World,
                    horizon: int, record: bool = False):
    """Mean return ``[P]`` of each controller ``phi [P, n]`` over the
    world's starts, all ``P x N`` episodes stepped together (every
    controller meets the same starts: common random numbers).

    Each step: ``a_t = C([z_t, h_t])``; M reads ``(z_t, a_t)`` to give
    ``h_{t+1}`` and its prediction; the world returns ``z_{t+1}`` and
    ``r_t``.  With ``record`` also returns the codes ``[P * N, horizon + 1, D]``.
    """
    P = phi.shape[0]
    z = world.reset(P)
    N = len(z) // P
    h = torch.zeros(len(z), model.H)
    state, total, codes = None, torch.zeros(len(z)), [z]
    for _ in range(horizon):
        zn = (z - model.z_mean) / model.z_std
        a = controller_act(phi, zn.view(P, N, -1), h.view(P, N, -1)).reshape(-1, 1)
        params, r_hat, state = model.step(z, a, state)
        z, r = world.step(z, a, params, r_hat)
        total += r
        h = state[0][0]
        codes.append(z)
    means = total.view(P, N).mean(1)
    return (means, torch.stack(codes, 1)) if record else means


@torch.no_grad()
def random_returns(task: Task, starts: torch.Tensor, gen: torch.Generator,
                   horizon: int = 200) -> float:
    """Mean real return of uniformly random torques (each held for the task's
    ``action_repeat`` steps; ``horizon`` decisions) from ``starts [N, 3]``."""
    env = task.batch(gen)
    env.reset(states=starts)
    total = torch.zeros(len(starts))
    for _ in range(horizon):
        total += env.step((2 * torch.rand(len(starts), 1, generator=gen) - 1)
                          * MAX_TORQUE)[1]
    return total.mean().item()


class WorldModelsAgent:
    """V, M and C as an agent for the gymnasium env: ``reset()`` at the start
    of an episode, then ``act(frame) -> action [1]`` every physics step; C
    decides every ``action_repeat`` steps and the action is held between."""

    def __init__(self, vae: ConvVAE, model: MDNRNN, phi: np.ndarray,
                 action_repeat: int = 1) -> None:
        self.vae, self.model, self.repeat = vae, model, action_repeat
        self.phi = torch.as_tensor(phi, dtype=torch.float32)[None]
        self.reset()

    def reset(self) -> None:
        self.state, self.h = None, torch.zeros(1, self.model.H)
        self.t, self.held = 0, None

    @torch.no_grad()
    def act(self, frame: np.ndarray) -> np.ndarray:
        if self.t % self.repeat == 0:
            z = self.vae.code(torch.as_tensor(frame, dtype=torch.float32)[None])
            zn = (z - self.model.z_mean) / self.model.z_std
            a = controller_act(self.phi, zn[None], self.h[None])[0]
            _, _, self.state = self.model.step(z, a, self.state)
            self.h, self.held = self.state[0][0], a[0].numpy()
        self.t += 1
        return self.held


# ------------------------------------------------------------------------ train
@dataclass(frozen=True)
class WorldModelsConfig:
    """Settings of :func:`train` (defaults: the benchmark's pixel pendulum,
    a few CPU minutes)."""

    n_random_episodes: int = 50
    """Random-policy episodes collected first (uniform torques), as the paper."""
    episode_len: int = 200
    """Steps per episode, real and dreamed (Pendulum-v1's time limit)."""
    action_repeat: int = 1
    """C acts every this many physics steps and M predicts one such decision
    (Dreamer's control-suite agents use 2).  ``episode_len`` counts physics
    steps, so an episode has ``episode_len / action_repeat`` decisions."""
    max_angle: float = float(np.pi)
    """Starts have ``|theta| <= max_angle``: pi is Pendulum-v1's reset (swing-up);
    a small value makes a balancing task (the tests)."""
    z_dim: int = 4
    """Size of V's code."""
    vae_steps: int = 1500
    """Adam steps of V (batches of 32 frames)."""
    kl_weight: float = 1.0
    """Weight of the KL term in V's loss: 1 is the ELBO."""
    rnn_hidden: int = 32
    """LSTM units of M (so C has ``z_dim + rnn_hidden + 1`` weights)."""
    n_mixtures: int = 5
    """Gaussians in M's mixture (the paper used 5)."""
    mdn_steps: int = 2000
    """Adam steps of M (batches of 32 windows)."""
    seq_len: int = 32
    """Length of M's training windows (truncated back-propagation through time)."""
    tau: float = 1.0
    """Temperature of the dream (see :func:`mdn_sample`)."""
    popsize: int = 24
    """CMA-ES population."""
    generations: int = 100
    """CMA-ES generations."""
    sigma0: float = 0.5
    """CMA-ES initial step size."""
    dream_starts: int = 16
    """Dreams per candidate per generation (fresh recorded starts each generation)."""
    eval_every: int = 10
    """Every this many generations, score the CMA-ES mean in dream and reality."""
    n_eval: int = 64
    """Episodes behind each of those scores (fixed starts)."""
    shuffle_actions: bool = False
    """Break M on purpose: fit it on actions shuffled across transitions."""
    seed: int = 0
    """Fixes data, V's and M's weights, CMA-ES and every dream."""

    def __post_init__(self) -> None:
        for name in ("n_random_episodes", "episode_len", "z_dim", "vae_steps",
                     "rnn_hidden", "n_mixtures", "mdn_steps", "seq_len", "popsize",
                     "generations", "dream_starts", "eval_every", "n_eval"):
            if not isinstance(getattr(self, name), int) or getattr(self, name) < 1:
                raise ValueError(f"WorldModelsConfig.{name} must be an int >= 1, "
                                 f"got {getattr(self, name)!r}")
        if self.action_repeat < 1 or self.episode_len % self.action_repeat:
            raise ValueError(f"action_repeat ({self.action_repeat}) must be >= 1 and "
                             f"divide episode_len ({self.episode_len})")
        if self.seq_len > self.decisions:
            raise ValueError(f"seq_len ({self.seq_len}) must not exceed the "
                             f"decisions per episode ({self.decisions})")
        if self.tau < 0:
            raise ValueError(f"tau must be >= 0, got {self.tau}")
        if not 0 < self.max_angle <= np.pi:
            raise ValueError(f"max_angle must be in (0, pi], got {self.max_angle}")

    @property
    def decisions(self) -> int:
        """Actions per episode: ``episode_len // action_repeat``."""
        return self.episode_len // self.action_repeat

    def task(self, task: Task) -> Task:
        """``task`` with this config's action repeat."""
        return task._replace(action_repeat=self.action_repeat)


class RandomData(NamedTuple):
    frames: torch.Tensor   # [N, T + 1, S, S]
    actions: torch.Tensor  # [N, T, 1]
    rewards: torch.Tensor  # [N, T]
    states: torch.Tensor   # [N, T + 1, 3] hidden true states (plots only)


@torch.no_grad()
def collect_random(task: Task, n_episodes: int, steps: int, gen: torch.Generator,
                   max_angle: float = float(np.pi)) -> RandomData:
    """``n_episodes`` real episodes of ``steps`` uniformly random torques (each
    held for the task's action repeat) from Pendulum-v1's reset distribution
    (angles within ``max_angle``)."""
    env = task.batch(gen)
    frames = [env.reset(n_episodes, max_angle=max_angle)]
    acts, rews, states = [], [], [env.states]
    for _ in range(steps):
        a = (2 * torch.rand(n_episodes, 1, generator=gen) - 1) * MAX_TORQUE
        f, r = env.step(a)
        frames.append(f)
        acts.append(a)
        rews.append(r)
        states.append(env.states)
    return RandomData(torch.stack(frames, 1), torch.stack(acts, 1),
                      torch.stack(rews, 1), torch.stack(states, 1))


class WorldModel(NamedTuple):
    vae: ConvVAE
    model: MDNRNN
    data: RandomData
    codes: torch.Tensor     # [N, T + 1, D] V's codes of the recorded frames
    vae_log: np.ndarray     # [vae_steps, 3] (loss, recon, kl)
    mdn_log: np.ndarray     # [mdn_steps, 2] (nll, reward error)


def fit_world_model(task: Task, cfg: WorldModelsConfig, progress: bool = False
                    ) -> WorldModel:
    """Random data, then V on its frames, then M on V's codes (each from its
    own named stream of ``cfg.seed``)."""
    gen = torch_generator(stream_seed(cfg.seed, "random_data"))
    data = collect_random(cfg.task(task), cfg.n_random_episodes, cfg.decisions, gen,
                          cfg.max_angle)
    vae, vae_log = fit_vae(data.frames.flatten(0, 1), cfg.z_dim, cfg.vae_steps,
                           kl_weight=cfg.kl_weight, seed=stream_seed(cfg.seed, "vae"),
                           progress=progress)
    codes = torch.stack([vae.code(f) for f in data.frames])
    acts = data.actions
    if cfg.shuffle_actions:
        flat = acts.reshape(-1, 1)
        shuffle = torch_generator(stream_seed(cfg.seed, "shuffle_actions"))
        acts = flat[torch.randperm(len(flat), generator=shuffle)].view_as(acts)
    model, mdn_log = fit_mdnrnn(codes, acts, data.rewards, cfg.rnn_hidden,
                                cfg.n_mixtures, cfg.mdn_steps, cfg.seq_len,
                                seed=stream_seed(cfg.seed, "mdnrnn"), progress=progress)
    return WorldModel(vae, model, data, codes, vae_log, mdn_log)


class Trace(NamedTuple):
    generation: np.ndarray  # [E] generations at which the mean was scored
    dream: np.ndarray       # [E] its return inside M (at the training tau)
    real: np.ndarray        # [E] its return in the real pixel pendulum
    best_dream: np.ndarray  # [G] best dreamed return in each generation's population


def eval_starts(cfg: WorldModelsConfig) -> torch.Tensor:
    """The fixed evaluation start states ``[n_eval, 3]`` (Pendulum-v1's reset,
    angles within ``cfg.max_angle``), from the ``"eval_starts"`` stream."""
    gen = torch_generator(stream_seed(cfg.seed, "eval_starts"))
    th = (2 * torch.rand(cfg.n_eval, generator=gen) - 1) * cfg.max_angle
    thdot = 2 * torch.rand(cfg.n_eval, generator=gen) - 1
    return torch.stack([th.cos(), th.sin(), thdot], -1)


def random_baseline(task: Task, cfg: WorldModelsConfig) -> float:
    """Mean return of uniformly random torques from the evaluation starts
    (the floor every controller is compared with)."""
    return random_returns(cfg.task(task), eval_starts(cfg),
                          torch_generator(stream_seed(cfg.seed, "random_policy")),
                          cfg.decisions)


def score(phi: np.ndarray | torch.Tensor, wm: WorldModel, task: Task,
          cfg: WorldModelsConfig) -> tuple[float, float]:
    """``(dream, real)`` return of one controller from the SAME fixed starts
    (so dream minus real measures the model, not two samples of starts); the
    dream at ``cfg.tau``, reality with its own fixed kicks."""
    th = torch.as_tensor(phi, dtype=torch.float32)[None]
    starts = eval_starts(cfg)
    real = Reality(wm.vae, cfg.task(task), starts,
                   torch_generator(stream_seed(cfg.seed, "eval_kicks")))
    z0 = real.reset(1)
    dream = Dream(wm.model, z0, cfg.tau,
                  torch_generator(stream_seed(cfg.seed, "eval_dream")))
    d = rollout_returns(th, wm.model, dream, cfg.decisions)
    r = rollout_returns(th, wm.model, real, cfg.decisions)
    return d.item(), r.item()


def cma_in_dream(wm: WorldModel, task: Task, cfg: WorldModelsConfig,
                 progress: bool = False, in_reality: bool = False
                 ) -> tuple[np.ndarray, Trace]:
    """CMA-ES on C's weights, scored by dreams only.

    Each generation every candidate dreams from the same ``cfg.dream_starts``
    codes of recorded real first frames (fresh each generation).  Every
    ``cfg.eval_every`` generations the CMA-ES mean is scored by :func:`score`;
    the real score is recorded, never used.  Returns the final mean and the
    :class:`Trace`.

    ``in_reality=True`` is a diagnostic, not World Models: the candidates are
    scored in the real pixel pendulum from the recorded true start states
    (same V, M features and C), which tells what this controller class
    could reach with a perfect dream.
    """
    model = wm.model
    n = n_controller_params(model.D, model.H)
    rng = stream_rng(cfg.seed, "cma")
    es = cma.CMAEvolutionStrategy(np.zeros(n), cfg.sigma0, {
        "popsize": cfg.popsize, "seed": np.nan, "verbose": -9,
        # cma's own draws go through our Generator, not numpy's global state
        "randn": lambda *shape: rng.standard_normal(shape)})
    gen = torch_generator(stream_seed(cfg.seed, "candidate_worlds"))
    pool = wm.codes[:, 0]
    rows, best = [], []

    def record(g: int) -> None:
        rows.append((g, *score(es.mean, wm, task, cfg)))

    record(0)
    for g in tqdm(range(1, cfg.generations + 1), desc=f"CMA-ES in dream tau={cfg.tau}",
                  leave=False, disable=not progress):
        xs = es.ask()
        pick = torch.randint(len(pool), (cfg.dream_starts,), generator=gen)
        world = (Reality(wm.vae, cfg.task(task), wm.data.states[pick, 0], gen)
                 if in_reality else Dream(model, pool[pick], cfg.tau, gen))
        ret = rollout_returns(torch.as_tensor(np.array(xs), dtype=torch.float32), model,
                              world, cfg.decisions)
        es.tell(xs, (-ret).tolist())  # cma minimises
        best.append(ret.max().item())
        if g % cfg.eval_every == 0 or g == cfg.generations:
            record(g)
    g, d, r = (np.array(c) for c in zip(*rows, strict=True))
    return np.asarray(es.mean, dtype=float), Trace(g, d, r, np.array(best))


class WorldModelsResult(NamedTuple):
    phi: np.ndarray         # [n] final controller (the CMA-ES mean)
    world_model: WorldModel  # V, M, the random data and the fit logs
    trace: Trace
    dream_return: float     # final controller's return inside M
    real_return: float      # ... and in the real pixel pendulum
    random_return: float    # uniformly random torques, same starts
    n_transitions: int      # real data used (all random)
    seconds: float


def train(env, cfg: WorldModelsConfig = WorldModelsConfig(), *,
          progress: bool = False) -> WorldModelsResult:
    """The World Models recipe on a pixel pendulum (env or id): random
    episodes -> V -> M -> C by CMA-ES in M's dream -> the real task."""
    task = task_of(env)
    t0 = time.perf_counter()
    wm = fit_world_model(task, cfg, progress)
    phi, trace = cma_in_dream(wm, task, cfg, progress)
    return WorldModelsResult(phi, wm, trace, float(trace.dream[-1]),
                             float(trace.real[-1]), random_baseline(task, cfg),
                             cfg.n_random_episodes * cfg.episode_len,
                             time.perf_counter() - t0)
