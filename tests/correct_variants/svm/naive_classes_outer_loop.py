"""A naive loss with the loops the other way round (classes outside, examples inside).

module: linear_svm
"""


def svm_loss_naive(W, X, y, reg):
    N, C = X.shape[0], W.shape[1]
    dW = np.zeros(W.shape)
    loss = 0.0
    for j in range(C):
        for i in range(N):
            if j == y[i]:
                continue
            margin = X[i] @ W[:, j] - X[i] @ W[:, y[i]] + 1
            if margin > 0:
                loss += margin / N
                dW[:, j] += X[i] / N
                dW[:, y[i]] -= X[i] / N
    return loss + reg * (W ** 2).sum(), dW + 2 * reg * W
