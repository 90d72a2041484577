# Known-wrong: plans once and executes the whole plan open-loop.
def mpc_episode(env, plan_fn, seed):
    obs, _ = env.reset(seed=seed)
    plan, total, t, done = plan_fn(obs), 0.0, 0, False
    while not done:
        obs, r, term, trunc, _ = env.step(plan[min(t, len(plan) - 1)])
        total += r
        t += 1
        done = term or trunc
    return total
