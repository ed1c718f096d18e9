"""No max shift: np.exp of scores of magnitude 1e4 overflows to inf (right on ordinary scores).

module: softmax
caught_by: softmax_loss_stable_for_large_scores
hint: subtract each row's own maximum score
"""


def softmax_loss_naive(W, X, y, reg):
    loss = 0.0
    dW = np.zeros(W.shape, dtype=np.result_type(W, X))
    for i in range(X.shape[0]):
        scores = X[i].dot(W)
        exps = np.exp(scores)
        probs = exps / np.sum(exps)
        loss += -np.log(probs[y[i]])
        for j in range(W.shape[1]):
            dW[:, j] += (probs[j] - (j == y[i])) * X[i]
    loss /= X.shape[0]
    dW /= X.shape[0]
    loss += reg * np.sum(W * W)
    dW += 2 * reg * W
    return float(loss), dW
