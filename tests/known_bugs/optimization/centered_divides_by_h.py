"""numerical_gradient_centered divides f(x + h) - f(x - h) by h instead of 2h.

module: optimization
caught_by: numerical_gradient_centered_known_functions
hint: divide f(x + h) - f(x - h) by 2 * h
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
        grad[ix] = (plus - minus) / h
    return grad
