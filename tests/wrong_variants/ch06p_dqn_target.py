# Known-wrong: bootstraps through terminations (no terminal mask).
def dqn_target(rew, terminated, next_q, gamma):
    return rew + gamma * next_q.max(axis=1)
