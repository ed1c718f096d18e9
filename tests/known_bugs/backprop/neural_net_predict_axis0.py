"""TwoLayerNet.predict takes the argmax over the examples (axis 0) instead of over the classes.

module: neural_net
caught_by: two_layer_net_predict
hint: argmax over the classes, axis=1
"""


def _predict(self, X):
    return np.argmax(self.loss(X), axis=0)


TwoLayerNet.predict = _predict
