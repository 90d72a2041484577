"""Every complete algorithm of the book by name, all called the same way.

``REGISTRY[name].train(env, cfg, *, progress=False) -> Result``: ``env`` a
gymnasium env or its id, the seed inside ``cfg`` (a frozen dataclass).
Each :class:`Entry` also names the config class, the environments the
algorithm is meant for (the book's; others may work), a FAST config that
finishes in seconds (the smoke test runs every one), and how to read a
learning curve out of its result (what ``python -m mbrl_lessons.run`` prints).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from mbrl_lessons.algorithms import (
    alphazero,
    cma_es,
    dqn,
    dreamer,
    dreamer_pixels,
    mbpo,
    muzero,
    muzero_games,
    pets,
    policy_gradient,
    sac,
    schemes,
    tabular,
    world_models,
)
from mbrl_lessons.dyna.dyna_q import DynaConfig
from mbrl_lessons.dyna.prioritized import PSConfig
from mbrl_lessons.envs import as_env
from mbrl_lessons.models import TrainConfig
from mbrl_lessons.planning import PlannerConfig


@dataclass(frozen=True)
class Entry:
    """One algorithm: how to call it, on what, and how to read its result."""

    name: str
    train: Callable[..., Any]
    """``train(env, cfg, *, progress=False) -> Result``."""
    config: type
    """The frozen dataclass ``cfg`` must be."""
    envs: tuple[str, ...]
    """Environment ids the book runs it on; the first is the default."""
    fast: Any
    """A config that finishes in seconds (smoke tests, ``--fast``)."""
    curve: Callable[[Any], tuple[str, np.ndarray]]
    """``result -> (label, values)``: the learning curve to summarise."""
    chapter: str
    summary: str


PENDULUM = ("Pendulum-v1",)
BOX = ("Pendulum-v1", "InvertedPendulum-v5", "InvertedDoublePendulum-v5",
       "Reacher-v5", "Pusher-v5")
GRIDS = ("mbrl_lessons/GridWorld-v0", "mbrl_lessons/DynaMaze-v0")
MAZES = ("mbrl_lessons/DynaMaze-v0", "mbrl_lessons/BlockingMaze-v0",
         "mbrl_lessons/ShortcutMaze-v0")
BOARDS = ("mbrl_lessons/TicTacToe-v0", "mbrl_lessons/ConnectFour5x6-v0",
          "mbrl_lessons/ConnectFour-v0")
_AZ_FAST = alphazero.AlphaZeroConfig(n_games=2, n_simulations=4, games_per_update=2,
                                     updates=2, batch_size=8, eval_every=2,
                                     eval_games=2, hidden=8)

_SCHEME_FAST = schemes.SchemeConfig(
    n_episodes=2, train=TrainConfig(max_epochs=5), hidden=32,
    planner=PlannerConfig(horizon=5, n_candidates=20, n_iterations=2, n_elites=5),
    open_loop_planner=PlannerConfig(horizon=200, n_candidates=20, n_iterations=2,
                                    n_elites=5),
    policy_steps=3, policy_horizon=5)
_SAC_FAST = sac.SACConfig(total_steps=300, start_steps=100, batch_size=32,
                          hidden=32, eval_every=300, eval_episodes=1)


def _field(name: str) -> Callable[[Any], tuple[str, np.ndarray]]:
    return lambda res: (name, np.asarray(getattr(res, name), dtype=float))


def _muzero_train(env, cfg: muzero.MuZeroConfig, *,
                  progress: bool = False) -> muzero.MuZeroResult:
    """:func:`mbrl_lessons.algorithms.muzero.train` given an env or an id."""
    return muzero.train(as_env(env), cfg, progress=progress)


def _alphazero_train(env, cfg: alphazero.AlphaZeroConfig, *,
                     progress: bool = False) -> alphazero.AlphaZeroResult:
    """:func:`mbrl_lessons.algorithms.alphazero.train` given the tic-tac-toe env or
    its id (the rules are read from the unwrapped env)."""
    return alphazero.train(as_env(env).unwrapped, cfg, progress=progress)


def _muzero_games_train(env, cfg: muzero_games.MuZeroGameConfig, *,
                        progress: bool = False) -> muzero_games.MuZeroGameResult:
    """:func:`mbrl_lessons.algorithms.muzero_games.train` given a board-game env
    or its id (the rules referee the games and list the root's legal moves)."""
    return muzero_games.train(as_env(env).unwrapped, cfg, progress=progress)


def _scheme(name: str, fn, summary: str) -> Entry:
    return Entry(name, fn, schemes.SchemeConfig, PENDULUM, _SCHEME_FAST,
                 _field("returns"), "4", summary)


_ENTRIES = [
    Entry("value-iteration", tabular.train_value_iteration, tabular.DPConfig, GRIDS,
          tabular.DPConfig(tol=1e-6), _field("curve"), "2",
          "value iteration on the true model (curve: max |V_k+1 - V_k|)"),
    Entry("policy-iteration", tabular.train_policy_iteration, tabular.DPConfig,
          GRIDS, tabular.DPConfig(), _field("curve"), "2",
          "policy iteration on the true model (curve: policy changes)"),
    Entry("q-learning", tabular.train_q_learning, tabular.QConfig, GRIDS,
          tabular.QConfig(total_steps=2_000), _field("episode_returns"), "3",
          "Watkins' Q-learning (model-free baseline)"),
    _scheme("v0.5", schemes.v0_5, "random data, one model, one open-loop plan"),
    _scheme("v1.0", schemes.v1_0, "iterate: refit, plan open-loop, execute"),
    _scheme("v1.5", schemes.v1_5_mpc, "MPC: replan with CEM every step"),
    _scheme("v2.0", schemes.v2_0_backprop, "backprop the model's return into a policy"),
    Entry("dyna-q", tabular.train_dyna, tabular.DynaRunConfig, MAZES,
          tabular.DynaRunConfig(DynaConfig(n_planning=5), n_episodes=5),
          _field("steps_per_episode"), "6", "Dyna-Q (Sutton 1990)"),
    Entry("dyna-q+", tabular.train_dyna, tabular.DynaRunConfig, MAZES,
          tabular.DynaRunConfig(DynaConfig(n_planning=5, kappa=1e-3), n_episodes=5),
          _field("steps_per_episode"), "6",
          "Dyna-Q+ (exploration bonus kappa * sqrt(time since tried))"),
    Entry("prioritized-sweeping", tabular.train_prioritized_sweeping,
          tabular.PSRunConfig, MAZES, tabular.PSRunConfig(PSConfig(), n_episodes=5),
          _field("steps_per_episode"), "6", "prioritized sweeping (Moore & Atkeson)"),
    Entry("uct", tabular.train_uct, tabular.UCTConfig, GRIDS,
          tabular.UCTConfig(n_simulations=20, horizon=20, n_episodes=1, max_steps=30),
          _field("returns"), "6", "UCT search on the true simulator, every step"),
    Entry("world-models", world_models.train, world_models.WorldModelsConfig,
          world_models.SUPPORTED_ENVS,
          world_models.WorldModelsConfig(n_random_episodes=8, episode_len=40,
                                         max_angle=0.5, vae_steps=40, mdn_steps=40,
                                         seq_len=16, generations=3, popsize=8,
                                         dream_starts=4, eval_every=2, n_eval=8),
          lambda r: ("real return (CMA-ES mean)", np.asarray(r.trace.real)),
          "7.1", "World Models from pixels: VAE, MDN-RNN dream, CMA-ES controller"),
    Entry("pets", pets.train, pets.PETSConfig, BOX,
          pets.PETSConfig(n_episodes=2, hidden=16, planner=PlannerConfig(
              horizon=5, n_candidates=20, n_iterations=2, n_elites=5),
              train=pets.EnsembleTrainConfig(steps=20)),
          _field("returns"), "7.2", "PETS: ensemble + CEM over particles"),
    Entry("reinforce", policy_gradient.train_reinforce,
          policy_gradient.REINFORCEConfig, ("CartPole-v1", "Acrobot-v1"),
          policy_gradient.REINFORCEConfig(total_steps=300, episodes_per_update=2,
                                          hidden=16, eval_every=300, eval_episodes=1),
          _field("eval_returns"), "primer",
          "REINFORCE with a learned baseline (Discrete actions)"),
    Entry("actor-critic", policy_gradient.train_actor_critic,
          policy_gradient.ActorCriticConfig, ("CartPole-v1", "Acrobot-v1"),
          policy_gradient.ActorCriticConfig(total_steps=300, n_steps=16, hidden=16,
                                            eval_every=300, eval_episodes=1),
          _field("eval_returns"), "primer",
          "advantage actor-critic with GAE(lambda) (Discrete actions)"),
    Entry("cma-es", cma_es.train, cma_es.CMAESConfig, ("CartPole-v1", "Pendulum-v1"),
          cma_es.CMAESConfig(generations=2, popsize=4, episodes_per_eval=1,
                             eval_episodes=1),
          _field("mean_returns"), "primer",
          "CMA-ES on a linear or small tanh controller (no gradients)"),
    Entry("dqn", dqn.train, dqn.DQNConfig, ("CartPole-v1", "Acrobot-v1"),
          dqn.DQNConfig(total_steps=300, start_steps=100, hidden=16, batch_size=16,
                        eval_every=300, eval_episodes=1),
          _field("eval_returns"), "primer",
          "DQN: replay, target network, epsilon-greedy (Discrete actions)"),
    Entry("sac", sac.train, sac.SACConfig, BOX, _SAC_FAST, _field("eval_returns"),
          "7.3", "soft actor-critic (MBPO's model-free learner)"),
    Entry("mbpo", mbpo.train, mbpo.MBPOConfig, BOX,
          mbpo.MBPOConfig(total_steps=300, ensemble_size=2, n_elites=2,
                          model_hidden=16, model_layers=1, model_train_every=100,
                          train=replace(mbpo.MBPO_MODEL_TRAIN, steps=10),
                          rollout_batch=20, rollout_every=50, model_retain=100,
                          sac=_SAC_FAST, eval_every=300, eval_episodes=1,
                          updates_per_step=1),
          _field("eval_returns"), "7.3", "MBPO: short model rollouts feed SAC"),
    Entry("dreamer", dreamer.train, dreamer.DreamerConfig, PENDULUM,
          dreamer.DreamerConfig(n_episodes=2, horizon=3, updates_per_episode=3,
                                batch=16, model_updates=5, hidden=16, model_hidden=16,
                                n_eval=1),
          _field("returns"), "7.4", "Dreamer-style actor-critic in imagination"),
    Entry("dreamer-pixels", dreamer_pixels.train, dreamer_pixels.DreamerPixelsConfig,
          dreamer_pixels.SUPPORTED_ENVS,
          dreamer_pixels.DreamerPixelsConfig(
              n_seed_episodes=1, n_episodes=2, updates_per_episode=2, batch=4,
              seq_len=8, horizon=3, hidden=16, n_eval=1,
              rssm=dreamer_pixels.RSSMConfig(deter=16, stoch=4, hidden=16, embed=16,
                                             channels=4)),
          _field("returns"), "7.4", "Dreamer from pixels: RSSM + imagination"),
    Entry("muzero", _muzero_train, muzero.MuZeroConfig,
          MAZES + ("mbrl_lessons/MinAtarBreakout-v1",),
          muzero.MuZeroConfig(n_episodes=2, n_simulations=4, updates_per_episode=3,
                              batch_size=8, max_episode_steps=50, eval_every=2,
                              eval_max_steps=10, latent_dim=8, hidden=16),
          _field("steps_per_episode"), "7.5", "MuZero: search a learned model"),
    Entry("alphazero", _alphazero_train, alphazero.AlphaZeroConfig, BOARDS, _AZ_FAST,
          _field("game_lengths"), "7.5", "AlphaZero: self-play with pUCT"),
    Entry("muzero-games", _muzero_games_train, muzero_games.MuZeroGameConfig, BOARDS,
          muzero_games.from_alphazero(_AZ_FAST, latent_dim=8),
          _field("game_lengths"), "7.5",
          "MuZero self-play on a board game (search a learned model)"),
]

REGISTRY: dict[str, Entry] = {e.name: e for e in _ENTRIES}
"""Algorithm name -> :class:`Entry`."""


def get(name: str) -> Entry:
    """The entry of ``name``, or a ``ValueError`` listing the names."""
    if name not in REGISTRY:
        raise ValueError(f"unknown algorithm {name!r}; known: "
                         + ", ".join(REGISTRY))
    return REGISTRY[name]


def with_seed(entry: Entry, cfg: Any, seed: int) -> Any:
    """``cfg`` with its seed set, or a ``ValueError`` for a seedless algorithm."""
    if "seed" not in entry.config.__dataclass_fields__:
        raise ValueError(f"{entry.name} is deterministic: its config has no seed")
    return replace(cfg, seed=seed)
