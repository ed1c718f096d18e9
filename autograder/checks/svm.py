"""Checks for the svm assignment: lib/linear_svm.py and lib/linear_classifier.py.

Public checks use only the lecture's worked example, the student's own gradient, the naive
version against the vectorized one, and the contract; hidden checks add the reference on
hidden random inputs. Form checks (loop-free, inputs unchanged) score only when the values
are right, so returning zeros earns nothing.
"""
import numpy as np
import pytest

from .common import (
    check_accuracy_matches_reference,
    check_close,
    check_gradient,
    check_loss_against_reference,
    check_own_gradient,
    check_regularization,
    check_train_predict,
    check_training_matches_reference,
    check_unchanged,
    check_vectorized_form,
    check_versions_agree,
    describe_shapes,
    expect_loss_and_grad,
    random_problem,
    require_gradient_for_training,
    require_reference_loss_for_training,
    speed_note,
)

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


# The lecture's per-image losses without the margin of 1 (delta = 0), by hand from its scores:
# cat image max(0, 5.1 - 3.2) + max(0, -1.7 - 3.2) = 1.9, car image max(0, 1.3 - 4.9) +
# max(0, 2.0 - 4.9) = 0, frog image max(0, 2.2 + 3.1) + max(0, 2.5 + 3.1) = 10.9; mean 12.8 / 3.
LOSSES_WITHOUT_MARGIN = [1.9, 0.0, 10.9]


def lecture_hint(loss, expected):
    without_margin = sum(LOSSES_WITHOUT_MARGIN) / len(LOSSES_WITHOUT_MARGIN)
    if abs(loss - without_margin) < 1e-6:
        per_image = ", ".join(f"{v:g}" for v in LOSSES_WITHOUT_MARGIN)
        return (f"Your loss is {without_margin:.4g}, what the lecture's example gives with margins s_j - s_{{y_i}} "
                f"(losses {per_image} per image): the margin of 1 (delta) is missing; add "
                "max(0, s_j - s_{y_i} + 1) for every wrong class j.")
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
    check_close(loss, expected, fn, "the loss",
                f"the lecture's cat/car/frog example ({describe_shapes(W=W, X=X, reg=0.0)})", 1e-9,
                lecture_hint(loss, expected))
    return loss


def require_vectorized_gradient(student, rng, guard):
    """LinearSVM trains with svm_loss_vectorized: its loss and gradient must be right first."""
    require_lecture_loss(student, VECTORIZED)
    require_gradient_for_training(student, VECTORIZED, "LinearSVM", rng, guard=guard)


@pytest.mark.points(2)
def test_svm_loss_naive_lecture_example(student):
    """svm_loss_naive reproduces the lecture's worked example: losses 2.9, 0 and 12.9, mean 5.27."""
    require_lecture_loss(student, NAIVE)


@pytest.mark.points(3)
def test_svm_loss_naive_gradient(student, public_rng, gradient_guard):
    """svm_loss_naive's dW agrees with the numerical gradient of its own loss, with reg = 0 and 0.5."""
    require_lecture_loss(student, NAIVE)
    for reg in (0.0, 0.5):
        check_own_gradient(student, NAIVE, public_rng, reg, guard=gradient_guard)


@pytest.mark.points(1)
def test_svm_loss_naive_regularization(student, public_rng):
    """Regularization adds reg * sum(W * W) to the loss and 2 * reg * W to dW."""
    require_lecture_loss(student, NAIVE)
    W, X, y = random_problem(public_rng, 6, 5, 3)
    check_regularization(student, NAIVE, W, X, y, 0.7)


@pytest.mark.points(1)
def test_svm_loss_vectorized_lecture_example(student):
    """svm_loss_vectorized reproduces the lecture's worked example (mean loss 5.27)."""
    require_lecture_loss(student, VECTORIZED)


@pytest.mark.points(2)
def test_svm_loss_vectorized_matches_naive(student, public_rng):
    """svm_loss_vectorized returns the same loss and dW as your svm_loss_naive (reg = 0 and 0.1)."""
    require_lecture_loss(student, NAIVE)
    problems = ((*random_problem(public_rng, 50, 20, 10), reg) for reg in (0.0, 0.1))
    check_versions_agree(student, VECTORIZED, NAIVE, problems)


