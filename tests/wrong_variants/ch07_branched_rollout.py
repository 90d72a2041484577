# Known-wrong: every step restarts from the real start states, so the rollouts
# never branch beyond one step.
import numpy as np


def branched_rollout(starts, policy, model, k):
    parts = []
    for _ in range(k):
        a = policy(starts)
        s2, r = model(starts, a)
        parts.append((starts, a, r, s2))
    return tuple(np.concatenate(x) for x in zip(*parts, strict=True))
