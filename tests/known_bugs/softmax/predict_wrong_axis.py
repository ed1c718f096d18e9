"""predict takes the argmax over the examples (axis=0) instead of over the classes.

module: linear_classifier
caught_by: softmax_train_predict
hint: argmax over the classes, axis=1
"""


def _predict(self, X):
    return np.argmax(X @ self.W, axis=0)


LinearClassifier.predict = _predict
