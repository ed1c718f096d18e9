"""random_local_search moves by every random step, whether the loss drops or not.

module: optimization
caught_by: random_local_search_follows_the_seed
hint: keep a step only when it makes the loss strictly lower
"""


def random_local_search(loss_fn, W0, num_tries=1000, step_size=1e-3, seed=None):
    rng = np.random.default_rng(seed)
    W = W0.copy()
    for _ in range(num_tries):
        W = W + step_size * rng.standard_normal(W.shape)
    return W, float(loss_fn(W))
