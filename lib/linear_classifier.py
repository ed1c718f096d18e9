"""A linear classifier trained by minibatch stochastic gradient descent.

`LinearSVM` and `Softmax` differ only in their loss; training and prediction are shared.
"""
import numpy as np

from .linear_svm import svm_loss_vectorized
from .softmax import softmax_loss_vectorized


class LinearClassifier:
    """Scores s = X @ W for W of shape (D, C); subclasses define `loss`."""

    def __init__(self):
        self.W = None

    def train(self, X, y, learning_rate=1e-3, reg=1e-5, num_iters=100,
              batch_size=200, verbose=False, seed=None):
        """
        Train this linear classifier using minibatch stochastic gradient descent.

        Inputs:
        - X: A numpy array of shape (N, D) containing training data; there are N
          training samples each of dimension D.
        - y: A numpy array of shape (N,) containing training labels; y[i] = c
          means that X[i] has label 0 <= c < C for C classes (C = y.max() + 1).
        - learning_rate: (float) learning rate for optimization.
        - reg: (float) regularization strength.
        - num_iters: (integer) number of steps to take when optimizing.
        - batch_size: (integer) number of training examples to use at each step.
        - verbose: (boolean) If true, print progress during optimization.
        - seed: (integer or None) seed of the random generator that draws the
          initial W (first call only) and every minibatch.

        Returns a list containing the value of the loss function at each training
        iteration (the loss on that iteration's batch, before its update).

        Each iteration draws a batch with `rng.choice(N, batch_size, replace=True)`,
        evaluates `self.loss` on it and updates `self.W = self.W - learning_rate * grad`.
        """
        rng = np.random.default_rng(seed)
        num_train, dim = X.shape
        num_classes = int(np.max(y)) + 1
        if self.W is None:
            # lazily initialize W, from the same generator that then draws the batches
            self.W = 0.001 * rng.standard_normal((dim, num_classes))

        loss_history = []
        # YOUR CODE HERE
        raise NotImplementedError("Implement LinearClassifier.train in lib/linear_classifier.py")
        return loss_history

    def predict(self, X):
        """
        Use the trained weights of this linear classifier to predict labels.

        Inputs:
        - X: A numpy array of shape (N, D) containing data.

        Returns:
        - y_pred: Predicted labels for the data in X, a numpy array of shape (N,)
          of integers; each element is the class with the highest score.
        """
        # YOUR CODE HERE
        raise NotImplementedError("Implement LinearClassifier.predict in lib/linear_classifier.py")
        return y_pred

    def loss(self, X_batch, y_batch, reg):
        """
        Compute the loss function and its derivative; subclasses override this.

        Inputs:
        - X_batch: A numpy array of shape (N, D) containing a minibatch of N data
          points; each point has dimension D.
        - y_batch: A numpy array of shape (N,) containing labels for the minibatch.
        - reg: (float) regularization strength.

        Returns: A tuple containing:
        - loss as a single float
        - gradient with respect to self.W; an array of the same shape as W
        """
        raise NotImplementedError("LinearClassifier.loss is defined by LinearSVM and Softmax.")


class LinearSVM(LinearClassifier):
    """A subclass that uses the multiclass SVM loss function."""

    def loss(self, X_batch, y_batch, reg):
        return svm_loss_vectorized(self.W, X_batch, y_batch, reg)


class Softmax(LinearClassifier):
    """A subclass that uses the softmax + cross-entropy loss function."""

    def loss(self, X_batch, y_batch, reg):
        return softmax_loss_vectorized(self.W, X_batch, y_batch, reg)
