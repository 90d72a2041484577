# Known-wrong: ignores theta.
def predecessor_priorities(Q, model, predecessors, s, gamma, theta):
    return [(abs(model[p][0] + gamma * Q[s].max() - Q[p]), *p)
            for p in predecessors.get(s, ())]
