# Known-wrong: greedy in the immediate reward only (ignores V and gamma).
def greedy_policy(P, R, gamma, V):
    return R.argmax(axis=1)
