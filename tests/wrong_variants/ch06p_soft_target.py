# Known-wrong: adds the log-probability instead of subtracting it (an entropy
# penalty instead of a bonus).
import numpy as np


def soft_target(rew, terminated, next_q1, next_q2, next_logp, alpha, gamma):
    alive = 1.0 - np.asarray(terminated, dtype=float)
    return rew + gamma * alive * (np.minimum(next_q1, next_q2) + alpha * next_logp)
