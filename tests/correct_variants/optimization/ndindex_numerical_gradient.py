"""A centered difference that walks x with np.ndindex and restores each entry from a saved copy.

module: optimization
"""


def numerical_gradient_centered(f, x, h=1e-5):
    grad = np.zeros(x.shape, dtype=np.float64)
    for index in np.ndindex(*x.shape):
        saved = x[index].copy()
        try:
            x[index] = saved + h
            plus = f(x)
            x[index] = saved - h
            minus = f(x)
        finally:
            x[index] = saved
        grad[index] = (plus - minus) / (2 * h)
    return grad
