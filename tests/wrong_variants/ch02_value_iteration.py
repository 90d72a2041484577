# Known-wrong: a fixed 10 sweeps instead of the stopping rule.
import numpy as np


def value_iteration(P, R, gamma, tol=1e-8):
    V = np.zeros(P.shape[0])
    for _ in range(10):
        V = (R + gamma * P @ V).max(axis=1)
    return V, 10
