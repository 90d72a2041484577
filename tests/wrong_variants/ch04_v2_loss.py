# Known-wrong: the sign is flipped (maximising cost).
import torch


def model_return_loss(policy, model_step, reward_fn, starts, horizon):
    obs, total = starts, torch.zeros(starts.shape[0])
    for _ in range(horizon):
        act = policy(obs)
        total = total + reward_fn(obs, act)
        obs = model_step(obs, act)
    return total.mean()