@pytest.mark.points(1)
def test_svm_loss_vectorized_loop_free(student, student_lib, public_rng, gradient_guard):
    """svm_loss_vectorized uses no Python loops, comprehensions or recursion, and its values are right."""
    require_lecture_loss(student, VECTORIZED)
    check_vectorized_form(student, student_lib, VECTORIZED, "linear_svm", public_rng, guard=gradient_guard)


@pytest.mark.points(1)
def test_svm_loss_inputs_unchanged(student):
    """svm_loss_naive and svm_loss_vectorized leave W, X and y unchanged (and compute the right loss)."""
    W, X, y, expected = lecture_example()
    for target in (NAIVE, VECTORIZED):
        fn = target.split(".")[-1]
        value = check_unchanged(student, target, (W, X, y, 0.0), ("W", "X", "y", "reg"), fn)
        loss, _ = expect_loss_and_grad(value, W, fn)
        check_close(loss, expected, fn, "the loss",
                    f"the lecture's cat/car/frog example ({describe_shapes(W=W, X=X, reg=0.0)})", 1e-9)


@pytest.mark.points(2)
def test_linear_svm_train_predict(student, public_rng, gradient_guard):
    """LinearSVM.train follows the contract (W drawn from the seed, one loss per iteration, loss falls,
    reproducible) and predict returns integer labels that fit separable data."""
    require_vectorized_gradient(student, public_rng, gradient_guard)
    check_train_predict(student, "LinearSVM", public_rng)


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


def compare_with_reference(student, reference, hidden_rng, target, guard):
    problems = ((*random_problem(hidden_rng, N, D, C, dtype), reg) for N, D, C, reg, dtype in HIDDEN_CASES)
    check_loss_against_reference(student, target, getattr(reference.linear_svm, target.split(".")[-1]),
                                 problems, hidden_rng, "the SVM loss", diagnose, guard=guard)


@pytest.mark.points(3)
def test_svm_loss_naive_matches_reference(student, reference, hidden_rng, gradient_guard):
    """svm_loss_naive matches the reference loss and dW on hidden inputs (several shapes, reg = 0, small
    and large, float64 and float32)."""
    compare_with_reference(student, reference, hidden_rng, NAIVE, gradient_guard)


@pytest.mark.points(3)
def test_svm_loss_vectorized_matches_reference(student, reference, hidden_rng, note, reference_sandbox, gradient_guard):
    """svm_loss_vectorized matches the reference loss and dW on hidden inputs (several shapes, reg = 0,
    small and large, float64 and float32)."""
    compare_with_reference(student, reference, hidden_rng, VECTORIZED, gradient_guard)
    note(speed_note(student, reference_sandbox, VECTORIZED))


@pytest.mark.points(2)
def test_svm_loss_gradient_check_hidden(student, hidden_rng, gradient_guard):
    """The trusted gradient check: dW of both versions agrees with the numerical gradient of the
    student's own loss on hidden inputs with a large reg."""
    require_lecture_loss(student, NAIVE)
    for target in (NAIVE, VECTORIZED):
        W, X, y = random_problem(hidden_rng, 20, 15, 5)
        reg = 50.0
        _, dW = expect_loss_and_grad(student.call(target, W, X, y, reg), W, target.split(".")[-1])
        check_gradient(student, target, W, (X, y, reg), dW, target.split(".")[-1],
                       describe_shapes(W=W, X=X, reg=reg), hidden_rng, num_coords=30, guard=gradient_guard)


def require_vectorized_matches_reference(student, reference, rng):
    require_reference_loss_for_training(student, VECTORIZED, reference.linear_svm.svm_loss_vectorized,
                                        "LinearSVM", rng)


TRAINING = dict(learning_rate=1e-3, reg=1e-2, num_iters=300, batch_size=100)


@pytest.mark.points(1)
def test_linear_svm_train_matches_reference(student, reference, hidden_rng):
    """LinearSVM.train with a hidden seed follows the reference trajectory on the digits (same initial
    W, batches and updates)."""
    require_vectorized_matches_reference(student, reference, hidden_rng)
    check_training_matches_reference(student, reference, "LinearSVM", hidden_rng, TRAINING)


@pytest.mark.points(2)
def test_linear_svm_accuracy(student, reference, hidden_rng):
    """A LinearSVM trained with the student's train/predict reaches the reference's validation accuracy
    on the digits (within 2 points)."""
    require_vectorized_matches_reference(student, reference, hidden_rng)
    check_accuracy_matches_reference(student, reference, "LinearSVM", hidden_rng, TRAINING)
### END HIDDEN TESTS
