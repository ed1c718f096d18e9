"""affine_backward returns dx as (N, D) instead of reshaping it to x's shape (N, d1, ..., dk).

module: layers
caught_by: affine_layer
hint: reshape it to x.shape
"""


def affine_backward(dout, cache):
    x, w, b = cache
    dx = dout @ w.T
    dw = x.reshape(x.shape[0], -1).T @ dout
    db = dout.sum(axis=0)
    return dx, dw, db
