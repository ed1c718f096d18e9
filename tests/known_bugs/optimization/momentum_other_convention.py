"""sgd_momentum uses v = momentum * v + dw, next_w = w - learning_rate * v: same steps for a fixed
learning rate, but config["velocity"] is not the contract's velocity.

module: optimization
caught_by: sgd_momentum_matches_reference
hint: v = momentum * v - learning_rate * dw
"""


def sgd_momentum(w, dw, config=None):
    if config is None:
        config = {}
    config.setdefault("learning_rate", 1e-2)
    config.setdefault("momentum", 0.9)
    config.setdefault("velocity", np.zeros_like(w))
    v = config["momentum"] * config["velocity"] + dw
    config["velocity"] = v
    return w - config["learning_rate"] * v, config
