"""Right values, but affine_forward loops over the examples.

module: layers
caught_by: layers_loop_free
hint: one matrix product
"""


def affine_forward(x, w, b):
    rows = x.reshape(x.shape[0], -1)
    out = np.empty((x.shape[0], w.shape[1]))
    for i in range(x.shape[0]):
        out[i] = rows[i] @ w + b
    return out, (x, w, b)
