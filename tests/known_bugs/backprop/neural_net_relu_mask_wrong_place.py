"""TwoLayerNet.loss applies the ReLU mask to the scores' gradient instead of the hidden layer's.

module: neural_net
caught_by: two_layer_net_gradient_check
hint: the ReLU mask belongs to the hidden layer
"""


def _loss(self, X, y=None):
    W1, b1, W2, b2 = (self.params[k] for k in ("W1", "b1", "W2", "b2"))
    hidden, cache1 = affine_forward(X, W1, b1)
    hidden_relu, relu_cache = relu_forward(hidden)
    scores, cache2 = affine_forward(hidden_relu, W2, b2)
    if y is None:
        return scores
    data_loss, dscores = softmax_loss(scores, y)
    loss = data_loss + 0.5 * self.reg * (np.sum(W1 * W1) + np.sum(W2 * W2))
    grads = {}
    dhidden_relu, grads["W2"], grads["b2"] = affine_backward(relu_backward(dscores, scores), cache2)
    _, grads["W1"], grads["b1"] = affine_backward(dhidden_relu, cache1)
    grads["W1"] = grads["W1"] + self.reg * W1
    grads["W2"] = grads["W2"] + self.reg * W2
    return float(loss), grads


TwoLayerNet.loss = _loss
