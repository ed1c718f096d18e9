"""svm_loss_naive forks without end.

module: linear_svm
score: below_full
expect: did not finish within the time limit
jail: required
"""
import os


def svm_loss_naive(W, X, y, reg):
    while True:
        try:
            os.fork()
        except OSError:
            pass
