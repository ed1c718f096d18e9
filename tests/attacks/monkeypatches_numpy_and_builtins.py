"""Stubs returning zeros, with numpy's comparisons and builtins patched to always agree.

module: linear_svm
base: stub
score: zero
expect: does not match
"""
import builtins
import math

np.allclose = lambda *args, **kwargs: True
np.isclose = lambda *args, **kwargs: True
np.array_equal = lambda *args, **kwargs: True
math.isclose = lambda *args, **kwargs: True
builtins.abs = lambda value: 0
builtins.max = lambda *args, **kwargs: 0


def svm_loss_naive(W, X, y, reg):
    return 0.0, np.zeros_like(W)


def svm_loss_vectorized(W, X, y, reg):
    return 0.0, np.zeros_like(W)
