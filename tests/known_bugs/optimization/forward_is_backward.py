"""numerical_gradient_forward takes the backward difference (f(x) - f(x - h)) / h.

module: optimization
caught_by: numerical_gradients_match_hidden_functions
hint: this is the backward difference
"""


def numerical_gradient_forward(f, x, h=1e-5):
    grad = np.zeros(x.shape)
    fx = f(x)
    for ix in np.ndindex(x.shape):
        old = x[ix]
        x[ix] = old - h
        grad[ix] = (fx - f(x)) / h
        x[ix] = old
    return grad
