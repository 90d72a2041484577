# Known-wrong: ignores which member each particle follows -- every particle
# takes member 0's prediction.


def ts_step(means, stds, member, noise):
    return means[0] + stds[0] * noise
