# Known-wrong: the termination probability is taken in the state the option
# LEAVES instead of the one it arrives in (diag(beta) on the left of P_pi).
import numpy as np


def option_model(P, R, gamma, policy, beta):
    S = P.shape[0]
    P_pi = P[np.arange(S), policy]
    r_pi = R[np.arange(S), policy]
    M = np.eye(S) - gamma * (1.0 - beta)[:, None] * P_pi
    R_o = np.linalg.solve(M, r_pi)
    P_o = np.linalg.solve(M, gamma * beta[:, None] * P_pi)
    return R_o, P_o
