# Known-wrong: no stop-gradient -- the targets encode(obs[:, k]) keep their
# gradient, so the loss also pulls the encoder's targets towards the
# predictions (same value, wrong gradient).


def latent_consistency(encode, step, obs, act):
    z = encode(obs[:, 0])
    target = encode(obs[:, 1:])
    K, total = act.shape[1], 0.0
    for k in range(K):
        z = step(z, act[:, k])
        total = total + (z - target[:, k]).square().sum(-1).mean()
    return total / K
