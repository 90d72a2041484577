# Known-wrong: no hinge -- every bit of disagreement is charged (penalty * u /
# u_ref), even where the ensemble disagrees no more than on its training data.
import torch


def pessimistic_returns(predict_members, reward_fn, obs0, actions, penalty, u_ref):
    N, H, _ = actions.shape
    obs, total = obs0.expand(N, -1), torch.zeros(N)
    for t in range(H):
        nxt = predict_members(obs, actions[:, t])
        total = total + reward_fn(obs, actions[:, t])
        u = nxt.std(0, unbiased=False).norm(dim=-1)
        total = total - penalty * u / u_ref
        obs = nxt.mean(0)
    return total
