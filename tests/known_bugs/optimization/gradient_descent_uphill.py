"""gradient_descent adds the gradient (W += learning_rate * dW): it climbs.

module: optimization
caught_by: gradient_descent_follows_the_contract
hint: subtract learning_rate times the gradient
"""


def gradient_descent(loss_grad_fn, W0, learning_rate, num_iters):
    W = W0.copy()
    loss_history = []
    for _ in range(num_iters):
        loss, dW = loss_grad_fn(W)
        loss_history.append(float(loss))
        W += learning_rate * dW
    return W, loss_history
