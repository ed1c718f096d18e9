"""Functions that the optimization checks hand to the student's optimizers (see __init__.py).

A check passes `FunctionRef("optimization.quadratic", A, b)`; the worker calls `quadratic(A, b)`
and gives the student's kernel the function it returns.
"""
import numpy as np

__all__ = ["quadratic", "quadratic_loss_grad"]


def quadratic(A, b):
    """f(x) = 0.5 * x·(A x) - b·x for x of any shape (flattened), A (n, n) symmetric, b (n,)."""
    def f(x):
        v = np.ravel(x)
        return float(0.5 * v @ (A @ v) - b @ v)
    return f


def quadratic_loss_grad(A, b):
    """(f(x), ∇f(x)) of `quadratic(A, b)`: ∇f(x) = A x - b, shaped like x."""
    f = quadratic(A, b)

    def loss_grad(x):
        return f(x), np.reshape(A @ np.ravel(x) - b, np.shape(x))
    return loss_grad
