"""Returns a list nested 100,000 deep (a RecursionError in the worker's encoder, before).

module: linear_svm
base: stub
score: zero
expect: linear_svm.svm_loss_naive returned a value nested more than 62 levels deep
"""


def _deep():
    value = []
    for _ in range(100_000):
        value = [value]
    return value


def svm_loss_naive(W, X, y, reg):
    return _deep(), np.zeros_like(W)


def svm_loss_vectorized(W, X, y, reg):
    return _deep(), np.zeros_like(W)
