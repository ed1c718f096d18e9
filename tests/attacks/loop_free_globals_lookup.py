"""A "vectorized" loss that finds the naive one in globals() by a computed name.

module: linear_svm
score: below_full
expect: a use of globals() in svm_loss_vectorized
"""


def svm_loss_vectorized(W, X, y, reg):
    return globals()["svm_loss_" + "naive"](W, X, y, reg)
