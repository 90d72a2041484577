"""Small shared result types."""

from __future__ import annotations

from dataclasses import dataclass, field

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
