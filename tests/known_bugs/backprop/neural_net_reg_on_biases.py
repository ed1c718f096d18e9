"""TwoLayerNet.loss regularizes the biases too (loss and gradients, consistently).

module: neural_net
caught_by: two_layer_net_regularization
hint: the biases b1, b2 are not regularized
"""


def _loss(self, X, y=None):
    hidden, cache1 = affine_forward(X, self.params["W1"], self.params["b1"])
    hidden_relu, relu_cache = relu_forward(hidden)
    scores, cache2 = affine_forward(hidden_relu, self.params["W2"], self.params["b2"])
    if y is None:
        return scores
    data_loss, dscores = softmax_loss(scores, y)
    loss = data_loss + 0.5 * self.reg * sum(np.sum(p * p) for p in self.params.values())
    grads = {}
    dhidden_relu, grads["W2"], grads["b2"] = affine_backward(dscores, cache2)
    _, grads["W1"], grads["b1"] = affine_backward(relu_backward(dhidden_relu, relu_cache), cache1)
    for name in grads:
        grads[name] = grads[name] + self.reg * self.params[name]
    return float(loss), grads


TwoLayerNet.loss = _loss
