"""Checks for the svm assignment: lib/linear_svm.py and lib/linear_classifier.py.

Public checks use only the lecture's worked example, the student's own gradient, the naive
version against the vectorized one, and the contract; hidden checks add the reference on
hidden random inputs. Form checks (loop-free, inputs unchanged) score only when the values
are right, so returning zeros earns nothing.
"""
import numpy as np
import pytest

from .common import (CheckFailed, check_close, check_gradient, check_loop_free, check_unchanged,
                     describe_shapes, expect_array, expect_loss_and_grad, expect_number, tolerance)

NAIVE = "linear_svm.svm_loss_naive"
VECTORIZED = "linear_svm.svm_loss_vectorized"


def lecture_example():
    """The lecture's three training images and their class scores (cat, car, frog).

    With X the 3x3 identity, the scores X @ W are the rows of W: image i's score for class c is
    W[i, c]. Lecture 3, "Loss Functions and Optimization": the hinge losses are 2.9 (cat image),
    0 (car image) and 12.9 (frog image), so the loss is their mean, 5.27.
    """
    W = np.array([[3.2, 5.1, -1.7],     # cat image: scores for cat, car, frog
                  [1.3, 4.9, 2.0],      # car image
                  [2.2, 2.5, -3.1]])    # frog image
    X = np.eye(3)
    y = np.array([0, 1, 2])
    per_image_losses = [2.9, 0.0, 12.9]
    return W, X, y, sum(per_image_losses) / len(per_image_losses)


def lecture_hint(loss, expected):
    if abs(loss - (expected + 1)) < 1e-6:
        return "Your loss is exactly 1 more than expected per image: skip j == y[i] in the sum over classes."
    if abs(loss - 3 * expected) < 1e-6:
        return "Your loss is the sum over the 3 images; the loss is their mean (divide by N)."
    if abs(loss) < 1e-12:
        return "Your loss is 0: add max(0, s_j - s_{y_i} + 1) for every wrong class j."
    return ""


def require_lecture_loss(student, target):
    """The loss on the lecture's example must be right before any other property counts."""
    W, X, y, expected = lecture_example()
    fn = target.split(".")[-1]
    loss, _ = expect_loss_and_grad(student.call(target, W, X, y, 0.0), W, fn)
    check_close(loss, expected, fn, "the loss", "the lecture's cat/car/frog example (reg=0)", 1e-9,
                lecture_hint(loss, expected))
    return loss


def require_vectorized_gradient(student, rng):
    """LinearSVM trains with svm_loss_vectorized: its loss and gradient must be right first."""
    require_lecture_loss(student, VECTORIZED)
    W, X, y = random_problem(rng, 8, 6, 4)
    _, dW = expect_loss_and_grad(student.call(VECTORIZED, W, X, y, 0.1), W, "svm_loss_vectorized")
    try:
        check_gradient(student, VECTORIZED, W, (X, y, 0.1), dW, "svm_loss_vectorized",
                       describe_shapes(W=W, X=X, reg=0.1), rng)
    except CheckFailed as failure:
        raise CheckFailed(f"LinearSVM trains with your svm_loss_vectorized, so that must be right first: "
                          f"{failure}") from None


def random_problem(rng, N, D, C, dtype=np.float64, scale=1.0):
    W = (0.1 * scale * rng.standard_normal((D, C))).astype(dtype)
    X = (scale * rng.standard_normal((N, D))).astype(dtype)
    y = rng.integers(0, C, size=N)
    return W, X, y


@pytest.mark.points(2)
def test_svm_loss_naive_lecture_example(student):
    """svm_loss_naive reproduces the lecture's worked example: losses 2.9, 0 and 12.9, mean 5.27."""
    require_lecture_loss(student, NAIVE)


@pytest.mark.points(3)
def test_svm_loss_naive_gradient(student, public_rng):
    """svm_loss_naive's dW agrees with the numerical gradient of its own loss, with reg = 0 and 0.5."""
    require_lecture_loss(student, NAIVE)
    for reg in (0.0, 0.5):
        W, X, y = random_problem(public_rng, 8, 6, 4)
        _, dW = expect_loss_and_grad(student.call(NAIVE, W, X, y, reg), W, "svm_loss_naive")
        check_gradient(student, NAIVE, W, (X, y, reg), dW, "svm_loss_naive",
                       describe_shapes(W=W, X=X, reg=reg), public_rng)


