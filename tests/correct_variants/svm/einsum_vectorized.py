"""A vectorized loss written with einsum and a one-hot matrix.

module: linear_svm
"""


def svm_loss_vectorized(W, X, y, reg):
    N, C = X.shape[0], W.shape[1]
    one_hot = np.eye(C)[y]
    scores = np.einsum("nd,dc->nc", X, W)
    correct = np.einsum("nc,nc->n", scores, one_hot)
    margins = np.maximum(0, scores - correct[:, None] + 1) * (1 - one_hot)
    active = (margins > 0).astype(float)
    dscores = active - one_hot * active.sum(axis=1, keepdims=True)
    return margins.sum() / N + reg * np.einsum("dc,dc->", W, W), np.einsum("nd,nc->dc", X, dscores) / N + 2 * reg * W
