# Known-wrong: solves the step for the torque but ignores the speed limit, so a
# clipped transition gets a definite (and wrong) torque instead of NaN.
import numpy as np


def inverse_torque(obs, next_obs):
    obs, next_obs = np.asarray(obs, dtype=float), np.asarray(next_obs, dtype=float)
    accel = (next_obs[:, 2] - obs[:, 2]) / 0.05
    return (accel - 15.0 * obs[:, 1]) / 3