@pytest.mark.points(1)
def test_svm_loss_naive_regularization(student, public_rng):
    """Regularization adds reg * sum(W * W) to the loss and 2 * reg * W to dW."""
    require_lecture_loss(student, NAIVE)
    W, X, y = random_problem(public_rng, 6, 5, 3)
    reg = 0.7
    on = describe_shapes(W=W, X=X, reg=reg)
    loss0, dW0 = expect_loss_and_grad(student.call(NAIVE, W, X, y, 0.0), W, "svm_loss_naive")
    loss1, dW1 = expect_loss_and_grad(student.call(NAIVE, W, X, y, reg), W, "svm_loss_naive")
    check_close(loss1 - loss0, reg * np.sum(W * W), "svm_loss_naive",
                "the change of the loss when reg goes from 0 to 0.7", on, 1e-7,
                "the regularization term is reg * np.sum(W * W), added once (not per example).")
    change = dW1 - dW0
    hint = ""
    if np.allclose(change, reg * W):
        hint = "the derivative of reg * sum(W * W) is 2 * reg * W: the factor 2 is missing."
    elif np.allclose(change, 0):
        hint = "dW does not include the regularization gradient 2 * reg * W."
    check_close(change, 2 * reg * W, "svm_loss_naive", "the change of dW when reg goes from 0 to 0.7",
                on, 1e-7, hint)


@pytest.mark.points(1)
def test_svm_loss_vectorized_lecture_example(student):
    """svm_loss_vectorized reproduces the lecture's worked example (mean loss 5.27)."""
    require_lecture_loss(student, VECTORIZED)


@pytest.mark.points(2)
def test_svm_loss_vectorized_matches_naive(student, public_rng):
    """svm_loss_vectorized returns the same loss and dW as your svm_loss_naive (reg = 0 and 0.1)."""
    require_lecture_loss(student, NAIVE)
    for reg in (0.0, 0.1):
        W, X, y = random_problem(public_rng, 50, 20, 10)
        on = describe_shapes(W=W, X=X, reg=reg)
        loss_n, dW_n = expect_loss_and_grad(student.call(NAIVE, W, X, y, reg), W, "svm_loss_naive")
        loss_v, dW_v = expect_loss_and_grad(student.call(VECTORIZED, W, X, y, reg), W, "svm_loss_vectorized")
        check_close(loss_v, loss_n, "svm_loss_vectorized", "the loss (compared with your svm_loss_naive; one of the two is wrong)", on, 1e-9)
        check_close(dW_v, dW_n, "svm_loss_vectorized", "dW (compared with your svm_loss_naive; one of the two is wrong)", on, 1e-9)


@pytest.mark.points(1)
def test_svm_loss_vectorized_loop_free(student, student_lib, public_rng):
    """svm_loss_vectorized uses no Python loops, comprehensions or recursion, and its values are right."""
    require_lecture_loss(student, VECTORIZED)
    W, X, y = random_problem(public_rng, 8, 6, 4)
    _, dW = expect_loss_and_grad(student.call(VECTORIZED, W, X, y, 0.2), W, "svm_loss_vectorized")
    check_gradient(student, VECTORIZED, W, (X, y, 0.2), dW, "svm_loss_vectorized",
                   describe_shapes(W=W, X=X, reg=0.2), public_rng)
    check_loop_free(student_lib, "linear_svm", "svm_loss_vectorized")


@pytest.mark.points(1)
def test_svm_loss_inputs_unchanged(student):
    """svm_loss_naive and svm_loss_vectorized leave W, X and y unchanged (and compute the right loss)."""
    W, X, y, expected = lecture_example()
    for target in (NAIVE, VECTORIZED):
        fn = target.split(".")[-1]
        value = check_unchanged(student, target, (W, X, y, 0.0), ("W", "X", "y", "reg"), fn)
        loss, _ = expect_loss_and_grad(value, W, fn)
        check_close(loss, expected, fn, "the loss", "the lecture's example", 1e-9)


def blobs(rng, N=300, D=5, C=3):
    """Well separated Gaussian clusters with a bias column: a linear classifier reaches ~100 %."""
    centers = 4.0 * rng.standard_normal((C, D - 1))
    y = rng.integers(0, C, size=N)
    X = centers[y] + 0.5 * rng.standard_normal((N, D - 1))
    return np.hstack([X, np.ones((N, 1))]), y


