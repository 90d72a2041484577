"""Small shared result types."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass
class Transition:
    """One real or imagined step ``(obs, act, rew, next_obs, terminated)``."""

    obs: np.ndarray | int
    act: np.ndarray | int
    rew: float
    next_obs: np.ndarray | int
    terminated: bool


@dataclass
class LearningCurve:
    """Performance measured against real environment steps.

    ``steps[i]`` real steps had been taken when ``values[i]`` was measured.
    """

    steps: np.ndarray
    values: np.ndarray
    label: str = ""
    extra: dict = field(default_factory=dict)
