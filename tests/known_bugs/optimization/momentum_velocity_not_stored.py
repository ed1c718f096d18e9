"""sgd_momentum computes the new velocity but does not store it in config.

module: optimization
caught_by: sgd_momentum_update
hint: store the new velocity in config['velocity']
"""


def sgd_momentum(w, dw, config=None):
    if config is None:
        config = {}
    config.setdefault("learning_rate", 1e-2)
    config.setdefault("momentum", 0.9)
    config.setdefault("velocity", np.zeros_like(w))
    v = config["momentum"] * config["velocity"] - config["learning_rate"] * dw
    return w + v, config
