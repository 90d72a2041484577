"""Dyna-style planning with learned tabular models (chapter 6)."""

from mbrl_lessons.dyna.dyna_q import (
    DynaConfig,
    DynaQ,
    EpisodeStats,
    greedy_path_length,
    model_path_length,
    run_episodes,
    run_steps,
)
from mbrl_lessons.dyna.prioritized import (
    PrioritizedSweeping,
    PSConfig,
    priority,
    run_ps_episodes,
)

__all__ = ["DynaConfig", "DynaQ", "EpisodeStats", "PSConfig", "PrioritizedSweeping",
           "greedy_path_length", "model_path_length", "priority", "run_episodes",
           "run_ps_episodes", "run_steps"]
