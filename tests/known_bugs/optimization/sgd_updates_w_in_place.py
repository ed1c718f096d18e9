"""sgd updates w in place (w -= ...) and returns it: right values, the caller's w changed.

module: optimization
caught_by: update_rules_leave_w_unchanged
hint: is the caller's w itself
"""


def sgd(w, dw, config=None):
    if config is None:
        config = {}
    config.setdefault("learning_rate", 1e-2)
    w -= config["learning_rate"] * dw
    return w, config
