"""random_search draws from the global np.random instead of the seeded generator.

module: optimization
caught_by: random_search_follows_the_seed
hint: rng = np.random.default_rng(seed)
"""


def random_search(loss_fn, shape, num_tries=1000, scale=1e-3, seed=None):
    best_W, best_loss = None, float("inf")
    for _ in range(num_tries):
        W = scale * np.random.randn(*shape)
        loss = float(loss_fn(W))
        if loss < best_loss:
            best_W, best_loss = W, loss
    return best_W, best_loss
