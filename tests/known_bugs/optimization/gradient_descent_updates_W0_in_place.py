"""gradient_descent updates W0 itself in place (W = W0; W -= ...): right values, caller's W0 changed.

module: optimization
caught_by: optimizers_leave_their_inputs_unchanged
hint: is the caller's W0 itself
"""


def gradient_descent(loss_grad_fn, W0, learning_rate, num_iters):
    W = W0
    loss_history = []
    for _ in range(num_iters):
        loss, dW = loss_grad_fn(W)
        loss_history.append(float(loss))
        W -= learning_rate * dW
    return W.copy(), loss_history
