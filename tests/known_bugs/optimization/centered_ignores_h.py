"""numerical_gradient_centered uses a fixed step of 1e-5 whatever h it is given.

module: optimization
caught_by: numerical_gradient_error_order
hint: use the step h passed as an argument
"""


def numerical_gradient_centered(f, x, h=1e-5):
    step = 1e-5
    grad = np.zeros(x.shape)
    for ix in np.ndindex(x.shape):
        old = x[ix]
        x[ix] = old + step
        plus = f(x)
        x[ix] = old - step
        minus = f(x)
        x[ix] = old
        grad[ix] = (plus - minus) / (2 * step)
    return grad