@pytest.mark.points(2)
def test_linear_svm_train_predict(student, public_rng):
    """LinearSVM.train follows the contract (W drawn from the seed, one loss per iteration, loss falls,
    reproducible) and predict returns integer labels that fit separable data."""
    require_vectorized_gradient(student, public_rng)
    X, y = blobs(public_rng)
    N, D = X.shape
    seed = 231
    settings = dict(learning_rate=1e-2, reg=1e-4, batch_size=50, seed=seed)
    untrained = student.new("linear_classifier.LinearSVM")
    history = student_train(untrained, X, y, num_iters=0, **settings)
    if history:
        raise CheckFailed(f"LinearSVM.train with num_iters=0 returned {len(history)} losses; expected none.")
    W0 = expect_array(untrained.get("W"), (D, 3), "LinearSVM.train", "self.W")
    expected_W0 = 0.001 * np.random.default_rng(seed).standard_normal((D, 3))
    check_close(W0, expected_W0, "LinearSVM.train", "the initial W", "seed=231", 1e-12,
                "on the first call W is 0.001 * rng.standard_normal((D, C)) with "
                "rng = np.random.default_rng(seed), before any batch is drawn.")
    svm = student.new("linear_classifier.LinearSVM")
    history = student_train(svm, X, y, num_iters=200, **settings)
    if len(history) != 200:
        raise CheckFailed(f"LinearSVM.train returned {len(history)} losses for num_iters=200; "
                          "expected one per iteration.")
    losses = np.array([expect_number(v, "LinearSVM.train", "each loss") for v in history])
    if not losses[-20:].mean() < 0.5 * losses[:20].mean():
        raise CheckFailed(f"LinearSVM.train did not reduce the loss on separable data: mean of the first "
                          f"20 losses {losses[:20].mean():.4g}, of the last 20 {losses[-20:].mean():.4g}. "
                          "Check the update W = W - learning_rate * grad.")
    predictions = expect_array(svm.call("predict", X), (N,), "LinearSVM.predict", "the labels", "iu")
    accuracy = float(np.mean(predictions == y))
    if accuracy < 0.9:
        raise CheckFailed(f"LinearSVM.predict is right on {accuracy:.0%} of well separated training data "
                          "after training; expected at least 90 %. predict should return "
                          "np.argmax(X @ self.W, axis=1).")
    again = student.new("linear_classifier.LinearSVM")
    repeat = student_train(again, X, y, num_iters=200, **settings)
    if not np.allclose(np.array(repeat, dtype=float), losses, rtol=1e-12, atol=0):
        raise CheckFailed("Two LinearSVM.train runs with the same seed gave different losses; draw the "
                          "initial W and every batch from rng = np.random.default_rng(seed).")


def student_train(classifier, X, y, **kwargs):
    history = classifier.call("train", X, y, **kwargs)
    if not isinstance(history, list):
        raise CheckFailed(f"LinearSVM.train should return a list of losses; it returned {type(history).__name__}.")
    return history


### BEGIN HIDDEN TESTS
# Hidden inputs: several shapes, reg = 0, small and large, float64 and float32.
HIDDEN_CASES = [(5, 4, 3, 0.0, np.float64), (40, 20, 10, 1e-3, np.float64), (30, 12, 6, 1e3, np.float64),
                (64, 33, 10, 0.25, np.float32)]


def svm_variant(W, X, y, reg, delta=1.0, skip_correct=True, average_loss=True, average_grad=True,
                reg_loss=1.0, reg_grad=2.0, grad_sign=1.0):
    """The SVM loss with one of the usual mistakes switched on (defaults: the correct loss)."""
    N = X.shape[0]
    rows = np.arange(N)
    scores = X @ W
    margins = np.maximum(0, scores - scores[rows, y][:, None] + delta)
    if skip_correct:
        margins[rows, y] = 0
    positive = (margins > 0).astype(float)
    if skip_correct:
        positive[rows, y] = -positive.sum(axis=1)
    else:
        positive[rows, y] -= positive.sum(axis=1)
    loss = margins.sum() / (N if average_loss else 1) + reg_loss * reg * np.sum(W * W)
    dW = grad_sign * X.T @ positive / (N if average_grad else 1) + reg_grad * reg * W
    return loss, dW


