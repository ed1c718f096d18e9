"""numerical_gradient_centered leaves each entry of x at old - h instead of restoring it.

module: optimization
caught_by: numerical_gradient_input_restored
hint: left at old - h
"""


def numerical_gradient_centered(f, x, h=1e-5):
    grad = np.zeros(x.shape)
    for ix in np.ndindex(x.shape):
        old = x[ix]
        x[ix] = old + h
        plus = f(x)
        x[ix] = old - h
        minus = f(x)
        grad[ix] = (plus - minus) / (2 * h)
    return grad
