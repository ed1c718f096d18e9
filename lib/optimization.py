"""Optimization: numerical gradients, random search, gradient descent and update rules.

Strategies from the lecture "Loss Functions and Optimization", from worst to best:
random search (try random weights, keep the best), random local search (try a random step,
keep it when the loss drops), following the gradient (full batch, then minibatches), and the
update rules SGD, SGD with momentum and Adam (as in CS231n's `optim.py`).

Randomness: a `seed` argument means `rng = np.random.default_rng(seed)` (None: fresh entropy);
the functions below draw from `rng` in exactly the order their docstrings state, so a run can
be reproduced draw for draw.
"""
import numpy as np


def numerical_gradient_forward(f, x, h=1e-5):
    """
    Forward-difference gradient of a scalar function f at x.

    df/dx[i] ~= (f(x + h * e_i) - f(x)) / h, with an error of order h.

    Inputs:
    - f: A function that takes a numpy array of the shape of x and returns a
      scalar.
    - x: A numpy float array of any shape (use float64 for accuracy: in float32
      x[i] + h is rounded); it is changed one element at a time while f is
      evaluated and restored afterwards, also when f raises.
    - h: (float) step size.

    Returns:
    - grad: A numpy array of the same shape as x (float64) holding the numerical
      gradient.
    """
    grad = np.zeros(x.shape)
    # YOUR CODE HERE
    raise NotImplementedError("Implement numerical_gradient_forward in lib/optimization.py")
    return grad


def numerical_gradient_centered(f, x, h=1e-5):
    """
    Centered-difference gradient of a scalar function f at x.

    df/dx[i] ~= (f(x + h * e_i) - f(x - h * e_i)) / (2 * h), with an error of
    order h ** 2.

    Inputs:
    - f: A function that takes a numpy array of the shape of x and returns a
      scalar.
    - x: A numpy float array of any shape (use float64 for accuracy: in float32
      x[i] + h is rounded); it is changed one element at a time while f is
      evaluated and restored afterwards, also when f raises.
    - h: (float) step size.

    Returns:
    - grad: A numpy array of the same shape as x (float64) holding the numerical
      gradient.
    """
    grad = np.zeros(x.shape)
    # YOUR CODE HERE
    raise NotImplementedError("Implement numerical_gradient_centered in lib/optimization.py")
    return grad


def random_search(loss_fn, shape, num_tries=1000, scale=1e-3, seed=None):
    """
    Random search: try random weights and keep the best.

    Each try draws W = scale * rng.standard_normal(shape) and evaluates
    loss_fn(W); the first W with the lowest loss wins.

    Inputs:
    - loss_fn: A function that takes a weight array of shape `shape` and returns
      a scalar loss.
    - shape: (tuple) shape of the weights, e.g. (D, C).
    - num_tries: (integer) number of random weights to try.
    - scale: (float) standard deviation of the random weights.
    - seed: (integer or None) seed of the random generator.

    Returns a tuple of:
    - best_W: A numpy array of shape `shape`, the weights with the lowest loss.
    - best_loss: (float) loss_fn(best_W).
    """
    rng = np.random.default_rng(seed)
    best_W, best_loss = None, float("inf")
    # YOUR CODE HERE
    raise NotImplementedError("Implement random_search in lib/optimization.py")
    return best_W, best_loss


def random_local_search(loss_fn, W0, num_tries=1000, step_size=1e-3, seed=None):
    """
    Random local search: from W0, try random steps and keep those that lower the loss.

    Each try draws W_try = W + step_size * rng.standard_normal(W.shape) and moves
    to it when loss_fn(W_try) is strictly lower than the current loss.

    Inputs:
    - loss_fn: A function that takes a weight array of the shape of W0 and
      returns a scalar loss.
    - W0: A numpy array of any shape, e.g. (D, C), the starting weights; it is
      not changed.
    - num_tries: (integer) number of random steps to try.
    - step_size: (float) standard deviation of each random step.
    - seed: (integer or None) seed of the random generator.

    Returns a tuple of:
    - W: A numpy array of the shape of W0, the final weights.
    - loss: (float) loss_fn(W).
    """
    rng = np.random.default_rng(seed)
    W = W0.copy()
    loss = float(loss_fn(W))
    # YOUR CODE HERE
    raise NotImplementedError("Implement random_local_search in lib/optimization.py")
    return W, loss


def gradient_descent(loss_grad_fn, W0, learning_rate, num_iters):
    """
    Full-batch gradient descent: W = W - learning_rate * dW, num_iters times.

    Inputs:
    - loss_grad_fn: A function that takes weights W and returns a tuple
      (loss, dW), dW of the shape of W.
    - W0: A numpy array of any shape, e.g. (D, C), the starting weights; it is
      not changed.
    - learning_rate: (float) step size.
    - num_iters: (integer) number of updates.

    Returns a tuple of:
    - W: A numpy array of the shape of W0, the weights after num_iters updates.
    - loss_history: A list of num_iters floats; entry t is the loss before
      update t.
    """
    W = W0.copy()
    loss_history = []
    # YOUR CODE HERE
    raise NotImplementedError("Implement gradient_descent in lib/optimization.py")
    return W, loss_history


