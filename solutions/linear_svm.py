"""Multiclass SVM (hinge) loss for a linear classifier, naive and vectorized.

Scores are s = X @ W. For example i with correct class y[i], the loss is
    L_i = sum over j != y[i] of max(0, s_j - s_{y_i} + delta),   delta = 1,
and the full loss is the mean of L_i over the N examples plus reg * sum(W * W).
"""
import numpy as np


def svm_loss_naive(W, X, y, reg):
    """
    Structured SVM loss function, naive implementation (with loops).

    Inputs have dimension D, there are C classes, and we operate on minibatches
    of N examples.

    Inputs:
    - W: A numpy array of shape (D, C) containing weights.
    - X: A numpy array of shape (N, D) containing a minibatch of data.
    - y: A numpy array of shape (N,) containing training labels; y[i] = c means
      that X[i] has label c, where 0 <= c < C.
    - reg: (float) regularization strength.

    Returns a tuple of:
    - loss as a single float: mean hinge loss over the N examples + reg * sum(W * W)
    - gradient with respect to weights W; an array of the same shape as W

    Loop over the examples and the classes; do not change W, X or y.
    """
    dW = np.zeros(W.shape, dtype=np.result_type(W, X))
    loss = 0.0
    ### BEGIN SOLUTION
    num_classes = W.shape[1]
    num_train = X.shape[0]
    for i in range(num_train):
        scores = X[i].dot(W)
        correct_class_score = scores[y[i]]
        for j in range(num_classes):
            if j == y[i]:
                continue
            margin = scores[j] - correct_class_score + 1  # delta = 1
            if margin > 0:
                loss += margin
                dW[:, j] += X[i]
                dW[:, y[i]] -= X[i]

    # The loss is a mean over the examples, so its gradient is too.
    loss /= num_train
    dW /= num_train

    loss += reg * np.sum(W * W)
    dW += 2 * reg * W
    ### END SOLUTION
    return float(loss), dW


def svm_loss_vectorized(W, X, y, reg):
    """
    Structured SVM loss function, vectorized implementation.

    Inputs and outputs are the same as svm_loss_naive: W (D, C), X (N, D),
    y (N,), reg float -> (loss float, dW of shape (D, C)).

    Use no Python loops over the examples or the classes (no for/while,
    comprehension or recursion); work with whole arrays.
    """
    loss = 0.0
    dW = np.zeros(W.shape, dtype=np.result_type(W, X))
    ### BEGIN SOLUTION
    num_train = X.shape[0]
    rows = np.arange(num_train)
    scores = X @ W                                            # (N, C)
    correct = scores[rows, y][:, None]                        # (N, 1)
    margins = np.maximum(0, scores - correct + 1)             # (N, C), delta = 1
    margins[rows, y] = 0
    loss = margins.sum() / num_train + reg * np.sum(W * W)

    # dL_i/ds_j is 1 for every positive margin, and the correct class collects
    # minus the number of positive margins in its row.
    dscores = (margins > 0).astype(dW.dtype)
    dscores[rows, y] = -dscores.sum(axis=1)
    dW = X.T @ dscores / num_train + 2 * reg * W
    ### END SOLUTION
    return float(loss), dW
