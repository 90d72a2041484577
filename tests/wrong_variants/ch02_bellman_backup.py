# Known-wrong: averages over actions instead of maximising.


def bellman_optimality_backup(P, R, gamma, V):
    return (R + gamma * P @ V).mean(axis=1)
