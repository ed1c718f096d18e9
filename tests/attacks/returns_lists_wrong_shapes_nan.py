"""Returns dW as a list (naive) and a transposed dW with a nan loss (vectorized).

module: linear_svm
base: stub
score: zero
expect: should return dW as a numpy array
"""


def svm_loss_naive(W, X, y, reg):
    return 1.0, np.zeros_like(W).tolist()


def svm_loss_vectorized(W, X, y, reg):
    return float("nan"), np.zeros_like(W).T
