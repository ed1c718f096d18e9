"""Max shift done, but the loss is -log of a probability, which underflows to 0 for score gaps of 1e4.

module: softmax
caught_by: softmax_loss_stable_for_large_scores
hint: not as the log of a probability
"""


def softmax_loss_vectorized(W, X, y, reg):
    N = X.shape[0]
    scores = X @ W
    exps = np.exp(scores - scores.max(axis=1, keepdims=True))
    probs = exps / exps.sum(axis=1, keepdims=True)
    loss = -np.log(probs[np.arange(N), y]).mean() + reg * np.sum(W * W)
    dscores = probs.copy()
    dscores[np.arange(N), y] -= 1
    dW = X.T @ dscores / N + 2 * reg * W
    return float(loss), dW
