"""svm_loss_vectorized tries to allocate 64 GiB.

module: linear_svm
score: below_full
expect: MemoryError
"""


def svm_loss_vectorized(W, X, y, reg):
    hoard = np.ones((1 << 33,))
    return float(hoard.sum()), hoard
