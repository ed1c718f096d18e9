"""numerical_gradient_centered takes the forward difference (f(x + h) - f(x)) / h.

module: optimization
caught_by: numerical_gradient_centered_known_functions
hint: this is the forward difference
"""


def numerical_gradient_centered(f, x, h=1e-5):
    grad = np.zeros(x.shape)
    fx = f(x)
    for ix in np.ndindex(x.shape):
        old = x[ix]
        x[ix] = old + h
        grad[ix] = (f(x) - fx) / h
        x[ix] = old
    return grad
