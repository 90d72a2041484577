# Known-wrong: bootstraps even after a terminal transition.
def dyna_planning(Q, model, n, alpha, gamma, rng):
    pairs = list(model)
    for _ in range(n):
        s, a = pairs[rng.integers(len(pairs))]
        r, s2, _ = model[(s, a)]
        Q[s, a] += alpha * (r + gamma * Q[s2].max() - Q[s, a])
    return Q
