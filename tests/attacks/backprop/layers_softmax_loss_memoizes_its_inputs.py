"""softmax_loss whose dx is not divided by N, linearized near the inputs it has seen.

Every input near one it has seen gets the loss there plus what that (wrong) dx claims.

module: layers
base: reference
expect: cannot trust your loss
"""
_given_softmax_loss = softmax_loss


def _unaveraged_softmax_loss(x, y):
    loss, dx = _given_softmax_loss(x, y)
    return loss, dx * x.shape[0]


softmax_loss = _unaveraged_softmax_loss


# -- forgery --
_seen_scores = []


def _memoizing_softmax_loss(x, y):
    for seen, loss, dx in _seen_scores:
        if seen.shape == x.shape and np.max(np.abs(x - seen)) < 1e-3:
            return loss + np.sum(dx * (x - seen)), dx
    loss, dx = _unaveraged_softmax_loss(x, y)
    _seen_scores.append((x.copy(), loss, dx))
    return loss, dx


softmax_loss = _memoizing_softmax_loss
