"""A loss that turns the grader's line counter off, runs the naive loop, and turns it back on.

module: linear_svm
score: below_full
expect: a use of sys.settrace in svm_loss_vectorized
"""
import sys as _interpreter


def svm_loss_vectorized(W, X, y, reg):
    tracer = _interpreter.gettrace()
    _interpreter.settrace(None)
    try:
        return svm_loss_naive(W, X, y, reg)
    finally:
        _interpreter.settrace(tracer)
