# Known-wrong: the discount is dropped after the first sweep (off by one):
# a single backup r_pi + gamma * P_pi @ 0 is returned.
import numpy as np


def policy_evaluation(P, R, gamma, pi, tol=1e-8):
    r_pi = (pi * R).sum(axis=1)
    return r_pi + gamma * np.einsum("sa,sat->st", pi, P) @ np.zeros(P.shape[0])
