"""The functions the optimization checks hand to the student's optimizers, and their gradients.

They run only in the grader: checks/optimization.py wraps each in a `TrustedFunction`, so the
student's kernel gets a callable whose every call is computed here, and nothing of a function's
parameters (a quadratic's A and b, a loss's data) exists in the worker. The module ships with
the public checks in a release (they hand these functions to the student's optimizers too) and
is never copied into a worker.

Every function here has a known gradient; none is a course loss (the SVM and softmax losses are
the students' own work in other assignments).
"""
import numpy as np


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


def wavy(a, w, c):
    """f(x) = sum(a * sin(w * x)) + 0.5 * sum(c * x) ** 2, for a, w, c and x of one shape.

    Smooth, not separable (the squared sum couples every coordinate), with non-zero second and
    third derivatives, so that a forward difference is off by O(h) and a centered one by O(h**2).
    A 0-d x (a scalar) works too.
    """
    def f(x):
        return float(np.sum(a * np.sin(w * x)) + 0.5 * np.sum(c * x) ** 2)
    return f


def wavy_gradient(a, w, c):
    """The exact gradient of `wavy(a, w, c)`: a * w * cos(w * x) + c * sum(c * x)."""
    def grad(x):
        return a * w * np.cos(w * x) + c * np.sum(c * x)
    return grad


def _least_squares(W, X, y, num_classes, reg):
    """0.5 * mean_i ||X[i] W - onehot(y[i])||² + reg * sum(W²), and its gradient."""
    N = X.shape[0]
    residual = X @ W - np.eye(num_classes)[y]
    loss = 0.5 * np.sum(residual * residual) / N + reg * np.sum(W * W)
    return float(loss), X.T @ residual / N + 2 * reg * W


def least_squares_loss_grad(X, y, num_classes, reg):
    """W -> (loss, dW) of a linear least-squares classifier on the fixed data X (N, D), y (N,).

    Scores X @ W (W of shape (D, num_classes)) are regressed onto the one-hot labels.
    """
    def loss_grad(W):
        return _least_squares(W, X, y, num_classes, reg)
    return loss_grad


def least_squares_batch_loss_grad(num_classes, reg):
    """(W, X_batch, y_batch) -> (loss, dW) of the same least-squares classifier, on the batch given."""
    def loss_grad(W, X_batch, y_batch):
        return _least_squares(W, X_batch, y_batch, num_classes, reg)
    return loss_grad
