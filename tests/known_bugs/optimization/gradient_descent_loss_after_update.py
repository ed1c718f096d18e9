"""gradient_descent records the loss after each update instead of before it.

module: optimization
caught_by: gradient_descent_follows_the_contract
hint: record each iteration's loss before its update
"""


def gradient_descent(loss_grad_fn, W0, learning_rate, num_iters):
    W = W0.copy()
    loss_history = []
    for _ in range(num_iters):
        _, dW = loss_grad_fn(W)
        W = W - learning_rate * dW
        loss_history.append(float(loss_grad_fn(W)[0]))
    return W, loss_history
