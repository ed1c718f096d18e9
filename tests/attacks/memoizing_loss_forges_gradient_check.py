"""A dW without its data part, behind a loss that remembers the points it was asked about and
answers every nearby W linearly with the dW it claimed there, so that every finite difference
taken around a point it has seen agrees with that dW.

module: linear_svm
base: reference
score: below_full
expect: not those of one function of W
twin: data_gradient_missing
"""

_honest_naive, _honest_vectorized = svm_loss_naive, svm_loss_vectorized
# (W, X, y, reg, loss, dW) of every call that was not near an earlier one.
_seen = []


def _remembering(honest):
    def loss_fn(W, X, y, reg):
        for W0, X0, y0, reg0, loss0, dW0 in _seen:
            if (W0.shape == W.shape and reg0 == reg and X0.shape == X.shape and np.array_equal(X0, X)
                    and np.array_equal(y0, y) and np.max(np.abs(W - W0)) < 1e-3):
                return loss0 + float(np.sum(dW0 * (W - W0))), dW0.copy()
        loss, _ = honest(W, X, y, reg)
        dW = 2 * reg * W
        _seen.append((W.copy(), X.copy(), np.array(y), reg, loss, dW.copy()))
        return loss, dW
    return loss_fn


svm_loss_naive = _remembering(_honest_naive)
svm_loss_vectorized = _remembering(_honest_vectorized)
