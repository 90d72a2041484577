# Known-wrong: charges a reward on the final state s_H too (lambda_H = -2 s_H
# instead of 0), an off-by-one in the backward recursion.
import numpy as np


def plan_gradient(actions, s0, alpha, beta, rho):
    a = np.asarray(actions, dtype=float)
    H = len(a)
    s = np.empty(H + 1)
    s[0] = s0
    for t in range(H):
        s[t + 1] = alpha * s[t] + beta * a[t]
    grad = np.empty(H)
    lam_next = -2 * s[H]
    for t in range(H - 1, -1, -1):
        grad[t] = -2 * rho * a[t] + beta * lam_next
        lam_next = -2 * s[t] + alpha * lam_next
    return grad
