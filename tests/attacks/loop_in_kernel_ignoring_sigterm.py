"""svm_loss_naive never returns, and the process ignores SIGTERM.

module: linear_svm
score: below_full
expect: did not finish within the time limit
"""
import signal

signal.signal(signal.SIGTERM, signal.SIG_IGN)


def svm_loss_naive(W, X, y, reg):
    while True:
        pass
