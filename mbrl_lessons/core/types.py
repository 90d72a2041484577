"""Shared types: the package's few abstractions, written as Protocols.

Four interfaces connect the building blocks of chapters 4-7.  Anything with
the right methods fits (structural typing, no base class to inherit):

* :class:`DynamicsModel` — ``predict(obs [B, O], act [B, A]) -> next_obs [B, O]``:
  a learned network or a known step function (chapter 4's ``MLPDynamics``,
  ``TrueModel``).
* :class:`BatchedModelEnv` — ``returns(obs0, actions [N, H, A]) -> [N]``: the
  predicted return of many action sequences at once, which is all a
  sampling-based planner reads from a model (``models.ModelEnv``, PETS's
  ``ParticleModelEnv``, chapter 8's ``PessimisticModelEnv``).
* :class:`Planner` — ``plan(obs) -> actions [H, A]`` and ``reset()``: random
  shooting and CEM (``planning.shooting``); ``MPCAgent`` executes the first
  action of each plan.
* :class:`RecurrentFn` — an mctx-style ``recurrent_fn(state, action) ->
  RecurrentOutput``: one step of a model as a tree search reads it.  The pUCT
  search of §7.5 takes either the rules of a game (AlphaZero) or a learned
  latent model (MuZero) through it.

:func:`require` turns a misfit into a ``TypeError`` that names the missing
methods, instead of an ``AttributeError`` deep inside a planner.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, NamedTuple, Protocol, runtime_checkable

import numpy as np


@dataclass
class LearningCurve:
    """Performance measured against real environment steps.

    ``steps[i]`` real steps had been taken when ``values[i]`` was measured.
    """

    steps: np.ndarray
    values: np.ndarray
    label: str = ""
    extra: dict = field(default_factory=dict)


@runtime_checkable
class DynamicsModel(Protocol):
    """A one-step model: ``predict(obs [B, O], act [B, A]) -> next_obs [B, O]``
    (torch tensors; chapters 4, 5 and 8)."""

    def predict(self, obs: Any, act: Any) -> Any: ...


@runtime_checkable
class BatchedModelEnv(Protocol):
    """Scores action sequences in a model: ``returns(obs0 [O] or [N, O],
    actions [N, H, A]) -> [N]``, the summed predicted reward of each sequence
    (the only thing random shooting and CEM ask of a model)."""

    def returns(self, obs0: Any, actions: Any) -> Any: ...


@runtime_checkable
class Planner(Protocol):
    """A receding-horizon planner: ``plan(obs) -> actions [H, A]`` (the first
    row is executed), ``reset()`` at the start of an episode (drops any warm
    start)."""

    def plan(self, obs: Any) -> np.ndarray: ...

    def reset(self) -> None: ...


class RecurrentOutput(NamedTuple):
    """One model step, as a tree search reads it (mctx's ``RecurrentFnOutput``
    plus the next state).  ``reward`` goes to the player who moved; ``value``
    is for the player to move at ``next_state``; ``logits`` ``[A]`` give the
    prior there (``-inf`` marks an illegal move); ``terminal`` ends the
    game (the node is then worth 0 and never expanded further)."""

    reward: float
    next_state: Any
    logits: np.ndarray
    value: float
    terminal: bool = False


@runtime_checkable
class RecurrentFn(Protocol):
    """``(state, action) -> RecurrentOutput``: a learned model (MuZero) or a
    simulator (AlphaZero) as the pUCT search calls it."""

    def __call__(self, state: Any, action: int) -> RecurrentOutput: ...


def require(obj: Any, protocol: type, role: str) -> None:
    """Raise a ``TypeError`` naming what ``obj`` lacks if it does not fit
    ``protocol`` (a runtime-checkable Protocol); ``role`` says where it was
    passed, e.g. ``"CEMPlanner's model_env"``."""
    if isinstance(obj, protocol):
        return
    wanted = sorted(n for n, v in vars(protocol).items()
                    if callable(v) and (n == "__call__" or not n.startswith("_")))
    missing = [n for n in wanted if not callable(getattr(obj, n, None))]
    raise TypeError(f"{role} must be a {protocol.__name__}, with the method(s) "
                    f"{', '.join(wanted)}; {type(obj).__name__} lacks "
                    f"{', '.join(missing)} (see mbrl_lessons.core.types)")


__all__ = ["BatchedModelEnv", "DynamicsModel", "LearningCurve", "Planner",
           "RecurrentFn", "RecurrentOutput", "require"]
