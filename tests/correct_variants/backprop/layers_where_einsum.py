"""Layers with np.where, np.einsum, np.dot and a log-sum-exp softmax.

module: layers
"""


def affine_forward(x, w, b):
    out = np.dot(x.reshape(len(x), -1), w) + b
    return out, (x, w, b)


def affine_backward(dout, cache):
    x, w, b = cache
    flat = x.reshape(len(x), -1)
    return np.einsum("nm,dm->nd", dout, w).reshape(x.shape), np.einsum("nd,nm->dm", flat, dout), dout.sum(0)


def relu_forward(x):
    return np.where(x > 0, x, 0.0), x


def relu_backward(dout, cache):
    return np.where(cache > 0, dout, 0.0)


def softmax_loss(x, y):
    N = len(x)
    top = x.max(axis=1, keepdims=True)
    lse = top + np.log(np.exp(x - top).sum(axis=1, keepdims=True))
    loss = np.mean(lse[:, 0] - x[np.arange(N), y])
    probs = np.exp(x - lse)
    probs[np.arange(N), y] -= 1
    return loss, probs / N


def svm_loss(x, y):
    N = len(x)
    margins = np.maximum(0, x - np.take_along_axis(x, y[:, None], axis=1) + 1)
    margins[np.arange(N), y] = 0
    counts = (margins > 0).astype(x.dtype)
    counts[np.arange(N), y] = -counts.sum(axis=1)
    return margins.sum() / N, counts / N
