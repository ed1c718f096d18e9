"""Reference kernels against their BLAS floor, and naive against vectorized.

The floor of a kernel is the matrix products it cannot avoid, timed on the same arrays in the
same run; the ratio kernel / floor is what the targets (≤ 1.5x) are about.
"""
import numpy as np
from common import ratio

from solutions.layers import affine_backward, affine_forward, relu_backward, relu_forward
from solutions.linear_svm import svm_loss_naive, svm_loss_vectorized
from solutions.neural_net import TwoLayerNet
from solutions.softmax import softmax_loss_naive, softmax_loss_vectorized


def linear_problem(N=500, D=3073, C=10, seed=0):
    rng = np.random.default_rng(seed)
    return (1e-3 * rng.standard_normal((D, C)), rng.standard_normal((N, D)), rng.integers(0, C, N),
            rng.standard_normal((N, C)))


def linear_losses(rounds):
    """{name: (ratio, kernel s, floor s)} for svm and softmax vectorized vs X @ W and X.T @ dS."""
    W, X, y, dS = linear_problem()
    floor = lambda: (X @ W, X.T @ dS)  # noqa: E731
    return {"svm_loss_vectorized": ratio(lambda: svm_loss_vectorized(W, X, y, 2.5e4), floor, rounds),
            "softmax_loss_vectorized": ratio(lambda: softmax_loss_vectorized(W, X, y, 2.5e4), floor, rounds)}


def layers_backward(rounds):
    """affine_backward vs its two GEMMs (dout @ w.T, x.T @ dout); relu_backward vs one pass."""
    rng = np.random.default_rng(1)
    x, w, b = rng.standard_normal((500, 3072)), rng.standard_normal((3072, 100)), np.zeros(100)
    _, cache = affine_forward(x, w, b)
    dout = rng.standard_normal((500, 100))
    h = rng.standard_normal((500, 3072))
    _, relu_cache = relu_forward(h)
    dh = rng.standard_normal(h.shape)
    return {"affine_backward": ratio(lambda: affine_backward(dout, cache), lambda: (dout @ w.T, x.T @ dout), rounds),
            # a ReLU backward cannot beat reading its two inputs and writing one output once
            "relu_backward": ratio(lambda: relu_backward(dh, relu_cache), lambda: np.multiply(dh, h), rounds)}


def two_layer_step(N, rounds):
    """TwoLayerNet.loss with gradients (3072 -> 100 -> 10) vs the GEMMs a step cannot avoid:
    X @ W1, hidden @ W2, dscores @ W2.T, hidden.T @ dscores, X.T @ dhidden (not X's gradient)."""
    rng = np.random.default_rng(2)
    net = TwoLayerNet(3072, 100, 10, weight_scale=1e-3, reg=0.1, seed=0)
    X, y = rng.standard_normal((N, 3072)), rng.integers(0, 10, N)
    W1, W2 = net.params["W1"], net.params["W2"]
    hidden, dscores, dhidden = (rng.standard_normal((N, 100)), rng.standard_normal((N, 10)),
                                rng.standard_normal((N, 100)))
    floor = lambda: (X @ W1, hidden @ W2, dscores @ W2.T, hidden.T @ dscores, X.T @ dhidden)  # noqa: E731
    return ratio(lambda: net.loss(X, y), floor, rounds, repeat=3)


def naive_vs_vectorized(repeat):
    """{loss: naive time / vectorized time} on the CS231n dev-set shape (N=500, D=3073, C=10)."""
    from common import median_time

    W, X, y, _ = linear_problem()
    return {name: median_time(lambda: naive(W, X, y, 5e-6), max(1, repeat // 3))
            / median_time(lambda: vectorized(W, X, y, 5e-6), repeat)
            for name, naive, vectorized in (("svm", svm_loss_naive, svm_loss_vectorized),
                                            ("softmax", softmax_loss_naive, softmax_loss_vectorized))}
