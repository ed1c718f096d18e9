"""Right values, but the "vectorized" loss loops over the examples.

module: linear_svm
caught_by: svm_loss_vectorized_loop_free
hint: calls svm_loss_naive
"""


def svm_loss_vectorized(W, X, y, reg):
    return svm_loss_naive(W, X, y, reg)
