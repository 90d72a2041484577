"""Known reward and termination functions, looked up by environment id.

A planner (CEM/MPC, PETS) scores action sequences the real environment never
ran, and a model-based learner (MBPO, Dreamer) imagines transitions, so both
need the reward -- and whether the episode ended -- of a predicted step.  When
these follow from the observations, the package writes them once, here, with
ONE convention (the one mbrl-lib uses, Pineda et al. 2021):

- ``reward_fn(obs [B, O], act [B, A], next_obs [B, O]) -> reward [B]``
- ``termination_fn(obs [B, O], act [B, A], next_obs [B, O]) -> done [B]``
  (bool; *termination* only -- a time limit is not the model's business)

batched torch tensors.  A function that does not need ``next_obs`` (the
pendulum charges the state *before* the step, as gymnasium does) still takes
it, so every caller passes all three.  :meth:`KnownTask.reward_np` and
:meth:`KnownTask.termination_np` wrap them for numpy arrays.

:func:`known_task` is the registry: an id the book uses maps to its
:class:`KnownTask`; any other id raises a ``ValueError`` that lists the known
ones, so an algorithm never plans a new environment with someone else's
reward by accident.  :func:`resolve_task` is what the algorithms call: an
explicit ``reward_fn``/``termination_fn`` wins, otherwise the registry.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch

from mbrl_lessons.envs.ice import ice_reward
from mbrl_lessons.envs.pendulum import pendulum_reward

RewardFn = Callable[[torch.Tensor, torch.Tensor, torch.Tensor], torch.Tensor]
TerminationFn = Callable[[torch.Tensor, torch.Tensor, torch.Tensor], torch.Tensor]


def never_terminates(obs: torch.Tensor, act: torch.Tensor,
                     next_obs: torch.Tensor) -> torch.Tensor:
    """``False`` for every transition ``[B]`` (only a time limit ends the episode)."""
    return torch.zeros(next_obs.shape[:-1], dtype=torch.bool)


@dataclass(frozen=True)
class KnownTask:
    """The reward and termination of one environment, batched in torch.

    ``reward_fn`` is ``None`` for a task whose reward the observation cannot
    determine (HalfCheetah, Hopper): a model-based learner must learn it.
    """

    env_id: str
    reward_fn: RewardFn | None
    """``(obs [B, O], act [B, A], next_obs [B, O]) -> [B]``, or ``None``."""
    termination_fn: TerminationFn = never_terminates
    """``(obs, act, next_obs) -> bool [B]``; termination, never truncation."""

    def reward_np(self, obs: np.ndarray, act: np.ndarray,
                  next_obs: np.ndarray) -> np.ndarray:
        """``reward_fn`` on numpy arrays ``[B, O], [B, A], [B, O] -> [B]``."""
        if self.reward_fn is None:
            raise ValueError(f"{self.env_id}: the reward is not known from the "
                             "observations; it has to be learned")
        return self.reward_fn(*_as_torch(obs, act, next_obs)).numpy()

    def termination_np(self, obs: np.ndarray, act: np.ndarray,
                       next_obs: np.ndarray) -> np.ndarray:
        """``termination_fn`` on numpy arrays -> bool ``[B]``."""
        return self.termination_fn(*_as_torch(obs, act, next_obs)).numpy()


def _as_torch(*arrays: np.ndarray) -> tuple[torch.Tensor, ...]:
    return tuple(torch.as_tensor(np.asarray(a), dtype=torch.float32) for a in arrays)


def _book_tasks() -> dict[str, KnownTask]:
    tasks = {
        "Pendulum-v1": KnownTask("Pendulum-v1", pendulum_reward),
        # same reward as Pendulum-v1; only the physics switches (chapter 8)
        "mbrl_lessons/NonStationaryPendulum-v0": KnownTask(
            "mbrl_lessons/NonStationaryPendulum-v0", pendulum_reward),
        # chapter 4: random data never reach the ice a good plan must cross
        "mbrl_lessons/IceSlide-v0": KnownTask("mbrl_lessons/IceSlide-v0",
                                              ice_reward),
    }
    try:  # the MuJoCo tasks need the mujoco extra only to *run*, not to list
        from mbrl_lessons.envs.mujoco_tasks import MUJOCO_TASKS, MUJOCO_TERMINATIONS
    except ImportError:  # pragma: no cover - a checkout without the module
        return tasks
    for env_id, term in MUJOCO_TERMINATIONS.items():
        tasks[env_id] = KnownTask(env_id, None, term)
    for env_id, (rew, term) in MUJOCO_TASKS.items():
        tasks[env_id] = KnownTask(env_id, rew, term)
    return tasks


KNOWN_TASKS: dict[str, KnownTask] = _book_tasks()
"""Every environment id with a known reward (or, for MuJoCo locomotion, only a
known termination: ``reward_fn is None``)."""


def env_id_of(env) -> str:
    """The registered id of a gymnasium env (or the string itself)."""
    if isinstance(env, str):
        return env
    if not hasattr(env, "step"):
        raise TypeError(f"expected a gymnasium env or an env id, got "
                        f"{type(env).__name__} (the config comes second: "
                        "train(env, cfg))")
    spec = getattr(env, "spec", None)
    if spec is None or spec.id is None:
        raise ValueError(f"{type(env).__name__} has no registered id (env.spec is "
                         "None); pass reward_fn= and termination_fn= explicitly")
    return spec.id


def known_task(env) -> KnownTask:
    """The :class:`KnownTask` of an env id (or a gymnasium env).

    Raises ``ValueError`` naming the known ids when there is none.
    """
    env_id = env_id_of(env)
    if env_id not in KNOWN_TASKS:
        raise ValueError(
            f"no known reward for environment {env_id!r}; pass reward_fn= (and "
            "termination_fn=) explicitly, or use one of: "
            + ", ".join(sorted(KNOWN_TASKS)))
    return KNOWN_TASKS[env_id]


def resolve_task(env, reward_fn: RewardFn | None = None,
                 termination_fn: TerminationFn | None = None, *,
                 need_reward: bool = True) -> tuple[RewardFn | None, TerminationFn]:
    """The reward and termination an algorithm should use on ``env``.

    Explicit functions win; missing ones come from :func:`known_task`.  With
    ``need_reward`` (a planner), a reward that is neither given nor known is a
    ``ValueError``; without it (MBPO learns the reward) ``None`` is returned
    for it.  A missing termination of an unknown env raises too, unless the
    reward was given explicitly, in which case "never terminates" is assumed
    (the caller chose the task; a time limit still ends episodes).
    """
    if reward_fn is not None and termination_fn is not None:
        return reward_fn, termination_fn
    try:
        task = known_task(env)
    except ValueError:
        if reward_fn is not None:
            return reward_fn, never_terminates
        if not need_reward:
            raise ValueError(
                f"no known termination for environment {env_id_of(env)!r}; pass "
                "termination_fn= explicitly (never_terminates if it has none), or "
                "use one of: " + ", ".join(sorted(KNOWN_TASKS))) from None
        raise
    reward = reward_fn if reward_fn is not None else task.reward_fn
    if need_reward and reward is None:
        raise ValueError(f"{task.env_id}: the reward is not a function of the "
                         "observations (its forward reward uses a position the "
                         "observation omits); pass reward_fn= or use an algorithm "
                         "that learns the reward (MBPO)")
    return reward, termination_fn if termination_fn is not None else task.termination_fn
