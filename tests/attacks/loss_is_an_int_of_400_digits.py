"""Returns a 400-digit int as the loss (OverflowError in float(), "a problem in the grader", before).

module: linear_svm
base: stub
score: zero
expect: linear_svm.svm_loss_naive returned an integer with 400 digits, which the grader cannot use
"""


def svm_loss_naive(W, X, y, reg):
    return 10 ** 399, np.zeros_like(W)


def svm_loss_vectorized(W, X, y, reg):
    return 10 ** 399, np.zeros_like(W)
