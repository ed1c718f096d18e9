"""A two-layer fully connected neural network built from the layers in `layers.py`."""
import numpy as np

from .layers import affine_backward, affine_forward, relu_backward, relu_forward, softmax_loss


class TwoLayerNet:
    """
    A two-layer fully connected neural network with a ReLU nonlinearity and a
    softmax loss:

        input - affine - relu - affine - softmax

    The input has dimension D (input_dim), the hidden layer H (hidden_dim), and
    the network classifies into C (num_classes) classes. The learnable
    parameters are stored in the dictionary self.params:
    - W1: First layer weights, of shape (D, H)
    - b1: First layer biases, of shape (H,)
    - W2: Second layer weights, of shape (H, C)
    - b2: Second layer biases, of shape (C,)
    """

    def __init__(self, input_dim=3072, hidden_dim=100, num_classes=10,
                 weight_scale=1e-3, reg=0.0, seed=None):
        """
        Initialize a new network.

        Inputs:
        - input_dim: (integer) D, the size of the input.
        - hidden_dim: (integer) H, the size of the hidden layer.
        - num_classes: (integer) C, the number of classes.
        - weight_scale: (float) standard deviation of the random weights.
        - reg: (float) L2 regularization strength; the loss adds
          0.5 * reg * (sum(W1 ** 2) + sum(W2 ** 2)).
        - seed: (integer or None) seed of the random generator that draws W1,
          then W2, as weight_scale * rng.standard_normal(shape); biases are zero.
        """
        self.reg = reg
        rng = np.random.default_rng(seed)
        self.params = {}
        self.params["W1"] = weight_scale * rng.standard_normal((input_dim, hidden_dim))
        self.params["b1"] = np.zeros(hidden_dim)
        self.params["W2"] = weight_scale * rng.standard_normal((hidden_dim, num_classes))
        self.params["b2"] = np.zeros(num_classes)

    def loss(self, X, y=None):
        """
        Compute the loss and gradients for a minibatch of data.

        Inputs:
        - X: A numpy array of shape (N, D) containing a minibatch of input data.
        - y: A numpy array of shape (N,) of labels; y[i] gives the label for X[i]
          and 0 <= y[i] < C. None for a test-time forward pass.

        Returns:
        If y is None, run a test-time forward pass and return:
        - scores: A numpy array of shape (N, C) giving classification scores,
          where scores[i, c] is the score for class c on input X[i].

        If y is not None, run a training-time forward and backward pass and
        return a tuple of:
        - loss: (float) data loss (softmax_loss on the scores) plus the
          regularization loss 0.5 * reg * (sum(W1 ** 2) + sum(W2 ** 2)); biases
          are not regularized.
        - grads: A dictionary with the same keys as self.params, mapping
          parameter names to gradients of the loss with respect to those
          parameters (same shapes).

        Use affine_forward, relu_forward, affine_forward and softmax_loss, then
        their backward functions in reverse order.
        """
        W1, b1 = self.params["W1"], self.params["b1"]
        W2, b2 = self.params["W2"], self.params["b2"]
        scores, loss, grads = None, None, {}
        ### BEGIN SOLUTION
        hidden, _ = affine_forward(X, W1, b1)
        hidden_relu, relu_cache = relu_forward(hidden)
        scores, affine2_cache = affine_forward(hidden_relu, W2, b2)

        if y is not None:
            data_loss, dscores = softmax_loss(scores, y)
            loss = data_loss + 0.5 * self.reg * (np.sum(W1 * W1) + np.sum(W2 * W2))

            dhidden_relu, grads["W2"], grads["b2"] = affine_backward(dscores, affine2_cache)
            dhidden = relu_backward(dhidden_relu, relu_cache)
            # The input layer's dX is never needed, and affine_backward would spend the step's
            # largest product (N x H x D) on it: form only dW1 and db1.
            grads["W1"] = X.reshape(X.shape[0], -1).T @ dhidden + self.reg * W1
            grads["b1"] = dhidden.sum(axis=0)
            grads["W2"] = grads["W2"] + self.reg * W2
        ### END SOLUTION
        if y is None:
            return scores
        return float(loss), grads

    def train(self, X, y, X_val, y_val, learning_rate=1e-3, learning_rate_decay=0.95,
              num_iters=100, batch_size=200, verbose=False, seed=None):
        """
        Train this neural network using minibatch stochastic gradient descent.

        Inputs:
        - X: A numpy array of shape (N, D) giving training data.
        - y: A numpy array of shape (N,) giving training labels; y[i] = c means
          that X[i] has label c, where 0 <= c < C.
        - X_val: A numpy array of shape (N_val, D) giving validation data.
        - y_val: A numpy array of shape (N_val,) giving validation labels.
        - learning_rate: (float) learning rate for optimization.
        - learning_rate_decay: (float) factor used to decay the learning rate
          after each epoch.
        - num_iters: (integer) number of steps to take when optimizing.
        - batch_size: (integer) number of training examples to use per step.
        - verbose: (boolean) if true, print the loss every 100 iterations.
        - seed: (integer or None) seed of the random generator that draws the
          batches.

        Each iteration `it`:
        1. draws a batch with rng.choice(N, batch_size, replace=True);
        2. appends the loss on that batch to loss_history;
        3. updates every parameter: p = p - learning_rate * grad;
        4. when it % iterations_per_epoch == 0 (iteration 0 included), appends
           the accuracy on that batch (after the update) to train_acc_history
           and the accuracy on all of X_val to val_acc_history, then multiplies
           the learning rate by learning_rate_decay.

        Returns a dictionary with:
        - loss_history: A list of num_iters floats, the batch loss before each
          update.
        - train_acc_history: A list of floats, one per epoch.
        - val_acc_history: A list of floats, one per epoch.
        """
        rng = np.random.default_rng(seed)
        num_train = X.shape[0]
        iterations_per_epoch = max(num_train // batch_size, 1)

        loss_history = []
        train_acc_history = []
        val_acc_history = []

        for it in range(num_iters):
            ### BEGIN SOLUTION
            batch = rng.choice(num_train, batch_size, replace=True)
            X_batch, y_batch = X[batch], y[batch]

            loss, grads = self.loss(X_batch, y=y_batch)
            loss_history.append(loss)

            for name in self.params:
                self.params[name] = self.params[name] - learning_rate * grads[name]

            if it % iterations_per_epoch == 0:
                train_acc_history.append(float(np.mean(self.predict(X_batch) == y_batch)))
                val_acc_history.append(float(np.mean(self.predict(X_val) == y_val)))
                learning_rate *= learning_rate_decay
            ### END SOLUTION

            if verbose and it % 100 == 0:
                print(f"iteration {it} / {num_iters}: loss {loss_history[-1]:f}")

        return {
            "loss_history": loss_history,
            "train_acc_history": train_acc_history,
            "val_acc_history": val_acc_history,
        }

    def predict(self, X):
        """
        Use the trained weights of this network to predict labels for data points.

        Inputs:
        - X: A numpy array of shape (N, D) giving N D-dimensional data points to
          classify.

        Returns:
        - y_pred: A numpy array of shape (N,) giving predicted labels for each of
          the elements of X; y_pred[i] = c means that X[i] is predicted to have
          class c, where 0 <= c < C (the class with the highest score).
        """
        ### BEGIN SOLUTION
        y_pred = np.argmax(self.loss(X), axis=1)
        ### END SOLUTION
        return y_pred
