"""Both versions clip the correct class's probability at 1e-15 "to avoid log(0)": each example's loss
is capped near 34.5, so logits of magnitude 1e4 give a loss far too small (right on ordinary scores,
and the two versions agree with each other).

module: softmax
caught_by: softmax_loss_stable_matches_reference
hint: clipping it, or adding a small epsilon before the log
"""


def softmax_loss_naive(W, X, y, reg):
    loss = 0.0
    dW = np.zeros(W.shape, dtype=np.result_type(W, X))
    for i in range(X.shape[0]):
        scores = X[i].dot(W)
        exps = np.exp(scores - np.max(scores))
        probs = exps / np.sum(exps)
        loss += -np.log(max(probs[y[i]], 1e-15))
        for j in range(W.shape[1]):
            dW[:, j] += (probs[j] - (j == y[i])) * X[i]
    loss /= X.shape[0]
    dW /= X.shape[0]
    loss += reg * np.sum(W * W)
    dW += 2 * reg * W
    return float(loss), dW


def softmax_loss_vectorized(W, X, y, reg):
    N = X.shape[0]
    scores = X @ W
    exps = np.exp(scores - scores.max(axis=1, keepdims=True))
    probs = exps / exps.sum(axis=1, keepdims=True)
    loss = -np.log(np.maximum(probs[np.arange(N), y], 1e-15)).mean() + reg * np.sum(W * W)
    dscores = probs.copy()
    dscores[np.arange(N), y] -= 1
    dW = X.T @ dscores / N + 2 * reg * W
    return float(loss), dW
