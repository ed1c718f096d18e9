"""random_search returns the last W it tried (and its loss), not the best one.

module: optimization
caught_by: random_search_follows_the_seed
hint: keep the W with the lowest loss seen so far
"""


def random_search(loss_fn, shape, num_tries=1000, scale=1e-3, seed=None):
    rng = np.random.default_rng(seed)
    W, loss = None, float("inf")
    for _ in range(num_tries):
        W = scale * rng.standard_normal(shape)
        loss = float(loss_fn(W))
    return W, loss
