"""Softmax (cross-entropy) loss for a linear classifier, naive and vectorized.

Scores are s = X @ W. For example i with correct class y[i], the loss is
    L_i = -log(exp(s_{y_i}) / sum_j exp(s_j)) = log(sum_j exp(s_j)) - s_{y_i}   (natural log),
and the full loss is the mean of L_i over the N examples plus reg * sum(W * W).

Subtracting the row's maximum score from every score of that row leaves L_i unchanged and
keeps exp() from overflowing, so scores of magnitude 1e4 are fine.
"""
import math

import numpy as np


def softmax_loss_naive(W, X, y, reg):
    """
    Softmax loss function, naive implementation (with loops).

    Inputs have dimension D, there are C classes, and we operate on minibatches
    of N examples.

    Inputs:
    - W: A numpy array of shape (D, C) containing weights.
    - X: A numpy array of shape (N, D) containing a minibatch of data.
    - y: A numpy array of shape (N,) containing training labels; y[i] = c means
      that X[i] has label c, where 0 <= c < C.
    - reg: (float) regularization strength.

    Returns a tuple of:
    - loss as a single float: mean cross-entropy loss (natural log) over the N
      examples + reg * sum(W * W)
    - gradient with respect to weights W; an array of the same shape as W, of
      dtype np.result_type(W, X) (float32 when W and X are both float32)

    Loop over the examples and the classes; do not change W, X or y. Subtract
    each row's maximum score before exponentiating, or scores of magnitude 1e4
    overflow.
    """
    loss = 0.0
    dW = np.zeros(W.shape, dtype=np.result_type(W, X))
    ### BEGIN SOLUTION
    num_train = X.shape[0]
    num_classes = W.shape[1]
    for i in range(num_train):
        scores = X[i].dot(W)
        scores = scores - np.max(scores)  # the largest shifted score is 0: no overflow
        sum_exp = 0.0
        for j in range(num_classes):
            sum_exp += math.exp(scores[j])
        loss += math.log(sum_exp) - scores[y[i]]
        for j in range(num_classes):
            p_j = math.exp(scores[j]) / sum_exp
            # dL_i/ds_j = p_j - 1{j == y_i}, and ds_j/dW[:, j] = X[i]
            dW[:, j] += (p_j - (j == y[i])) * X[i]

    # The loss is a mean over the examples, so its gradient is too.
    loss /= num_train
    dW /= num_train

    loss += reg * np.sum(W * W)
    dW += 2 * reg * W
    ### END SOLUTION
    return float(loss), dW


def softmax_loss_vectorized(W, X, y, reg):
    """
    Softmax loss function, vectorized implementation.

    Inputs and outputs are the same as softmax_loss_naive: W (D, C), X (N, D),
    y (N,), reg float -> (loss float, dW of shape (D, C) and dtype
    np.result_type(W, X)).

    Use no Python loops over the examples or the classes (no for/while,
    comprehension or recursion); work with whole arrays. Shift each row of
    scores by its own maximum: rows can differ in scale by many orders of
    magnitude.
    """
    loss = 0.0
    dW = np.zeros(W.shape, dtype=np.result_type(W, X))
    ### BEGIN SOLUTION
    num_train = X.shape[0]
    rows = np.arange(num_train)
    scores = X @ W                                                    # (N, C)
    shifted = scores - scores.max(axis=1, keepdims=True)              # (N, C), each row's max is 0
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    loss = -log_probs[rows, y].mean() + reg * np.sum(W * W)

    # dL_i/ds = softmax(s) - one_hot(y_i)
    dscores = np.exp(log_probs)
    dscores[rows, y] -= 1
    # Added into the zeros above so that dW keeps its documented dtype even when reg is an
    # np.float64 (which would promote a float32 result).
    dW += X.T @ dscores / num_train + 2 * reg * W
    ### END SOLUTION
    return float(loss), dW
