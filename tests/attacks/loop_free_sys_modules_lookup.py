"""A "vectorized" loss that finds its module in sys.modules and calls the naive loss.

module: linear_svm
score: below_full
expect: a use of sys.modules in svm_loss_vectorized
"""
import sys as _interpreter


def svm_loss_vectorized(W, X, y, reg):
    return _interpreter.modules[__name__].svm_loss_naive(W, X, y, reg)