def minibatch_sgd(loss_grad_fn, W0, X, y, learning_rate, num_iters, batch_size,
                  seed=None):
    """
    Minibatch stochastic gradient descent.

    Each iteration draws a batch of example indices with
    rng.choice(N, batch_size, replace=True), evaluates
    loss_grad_fn(W, X[batch], y[batch]) and updates W = W - learning_rate * dW.

    Inputs:
    - loss_grad_fn: A function that takes (W, X_batch, y_batch) and returns a
      tuple (loss, dW), dW of the shape of W.
    - W0: A numpy array of any shape, e.g. (D, C), the starting weights; it is
      not changed.
    - X: A numpy array of shape (N, D) containing the training data.
    - y: A numpy array of shape (N,) containing the training labels.
    - learning_rate: (float) step size.
    - num_iters: (integer) number of updates.
    - batch_size: (integer) number of examples per batch.
    - seed: (integer or None) seed of the random generator that draws the
      batches.

    Returns a tuple of:
    - W: A numpy array of the shape of W0, the weights after num_iters updates.
    - loss_history: A list of num_iters floats; entry t is the loss on batch t
      before update t.
    """
    rng = np.random.default_rng(seed)
    num_train = X.shape[0]
    W = W0.copy()
    loss_history = []
    # YOUR CODE HERE
    raise NotImplementedError("Implement minibatch_sgd in lib/optimization.py")
    return W, loss_history


def sgd(w, dw, config=None):
    """
    Vanilla stochastic gradient descent: next_w = w - learning_rate * dw.

    Inputs:
    - w: A numpy array of any shape, the current weights; it is not changed.
    - dw: A numpy array of the same shape as w, the gradient of the loss with
      respect to w.
    - config: A dictionary (or None for the defaults) with:
      - learning_rate: Scalar learning rate (default 1e-2).

    Returns a tuple of:
    - next_w: A numpy array of the same shape as w, the updated weights.
    - config: The config dictionary, with its defaults filled in.
    """
    if config is None:
        config = {}
    config.setdefault("learning_rate", 1e-2)

    # YOUR CODE HERE
    raise NotImplementedError("Implement sgd in lib/optimization.py")
    return next_w, config


def sgd_momentum(w, dw, config=None):
    """
    Stochastic gradient descent with momentum:
        v = momentum * v - learning_rate * dw
        next_w = w + v

    Inputs:
    - w: A numpy array of any shape, the current weights; it is not changed.
    - dw: A numpy array of the same shape as w, the gradient of the loss with
      respect to w.
    - config: A dictionary (or None for the defaults) with:
      - learning_rate: Scalar learning rate (default 1e-2).
      - momentum: Scalar between 0 and 1 giving the momentum value; 0 gives
        vanilla SGD (default 0.9).
      - velocity: A numpy array of the same shape as w holding a moving average
        of the gradients (default zeros).

    Returns a tuple of:
    - next_w: A numpy array of the same shape as w, the updated weights.
    - config: The config dictionary; config["velocity"] is the new velocity
      (store a new array there rather than changing the old one in place).
    """
    if config is None:
        config = {}
    config.setdefault("learning_rate", 1e-2)
    config.setdefault("momentum", 0.9)
    config.setdefault("velocity", np.zeros_like(w))

    # YOUR CODE HERE
    raise NotImplementedError("Implement sgd_momentum in lib/optimization.py")
    return next_w, config


def adam(w, dw, config=None):
    """
    Adam: moving averages of the gradient and of its square, with bias correction.

        t = t + 1
        m = beta1 * m + (1 - beta1) * dw
        v = beta2 * v + (1 - beta2) * dw ** 2
        m_hat = m / (1 - beta1 ** t)
        v_hat = v / (1 - beta2 ** t)
        next_w = w - learning_rate * m_hat / (sqrt(v_hat) + epsilon)

    Inputs:
    - w: A numpy array of any shape, the current weights; it is not changed.
    - dw: A numpy array of the same shape as w, the gradient of the loss with
      respect to w.
    - config: A dictionary (or None for the defaults) with:
      - learning_rate: Scalar learning rate (default 1e-3).
      - beta1: Decay rate for the moving average of the first moment of the
        gradient (default 0.9).
      - beta2: Decay rate for the moving average of the second moment of the
        gradient (default 0.999).
      - epsilon: Small scalar used for smoothing to avoid dividing by zero
        (default 1e-8).
      - m: Moving average of the gradient, shape of w (default zeros).
      - v: Moving average of the squared gradient, shape of w (default zeros).
      - t: Iteration number (default 0); increment it before using it.

    Returns a tuple of:
    - next_w: A numpy array of the same shape as w, the updated weights.
    - config: The config dictionary with the new m, v and t (store new arrays
      there rather than changing the old ones in place).
    """
    if config is None:
        config = {}
    config.setdefault("learning_rate", 1e-3)
    config.setdefault("beta1", 0.9)
    config.setdefault("beta2", 0.999)
    config.setdefault("epsilon", 1e-8)
    config.setdefault("m", np.zeros_like(w))
    config.setdefault("v", np.zeros_like(w))
    config.setdefault("t", 0)

    # YOUR CODE HERE
    raise NotImplementedError("Implement adam in lib/optimization.py")
    return next_w, config
