"""Returns objects that claim to equal anything and to be any array.

module: linear_svm
base: stub
score: zero
expect: which the grader cannot use
"""


class Liar(float):
    def __eq__(self, other):
        return True

    def __array__(self, *args, **kwargs):
        return np.zeros(1)


class LiarArray:
    shape = None

    def __eq__(self, other):
        return True

    def __array__(self, *args, **kwargs):
        return np.zeros(1)


def svm_loss_naive(W, X, y, reg):
    return LiarArray(), LiarArray()


def svm_loss_vectorized(W, X, y, reg):
    return Liar(5.266666666666667), LiarArray()
