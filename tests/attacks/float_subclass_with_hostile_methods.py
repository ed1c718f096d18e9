"""Returns the right loss as a float subclass whose __eq__ says yes to anything and whose __float__
and __repr__ lie: only exact floats cross.

module: linear_svm
base: stub
score: zero
expect: returned an object of type Agreeable (a subclass of float)
"""


class Agreeable(float):
    def __eq__(self, other):
        return True

    def __ne__(self, other):
        return False

    def __float__(self):
        return 5.266666666666667

    def __repr__(self):
        return "5.266666666666667"

    __hash__ = float.__hash__


def svm_loss_naive(W, X, y, reg):
    return Agreeable(0.0), np.zeros_like(W)


def svm_loss_vectorized(W, X, y, reg):
    return Agreeable(0.0), np.zeros_like(W)
