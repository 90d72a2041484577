# Known-wrong: ranks the candidates by ascending fitness, as if it were a cost
# to minimise (the convention of the `cma` library), so the distribution moves
# towards the worst candidates.
import numpy as np


def cma_update(mean, sigma, cov, candidates, fitness, weights, c1, cmu, p_c):
    y = (np.asarray(candidates) - mean) / sigma
    best = y[np.argsort(np.asarray(fitness), kind="stable")[:len(weights)]]
    new_mean = mean + sigma * weights @ best
    rank_mu = np.einsum("i,ij,ik->jk", weights, best, best)
    new_cov = (1 - c1 - cmu) * cov + c1 * np.outer(p_c, p_c) + cmu * rank_mu
    return new_mean, new_cov
