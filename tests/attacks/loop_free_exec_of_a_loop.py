"""A "vectorized" loss whose loop over the examples is compiled from a string.

module: linear_svm
score: below_full
expect: a use of exec() in svm_loss_vectorized
"""
_LOOPING_SOURCE = '''
def looping(W, X, y, reg):
    total = 0.0
    dW = np.zeros_like(W)
    for i in range(X.shape[0]):
        scores = X[i] @ W
        margins = np.maximum(0, scores - scores[y[i]] + 1)
        margins[y[i]] = 0
        total += margins.sum()
        active = (margins > 0).astype(W.dtype)
        active[y[i]] = -active.sum()
        dW += np.outer(X[i], active)
    return total / X.shape[0] + reg * np.sum(W * W), dW / X.shape[0] + 2 * reg * W
'''


def svm_loss_vectorized(W, X, y, reg):
    namespace = {"np": np}
    exec(_LOOPING_SOURCE, namespace)
    return namespace["looping"](W, X, y, reg)
