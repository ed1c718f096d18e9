"""Layers of a neural network as forward/backward pairs, and loss layers on scores.

A forward function takes inputs and parameters and returns `(out, cache)`; the matching
backward function takes the upstream derivative `dout` (shape of `out`) and that `cache` and
returns the derivative of the loss with respect to each input. Loss layers return
`(loss, dx)` directly. No function changes its array inputs.
"""
import numpy as np


def affine_forward(x, w, b):
    """
    Computes the forward pass for an affine (fully connected) layer.

    The input x has shape (N, d_1, ..., d_k) and contains a minibatch of N
    examples, where each example x[i] has shape (d_1, ..., d_k). We will
    reshape each input into a vector of dimension D = d_1 * ... * d_k, and
    then transform it to an output vector of dimension M.

    Inputs:
    - x: A numpy array containing input data, of shape (N, d_1, ..., d_k)
    - w: A numpy array of weights, of shape (D, M)
    - b: A numpy array of biases, of shape (M,)

    Returns a tuple of:
    - out: output, of shape (N, M)
    - cache: (x, w, b)
    """
    ### BEGIN SOLUTION
    out = x.reshape(x.shape[0], -1) @ w + b
    ### END SOLUTION
    cache = (x, w, b)
    return out, cache


def affine_backward(dout, cache):
    """
    Computes the backward pass for an affine layer.

    Inputs:
    - dout: Upstream derivative, of shape (N, M)
    - cache: Tuple of:
      - x: Input data, of shape (N, d_1, ..., d_k)
      - w: Weights, of shape (D, M)
      - b: Biases, of shape (M,)

    Returns a tuple of:
    - dx: Gradient with respect to x, of shape (N, d_1, ..., d_k)
    - dw: Gradient with respect to w, of shape (D, M)
    - db: Gradient with respect to b, of shape (M,)
    """
    x, w, b = cache
    ### BEGIN SOLUTION
    dx = (dout @ w.T).reshape(x.shape)
    dw = x.reshape(x.shape[0], -1).T @ dout
    db = dout.sum(axis=0)
    ### END SOLUTION
    return dx, dw, db


def relu_forward(x):
    """
    Computes the forward pass for a layer of rectified linear units (ReLUs).

    Input:
    - x: Inputs, a numpy array of any shape

    Returns a tuple of:
    - out: Output, of the same shape as x: max(0, x) elementwise
    - cache: x
    """
    ### BEGIN SOLUTION
    out = np.maximum(0, x)
    ### END SOLUTION
    cache = x
    return out, cache


def relu_backward(dout, cache):
    """
    Computes the backward pass for a layer of rectified linear units (ReLUs).

    Input:
    - dout: Upstream derivatives, of any shape
    - cache: Input x, of the same shape as dout

    Returns:
    - dx: Gradient with respect to x, of the same shape as x; it is dout where
      x > 0 and 0 elsewhere (also where x == 0). Do not change dout.
    """
    x = cache
    ### BEGIN SOLUTION
    # The mask goes straight into dx as 0.0 / 1.0 and is scaled in place: one temporary
    # fewer than dout * (x > 0), which counts in a layer bound by memory traffic.
    dx = np.greater(x, 0, out=np.empty_like(dout))
    dx *= dout
    ### END SOLUTION
    return dx


def svm_loss(x, y):
    """
    Computes the loss and gradient for multiclass SVM classification (margin 1).

    Inputs:
    - x: Input data, of shape (N, C) where x[i, j] is the score for the jth
      class for the ith input.
    - y: Vector of labels, of shape (N,) where y[i] is the label for x[i] and
      0 <= y[i] < C

    Returns a tuple of:
    - loss: Scalar (float) giving the loss, the mean over the N examples
    - dx: Gradient of the loss with respect to x, of shape (N, C)
    """
    ### BEGIN SOLUTION
    num_train = x.shape[0]
    rows = np.arange(num_train)
    correct = x[rows, y][:, None]                        # (N, 1)
    margins = np.maximum(0, x - correct + 1.0)           # (N, C)
    margins[rows, y] = 0
    loss = margins.sum() / num_train

    # Every positive margin adds 1 to its class's gradient and -1 to the correct class's.
    dx = (margins > 0).astype(x.dtype)
    dx[rows, y] = -dx.sum(axis=1)
    dx /= num_train
    ### END SOLUTION
    return float(loss), dx


def softmax_loss(x, y):
    """
    Computes the loss and gradient for softmax classification (cross-entropy, natural log).

    Inputs:
    - x: Input data, of shape (N, C) where x[i, j] is the score for the jth
      class for the ith input.
    - y: Vector of labels, of shape (N,) where y[i] is the label for x[i] and
      0 <= y[i] < C

    Returns a tuple of:
    - loss: Scalar (float) giving the loss, the mean over the N examples
    - dx: Gradient of the loss with respect to x, of shape (N, C)

    Shift each row of x by its maximum before exponentiating, so that scores of
    magnitude 1e4 do not overflow.
    """
    ### BEGIN SOLUTION
    num_train = x.shape[0]
    rows = np.arange(num_train)
    shifted = x - x.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    loss = -log_probs[rows, y].mean()

    dx = np.exp(log_probs)
    dx[rows, y] -= 1
    dx /= num_train
    ### END SOLUTION
    return float(loss), dx
