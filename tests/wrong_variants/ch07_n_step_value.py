# Known-wrong: always bootstraps from the value n steps on (or the last one),
# even past the end of a finished episode, whose terminal state is worth 0.
import numpy as np


def n_step_value_targets(rewards, root_values, gamma, n, terminated=True):
    T = len(rewards)
    z = np.zeros(T + 1)
    for t in range(T + 1):
        end = min(t + n, T)
        z[t] = sum(gamma ** (i - t) * rewards[i] for i in range(t, end))
        z[t] += gamma ** (end - t) * root_values[end]
    return z