KNOWN_MISTAKES = [
    (dict(skip_correct=False), "the margin is also counted for j = y[i]; skip the correct class."),
    (dict(delta=0.0), "the margin is s_j - s_{y_i} + 1: the delta of 1 is missing."),
    (dict(average_loss=False), "the data loss is summed over the examples; divide it by N."),
    (dict(average_grad=False), "the data gradient is summed over the examples; divide it by N."),
    (dict(reg_loss=0.0), "the loss lacks the regularization term reg * np.sum(W * W)."),
    (dict(reg_loss=0.5), "the regularization term is reg * np.sum(W * W), without a factor 0.5."),
    (dict(reg_grad=0.0), "dW lacks the regularization gradient 2 * reg * W."),
    (dict(reg_grad=1.0), "the regularization gradient is 2 * reg * W: the factor 2 is missing."),
    (dict(grad_sign=-1.0), "the data gradient has the wrong sign: +X[i] goes to a violating class j, "
                           "-X[i] to the correct class."),
]


def diagnose(loss, dW, W, X, y, reg, part):
    """The hint of the first known mistake that reproduces the student's `part` ('loss' or 'dW')."""
    for change, hint in KNOWN_MISTAKES:
        wrong_loss, wrong_dW = svm_variant(W.astype(np.float64), X.astype(np.float64), y, reg, **change)
        if part == "loss" and abs(loss - wrong_loss) <= 1e-4 * max(1.0, abs(wrong_loss)):
            return hint
        if part == "dW" and np.allclose(dW, wrong_dW, rtol=1e-4, atol=1e-6):
            return hint
    return ""


def compare_with_reference(student, reference, hidden_rng, target):
    fn = target.split(".")[-1]
    reference_fn = getattr(reference.linear_svm, fn)
    for N, D, C, reg, dtype in HIDDEN_CASES:
        W, X, y = random_problem(hidden_rng, N, D, C, dtype)
        on = describe_shapes(W=W, X=X, reg=reg)
        loss, dW = expect_loss_and_grad(student.call(target, W, X, y, reg), W, fn)
        expected_loss, expected_dW = reference_fn(W, X, y, reg)
        tol = tolerance(W)
        check_close(loss, expected_loss, fn, "the loss", on, tol, diagnose(loss, dW, W, X, y, reg, "loss"))
        try:
            check_close(dW, expected_dW, fn, "dW", on, tol, diagnose(loss, dW, W, X, y, reg, "dW"))
        except CheckFailed as failure:
            raise CheckFailed(f"{failure}\n{gradient_consistency(student, target, fn, W, X, y, reg, dW, hidden_rng)}") from None


def gradient_consistency(student, target, fn, W, X, y, reg, dW, rng):
    """Tell a consistent-but-wrong loss apart from a gradient that does not match its own loss."""
    try:
        check_gradient(student, target, W.astype(np.float64), (X.astype(np.float64), y, reg),
                       dW.astype(np.float64), fn, "the same input", rng)
    except CheckFailed:
        return "Your dW also disagrees with the numerical gradient of your own loss."
    return ("Your dW does match the numerical gradient of your own loss: loss and gradient are consistent, "
            "but the loss itself is not the SVM loss.")


@pytest.mark.points(3)
def test_svm_loss_naive_matches_reference(student, reference, hidden_rng):
    """svm_loss_naive matches the reference loss and dW on hidden inputs (several shapes, reg = 0, small
    and large, float64 and float32)."""
    compare_with_reference(student, reference, hidden_rng, NAIVE)


@pytest.mark.points(3)
def test_svm_loss_vectorized_matches_reference(student, reference, hidden_rng, note, reference_sandbox):
    """svm_loss_vectorized matches the reference loss and dW on hidden inputs (several shapes, reg = 0,
    small and large, float64 and float32)."""
    compare_with_reference(student, reference, hidden_rng, VECTORIZED)
    W, X, y = random_problem(hidden_rng, 500, 3073, 10)
    mine = float(np.median(student.time(VECTORIZED, W, X, y, 2.5e4, repeat=5)))
    theirs = float(np.median(reference_sandbox.time(VECTORIZED, W, X, y, 2.5e4, repeat=5)))
    note(f"Speed (reported, not graded): {mine * 1e3:.1f} ms per call on N=500, D=3073, C=10, "
         f"the reference {theirs * 1e3:.1f} ms ({mine / theirs:.1f}x).")


