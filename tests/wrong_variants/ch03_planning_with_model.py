# Known-wrong: plans with gamma = 0 (greedy in the learned immediate reward).
import numpy as np


def plan_with_model(transitions, n_states, n_actions, gamma):
    sums = np.zeros((n_states, n_actions))
    n = np.zeros((n_states, n_actions))
    for s, a, r, _ in transitions:
        sums[s, a] += r
        n[s, a] += 1
    return (sums / np.maximum(n, 1)).argmax(axis=1)
