"""affine_backward averages dout over the batch for db instead of summing it.

module: layers
caught_by: affine_layer
hint: sum dout over axis 0
"""


def affine_backward(dout, cache):
    x, w, b = cache
    dx = (dout @ w.T).reshape(x.shape)
    dw = x.reshape(x.shape[0], -1).T @ dout
    db = dout.mean(axis=0)
    return dx, dw, db
