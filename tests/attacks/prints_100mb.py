"""The reference, printing 100 MB on its first call.

module: linear_svm
score: full
"""
import sys

_correct_naive = svm_loss_naive
_printed = []


def svm_loss_naive(W, X, y, reg):
    if not _printed:
        _printed.append(True)
        sys.stdout.write("x" * (100 << 20))
    return _correct_naive(W, X, y, reg)
