"""Returns 10**5000 as the loss: Python refuses str() of it, which killed the worker as it encoded
the answer and showed the student the worker's own traceback.

module: linear_svm
base: stub
score: zero
expect: linear_svm.svm_loss_naive returned an integer with 5001 digits, which the grader cannot use
"""


def svm_loss_naive(W, X, y, reg):
    return 10 ** 5000, np.zeros_like(W)


def svm_loss_vectorized(W, X, y, reg):
    return 10 ** 5000, np.zeros_like(W)
