"""Planners over learned or true models (chapters 4 and 6)."""

from mbrl_lessons.planning.gradient import (
    GradientPlanner,
    GradientPlannerConfig,
    gradient_step,
)
from mbrl_lessons.planning.shooting import (
    CEMPlanner,
    MPCAgent,
    PlannerConfig,
    RandomShootingPlanner,
    cem_update,
    open_loop,
    run_episode,
)

__all__ = ["CEMPlanner", "GradientPlanner", "GradientPlannerConfig", "MPCAgent",
           "PlannerConfig", "RandomShootingPlanner", "cem_update", "gradient_step",
           "open_loop", "run_episode"]
