"""numerical_gradient_centered writes `/ 2 * h`, which multiplies by h instead of dividing by 2h.

module: optimization
caught_by: numerical_gradient_centered_known_functions
hint: write `/ (2 * h)`
"""


def numerical_gradient_centered(f, x, h=1e-5):
    grad = np.zeros(x.shape)
    for ix in np.ndindex(x.shape):
        old = x[ix]
        x[ix] = old + h
        plus = f(x)
        x[ix] = old - h
        minus = f(x)
        x[ix] = old
        grad[ix] = (plus - minus) / 2 * h
    return grad
