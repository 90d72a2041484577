"""Dynamics models (chapter 4 builds them; chapters 5–8 extend them)."""

from mbrl_lessons.models.dynamics import (
    DynamicsModel,
    MLPDynamics,
    ModelEnv,
    TrainConfig,
    TrainResult,
    TrueModel,
    fit_model,
)

__all__ = ["DynamicsModel", "MLPDynamics", "ModelEnv", "TrainConfig", "TrainResult",
           "TrueModel", "fit_model"]
