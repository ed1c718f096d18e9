"""numerical_gradient_forward adds h to each entry of x and never takes it away.

module: optimization
caught_by: numerical_gradient_input_restored
hint: left at old + h
"""


def numerical_gradient_forward(f, x, h=1e-5):
    grad = np.zeros(x.shape)
    for ix in np.ndindex(x.shape):
        fx = f(x)
        x[ix] += h
        grad[ix] = (f(x) - fx) / h
    return grad
