"""A "vectorized" loss that reaches the naive one with getattr on its own module.

module: linear_svm
score: below_full
expect: a call to getattr() with a computed name
"""


def svm_loss_vectorized(W, X, y, reg):
    from . import linear_svm as this_module
    return getattr(this_module, "svm_loss_" + "naive")(W, X, y, reg)
