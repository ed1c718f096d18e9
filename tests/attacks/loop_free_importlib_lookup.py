"""A "vectorized" loss that imports its own module again with importlib and calls the naive loss.

module: linear_svm
score: below_full
expect: a use of importlib.import_module in svm_loss_vectorized
"""
import importlib


def svm_loss_vectorized(W, X, y, reg):
    return importlib.import_module("lib.linear_svm").svm_loss_naive(W, X, y, reg)
