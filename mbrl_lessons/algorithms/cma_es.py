"""CMA-ES on a small controller (the model-free primer; World Models' controller
search in chapter 7).

The covariance matrix adaptation evolution strategy (Hansen & Ostermeier 2001;
Hansen 2016) searches parameters ``theta`` with no gradient: each generation it
samples ``popsize`` candidates from ``N(m, sigma^2 C)``, scores them, moves the
mean ``m`` towards the best, and adapts ``C`` and the step size ``sigma`` to the
directions that paid.  We use the ``cma`` package and score a candidate by its
mean return over ``episodes_per_eval`` real episodes.

The controller is linear, ``y = W s + b`` (``[O] -> [A]`` outputs), or a
``tanh`` MLP with ``hidden`` units: for ``Discrete`` actions the action is
``argmax y``; for a ``Box`` it is ``tanh(y)`` scaled to the bounds.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import cma
import gymnasium as gym
import numpy as np

from mbrl_lessons.core.progress import tqdm
from mbrl_lessons.core.seeding import make_rng, stream_seed
from mbrl_lessons.envs import as_env


@dataclass(frozen=True)
class CMAESConfig:
    """Settings of :func:`train`."""

    generations: int = 30
    """CMA-ES generations."""
    popsize: int = 16
    """Candidates per generation (``cma``'s default for 10 parameters is 10)."""
    sigma0: float = 0.5
    """Initial step size around ``theta = 0``."""
    hidden: int = 0
    """Hidden units of the controller; 0 means linear."""
    episodes_per_eval: int = 3
    """Episodes averaged into one candidate's fitness."""
    max_episode_steps: int | None = None
    """Cut episodes at this length (``None``: the env's own limit)."""
    eval_episodes: int = 5
    """Episodes scoring the distribution mean after each generation."""
    seed: int = 0
    """Seeds the sampling of candidates and the episodes' start states."""

    def __post_init__(self) -> None:
        for name in ("generations", "popsize", "episodes_per_eval", "eval_episodes"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int) or v < 1:
                raise ValueError(f"CMAESConfig.{name} must be a positive int, "
                                 f"got {v!r}")
        if self.popsize < 2 or self.hidden < 0 or self.sigma0 <= 0:
            raise ValueError("CMAESConfig: popsize >= 2, hidden >= 0 and sigma0 > 0")


class Controller:
    """``theta`` (a flat vector) -> an action for one observation."""

    def __init__(self, obs_dim: int, action_space: gym.Space, hidden: int) -> None:
        if isinstance(action_space, gym.spaces.Discrete):
            self.out, self.box = int(action_space.n), None
        elif isinstance(action_space, gym.spaces.Box) and len(action_space.shape) == 1:
            self.out = int(action_space.shape[0])
            self.box = (action_space.low.astype(np.float64),
                        action_space.high.astype(np.float64))
        else:
            raise TypeError(f"CMA-ES controller needs a Discrete or 1-D Box action "
                            f"space, got {action_space!r}")
        self.obs_dim, self.hidden = obs_dim, hidden
        widths = [obs_dim, hidden, self.out] if hidden else [obs_dim, self.out]
        self.shapes = [(a, b) for a, b in zip(widths[:-1], widths[1:], strict=True)]
        self.n_params = sum(b * a + b for a, b in self.shapes)

    def act(self, theta: np.ndarray, obs: np.ndarray):
        x, i = np.asarray(obs, np.float64).ravel(), 0
        for k, (a, b) in enumerate(self.shapes):
            w = theta[i:i + a * b].reshape(b, a)
            c = theta[i + a * b:i + a * b + b]
            i += a * b + b
            x = w @ x + c
            if k < len(self.shapes) - 1:
                x = np.tanh(x)
        if self.box is None:
            return int(np.argmax(x))
        low, high = self.box
        return (low + (np.tanh(x) + 1) * (high - low) / 2).astype(np.float32)


def episode_return(env: gym.Env, ctrl: Controller, theta: np.ndarray, seed: int,
                   max_steps: int | None) -> float:
    """Undiscounted return of one episode from ``env.reset(seed=seed)``."""
    obs, _ = env.reset(seed=seed)
    total, t, done = 0.0, 0, False
    while not done:
        obs, r, term, trunc, _ = env.step(ctrl.act(theta, obs))
        total, t = total + float(r), t + 1
        done = term or trunc or (max_steps is not None and t >= max_steps)
    return total


@dataclass
class CMAESResult:
    """What :func:`train` returns."""

    theta: np.ndarray
    """The final distribution mean (the controller's parameters)."""
    controller: Controller
    generations: list[int]
    mean_returns: list[float]
    """Return of the distribution mean after each generation (fixed eval seeds)."""
    best_returns: list[float]
    """Best candidate fitness of each generation."""
    sigmas: list[float]
    """CMA-ES step size after each generation."""
    episodes: int
    """Real episodes used for fitness (evaluation episodes not counted)."""
    seconds: float


def train(env: gym.Env | str, cfg: CMAESConfig = CMAESConfig(), *,
          progress: bool = False) -> CMAESResult:
    """CMA-ES over the controller's parameters, fitness = mean real return."""
    env = as_env(env)
    space = env.observation_space
    if not isinstance(space, gym.spaces.Box) or len(space.shape) != 1:
        raise TypeError(f"CMA-ES controller needs a 1-D Box observation space, "
                        f"got {space!r}")
    ctrl = Controller(int(space.shape[0]), env.action_space, cfg.hidden)
    t0, rng = time.time(), make_rng(cfg.seed)
    es = cma.CMAEvolutionStrategy(np.zeros(ctrl.n_params), cfg.sigma0, {
        "popsize": cfg.popsize, "seed": np.nan, "verbose": -9,
        # cma's own draws go through our Generator, not numpy's global state
        "randn": lambda *shape: rng.standard_normal(shape)})
    res = CMAESResult(np.zeros(ctrl.n_params), ctrl, [], [], [], [], 0, 0.0)
    eval_seeds = [stream_seed(cfg.seed, "eval", i) for i in range(cfg.eval_episodes)]
    for g in tqdm(range(1, cfg.generations + 1), desc="CMA-ES", leave=False,
                  disable=not progress):
        xs = es.ask()
        # all candidates of a generation meet the same start states (common
        # random numbers: their ranking then reflects the controller, not luck)
        seeds = rng.integers(0, 2**31 - 1, size=cfg.episodes_per_eval)
        fit = [np.mean([episode_return(env, ctrl, x, int(s), cfg.max_episode_steps)
                        for s in seeds]) for x in xs]
        res.episodes += len(xs) * cfg.episodes_per_eval
        es.tell(xs, [-f for f in fit])  # cma minimises
        mean = np.asarray(es.mean, dtype=float)
        res.generations.append(g)
        res.best_returns.append(float(max(fit)))
        res.mean_returns.append(float(np.mean(
            [episode_return(env, ctrl, mean, s, cfg.max_episode_steps)
             for s in eval_seeds])))
        res.sigmas.append(float(es.sigma))
    res.theta = np.asarray(es.mean, dtype=float)
    res.seconds = time.time() - t0
    return res
