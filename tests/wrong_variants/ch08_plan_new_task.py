# Known-wrong: the reward is charged on the PREDICTED next state instead of the
# state the action is taken in (an off-by-one in time).
import torch


def plan_new_task(predict, reward_fn, obs0, candidates):
    N, H, _ = candidates.shape
    obs, scores = obs0.expand(N, -1), torch.zeros(N)
    for k in range(H):
        obs = predict(obs, candidates[:, k])
        scores = scores + reward_fn(obs, candidates[:, k])
    return scores, candidates[scores.argmax(), 0]
