# Known-wrong: the one-player backup G <- r + gamma G (no sign flip), which
# credits each player with the opponent's gains.
import numpy as np


def negamax_backup(rewards, leaf_value, gamma=1.0):
    out = np.zeros(len(rewards) + 1)
    out[-1] = leaf_value
    for k in range(len(rewards), 0, -1):
        out[k - 1] = rewards[k - 1] + gamma * out[k]
    return out