@pytest.mark.points(2)
def test_svm_loss_gradient_check_hidden(student, hidden_rng):
    """The trusted gradient check: dW of both versions agrees with the numerical gradient of the
    student's own loss on hidden inputs with a large reg."""
    require_lecture_loss(student, NAIVE)
    for target in (NAIVE, VECTORIZED):
        W, X, y = random_problem(hidden_rng, 20, 15, 5)
        reg = 50.0
        _, dW = expect_loss_and_grad(student.call(target, W, X, y, reg), W, target.split(".")[-1])
        check_gradient(student, target, W, (X, y, reg), dW, target.split(".")[-1],
                       describe_shapes(W=W, X=X, reg=reg), hidden_rng, num_coords=30)


def require_vectorized_matches_reference(student, reference, rng):
    W, X, y = random_problem(rng, 30, 12, 5)
    loss, dW = expect_loss_and_grad(student.call(VECTORIZED, W, X, y, 0.1), W, "svm_loss_vectorized")
    expected_loss, expected_dW = reference.linear_svm.svm_loss_vectorized(W, X, y, 0.1)
    try:
        check_close(loss, expected_loss, "svm_loss_vectorized", "the loss", describe_shapes(W=W, X=X), 1e-7)
        check_close(dW, expected_dW, "svm_loss_vectorized", "dW", describe_shapes(W=W, X=X), 1e-7)
    except CheckFailed as failure:
        raise CheckFailed(f"LinearSVM trains with your svm_loss_vectorized, so that must be right first: "
                          f"{failure}") from None


def digits_problem(reference):
    data = reference.data.load_dataset("digits", fast=True)
    return data["X_train"], data["y_train"], data["X_val"], data["y_val"]


TRAINING = dict(learning_rate=1e-3, reg=1e-2, num_iters=300, batch_size=100)


@pytest.mark.points(1)
def test_linear_svm_train_matches_reference(student, reference, hidden_rng):
    """LinearSVM.train with a hidden seed follows the reference trajectory on the digits (same initial
    W, batches and updates)."""
    require_vectorized_matches_reference(student, reference, hidden_rng)
    X, y, _, _ = digits_problem(reference)
    seed = int(hidden_rng.integers(2**31))
    svm = student.new("linear_classifier.LinearSVM")
    history = np.array([expect_number(v, "LinearSVM.train", "each loss")
                        for v in student_train(svm, X, y, seed=seed, **TRAINING)])
    ref = reference.linear_classifier.LinearSVM()
    expected = np.array(ref.train(X, y, seed=seed, **TRAINING))
    if history.shape != expected.shape:
        raise CheckFailed(f"LinearSVM.train returned {history.size} losses for num_iters={TRAINING['num_iters']}.")
    check_close(history, expected, "LinearSVM.train", "the loss history", f"the digits, seed={seed}", 1e-6,
                "draw W first, then each batch with rng.choice(N, batch_size, replace=True), and update "
                "W = W - learning_rate * grad after recording the loss.")


@pytest.mark.points(2)
def test_linear_svm_accuracy(student, reference, hidden_rng):
    """A LinearSVM trained with the student's train/predict reaches the reference's validation accuracy
    on the digits (within 2 points)."""
    require_vectorized_matches_reference(student, reference, hidden_rng)
    X, y, X_val, y_val = digits_problem(reference)
    seed = int(hidden_rng.integers(2**31))
    svm = student.new("linear_classifier.LinearSVM")
    student_train(svm, X, y, seed=seed, **TRAINING)
    predictions = expect_array(svm.call("predict", X_val), y_val.shape, "LinearSVM.predict", "the labels", "iu")
    accuracy = float(np.mean(predictions == y_val))
    ref = reference.linear_classifier.LinearSVM()
    ref.train(X, y, seed=seed, **TRAINING)
    expected = float(np.mean(ref.predict(X_val) == y_val))
    if accuracy < expected - 0.02:
        raise CheckFailed(f"LinearSVM reaches {accuracy:.1%} validation accuracy on the digits; the reference "
                          f"reaches {expected:.1%} with the same seed and settings (at least "
                          f"{expected - 0.02:.1%} needed).")
### END HIDDEN TESTS
