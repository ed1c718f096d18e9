"""The regularization gradient is reg * W instead of 2 * reg * W.

module: softmax
caught_by: softmax_loss_naive_regularization
hint: the factor 2 is missing
"""


def softmax_loss_naive(W, X, y, reg):
    loss = 0.0
    dW = np.zeros(W.shape, dtype=np.result_type(W, X))
    for i in range(X.shape[0]):
        scores = X[i].dot(W)
        scores = scores - np.max(scores)
        sum_exp = np.sum(np.exp(scores))
        loss += np.log(sum_exp) - scores[y[i]]
        for j in range(W.shape[1]):
            dW[:, j] += (np.exp(scores[j]) / sum_exp - (j == y[i])) * X[i]
    loss /= X.shape[0]
    dW /= X.shape[0]
    loss += reg * np.sum(W * W)
    dW += reg * W
    return float(loss), dW
