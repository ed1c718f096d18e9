"""Checks for the softmax assignment: lib/softmax.py and the Softmax classifier.

Public checks use only the lecture's worked example (one image's three scores), what must hold
for any softmax loss (ln C when every score is equal, the regularization term, invariance to a
constant added to a row's scores), the student's own gradient and the naive version against the
vectorized one; hidden checks add the reference on hidden random inputs and on large logits.
Form checks (loop-free, inputs unchanged) score only when the values are right, so returning
zeros earns nothing.
"""
import math

import numpy as np
import pytest

from ..sandbox.proxy import StudentError
from .common import (
    CheckFailed,
    array_error,
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

NAIVE = "softmax.softmax_loss_naive"
VECTORIZED = "softmax.softmax_loss_vectorized"

# Lecture 3, "Loss Functions and Optimization": the cat image's scores for the classes cat (its
# own class), car and frog.
LECTURE_SCORES = (3.2, 5.1, -1.7)

STABILITY_ADVICE = (
    "subtract each row's own maximum score from all the scores of that row before np.exp: e^1e4 "
    "overflows to inf and inf / inf is nan, and the maximum of the whole batch is not enough when rows "
    "differ in scale. Then take the log-probability of the correct class as its shifted score minus the "
    "log of the row's sum of exponentials, not as the log of a probability: a probability can underflow "
    "to 0, and log(0) = -inf.")


def lecture_example(copies=1):
    """The lecture's cat image `copies` times: (W, X, y, expected loss) with scores X @ W = its scores.

    W is the 1 x 3 row of scores and X a column of ones, so every row of X @ W is (3.2, 5.1, -1.7).
    The lecture's softmax: p(cat) = e^3.2 / (e^3.2 + e^5.1 + e^-1.7) ≈ 0.13 and the loss is
    -ln p(cat) ≈ 2.04. The mean over identical copies of the image is the same number.
    """
    W = np.array([LECTURE_SCORES])
    X = np.ones((copies, 1))
    y = np.zeros(copies, dtype=np.int64)
    exps = [math.exp(s) for s in LECTURE_SCORES]
    return W, X, y, -math.log(exps[0] / sum(exps))


def lecture_hint(loss, expected, copies):
    """The usual mistake that turns the lecture's loss `expected` into the student's `loss`."""
    known = [
        (expected / math.log(10), "your loss is -log10 p; the softmax loss uses the natural log, np.log."),
        (-expected, "your loss has the wrong sign: the loss is -ln p(correct class), a positive number."),
        (math.exp(-expected), "your loss is the probability of the correct class itself; the loss is -ln p."),
        (1 - math.exp(-expected), "your loss is 1 - p(correct class); the loss is -ln p(correct class)."),
    ]
    if copies > 1:
        known += [
            (copies * expected, f"your loss is the sum over the {copies} images; the loss is their mean "
                                "(divide by N)."),
            (math.log(copies), "the probabilities are normalized over the examples (axis 0): normalize each "
                               "row of scores over its classes (axis=1)."),
        ]
    for value, hint in known:
        if abs(loss - value) <= 1e-6 * max(1.0, abs(value)):
            return hint
    if abs(loss) < 1e-12:
        return ("your loss is 0, as if the correct class had probability 1: the loss is -ln(e^{s_y} / sum_j e^{s_j}), "
                "each row of scores normalized over its classes (axis=1, not over the examples, axis 0).")
    return ""


def require_lecture_loss(student, target):
    """The loss on the lecture's example (once, then three identical images) must be right first."""
    fn = target.split(".")[-1]
    for copies, on in ((1, "the lecture's cat image (scores 3.2, 5.1, -1.7; {}; reg=0)"),
                       (3, "three copies of the lecture's cat image (N=3; {}; reg=0)")):
        W, X, y, expected = lecture_example(copies)
        on = on.format(describe_shapes(W=W, X=X))
        loss, _ = expect_loss_and_grad(student.call(target, W, X, y, 0.0), W, fn)
        check_close(loss, expected, fn, "the loss", on, 1e-9, lecture_hint(loss, expected, copies))


def gradient_hint(W, X, y, reg, coords, analytic, numerical):
    """The known mistake that explains a failed gradient check of a softmax loss, or "": from the
    `analytic` dW and the `numerical` gradient of the student's own loss at `coords` of W."""
    # With the loss right, leaving out the -1 at the correct class adds X.T @ one_hot(y) / N to dW.
    missing = X.T @ np.eye(W.shape[1])[y] / X.shape[0]
    missing_at = np.array([missing[c] for c in coords])
    if np.any(missing_at) and array_error(analytic - numerical, missing_at) <= 1e-5:
        return ("your dW exceeds the numerical gradient of your own loss by X.T @ one_hot(y) / N at every sampled "
                "entry: the gradient of L_i with respect to the scores is p - one_hot(y_i), so subtract 1 from "
                "the probability of the correct class.")
    return ""


def finite_loss_and_grad(student, target, W, X, y, reg):
    """(loss, dW) of the student's `target`, failing with STABILITY_ADVICE when it is not finite
    or when the call itself fails (math.exp overflows with OverflowError, math.log(0) is a ValueError)."""
    fn = target.split(".")[-1]
    try:
        return expect_loss_and_grad(student.call(target, W, X, y, reg), W, fn)
    except StudentError as error:
        if error.exc_type == "NotImplementedError":
            raise
        failure = f"{fn} {error}."
    except CheckFailed as error:
        failure = str(error)
    raise CheckFailed(f"{failure} (On {describe_shapes(W=W, X=X, reg=reg)}, with scores up to "
                      f"{np.abs(X @ W).max():.0e} in magnitude.)\nHint: {STABILITY_ADVICE}")


@pytest.mark.points(2)
def test_softmax_loss_naive_lecture_example(student):
    """softmax_loss_naive reproduces the lecture's worked example: scores 3.2, 5.1, -1.7 give
    p(cat) ≈ 0.13 and a loss of -ln p(cat) ≈ 2.04, also as the mean over three copies."""
    require_lecture_loss(student, NAIVE)


@pytest.mark.points(1)
def test_softmax_loss_naive_log_num_classes(student, public_rng):
    """With W = 0 every class has probability 1/C, so softmax_loss_naive returns ln C (ln 10 ≈ 2.303)."""
    require_lecture_loss(student, NAIVE)
    N, D, C = 40, 12, 10
    W = np.zeros((D, C))
    X = public_rng.standard_normal((N, D))
    # No example of the last class: the sum over classes must still run over all C columns of W.
    y = public_rng.integers(0, C - 1, size=N)
    loss, _ = expect_loss_and_grad(student.call(NAIVE, W, X, y, 0.0), W, "softmax_loss_naive")
    hint = ""
    if abs(loss - math.log(C - 1)) < 1e-9:
        hint = ("your loss is ln 9: loop over all C = W.shape[1] classes, not up to y.max() (this batch has "
                "no example of the last class).")
    elif abs(loss - math.log10(C)) < 1e-9:
        hint = "your loss is log10 C; the softmax loss uses the natural log, np.log."
    check_close(loss, math.log(C), "softmax_loss_naive", "the loss",
                f"W = 0 (all scores equal), {describe_shapes(W=W, X=X)}", 1e-9, hint)


@pytest.mark.points(3)
def test_softmax_loss_naive_gradient(student, public_rng, gradient_guard):
    """softmax_loss_naive's dW agrees with the numerical gradient of its own loss, with reg = 0 and 50."""
    require_lecture_loss(student, NAIVE)
    for reg in (0.0, 50.0):
        check_own_gradient(student, NAIVE, public_rng, reg, hint_for=gradient_hint, guard=gradient_guard)


@pytest.mark.points(1)
def test_softmax_loss_naive_regularization(student, public_rng):
    """Regularization adds reg * sum(W * W) to the loss and 2 * reg * W to dW."""
    require_lecture_loss(student, NAIVE)
    W, X, y = random_problem(public_rng, 6, 5, 3)
    check_regularization(student, NAIVE, W, X, y, 0.7)


@pytest.mark.points(1)
def test_softmax_loss_vectorized_lecture_example(student):
    """softmax_loss_vectorized reproduces the lecture's worked example (loss ≈ 2.04), also as the mean
    over three copies."""
    require_lecture_loss(student, VECTORIZED)


@pytest.mark.points(2)
def test_softmax_loss_vectorized_matches_naive(student, public_rng):
    """softmax_loss_vectorized returns the same loss and dW as your softmax_loss_naive (reg = 0 and 0.1)."""
    require_lecture_loss(student, NAIVE)
    problems = ((*random_problem(public_rng, 50, 20, 10), reg) for reg in (0.0, 0.1))
    check_versions_agree(student, VECTORIZED, NAIVE, problems)


@pytest.mark.points(1)
def test_softmax_loss_vectorized_loop_free(student, student_lib, public_rng, gradient_guard):
    """softmax_loss_vectorized uses no Python loops, comprehensions or recursion, and its values are right."""
    require_lecture_loss(student, VECTORIZED)
    check_vectorized_form(student, student_lib, VECTORIZED, "softmax", public_rng, guard=gradient_guard)


@pytest.mark.points(1)
def test_softmax_loss_inputs_unchanged(student):
    """softmax_loss_naive and softmax_loss_vectorized leave W, X and y unchanged (and compute the right loss)."""
    W, X, y, expected = lecture_example(copies=3)
    for target in (NAIVE, VECTORIZED):
        fn = target.split(".")[-1]
        value = check_unchanged(student, target, (W, X, y, 0.0), ("W", "X", "y", "reg"), fn)
        loss, _ = expect_loss_and_grad(value, W, fn)
        check_close(loss, expected, fn, "the loss",
                    f"three copies of the lecture's cat image ({describe_shapes(W=W, X=X, reg=0.0)})", 1e-9)


def shifted_rows(W, X, shift):
    """W' (D + 1, C) and X' (N, D + 1) whose scores are X @ W plus ±`shift` on every score of a row.

    The extra feature is +1 on even rows and -1 on odd ones, and the extra row of W' is `shift` for
    every class. A softmax is unchanged by a constant added to all scores of a row, so the loss
    and dW[:D] must be those of (W, X); dW[D] is the gradient for the extra feature.
    """
    signs = np.where(np.arange(X.shape[0]) % 2 == 0, 1.0, -1.0)
    return np.vstack([W, np.full((1, W.shape[1]), shift)]), np.hstack([X, signs[:, None]])


@pytest.mark.points(2)
def test_softmax_loss_stable_for_large_scores(student, public_rng):
    """Both versions stay finite and correct for scores of magnitude 1e4: adding ±1e4 to every score of a
    row changes neither the loss nor dW, and on rows from 1e-3 to 1e4 in scale the two versions agree."""
    require_lecture_loss(student, NAIVE)
    require_lecture_loss(student, VECTORIZED)
    W, X, y = random_problem(public_rng, 12, 6, 5)
    W_shifted, X_shifted = shifted_rows(W, X, 1e4)
    on = f"{describe_shapes(W=W_shifted, X=X_shifted, reg=0.0)}, every row's scores shifted by ±1e4"
    for target in (NAIVE, VECTORIZED):
        fn = target.split(".")[-1]
        loss, dW = expect_loss_and_grad(student.call(target, W, X, y, 0.0), W, fn)
        loss_shifted, dW_shifted = finite_loss_and_grad(student, target, W_shifted, X_shifted, y, 0.0)
        advice = ("adding the same number to all the scores of a row leaves its softmax unchanged, so the loss "
                  f"must not change either; {STABILITY_ADVICE}")
        check_close(loss_shifted, loss, fn, "the loss (compared with the same scores before the shift)", on, 1e-8,
                    advice)
        check_close(dW_shifted[:-1], dW, fn, "dW[:D] (compared with dW before the shift)", on, 1e-6, advice)

    W, X, y = random_problem(public_rng, 10, 6, 5)
    # The two versions must agree on ordinary scores before their agreement on large ones means anything.
    check_versions_agree(student, VECTORIZED, NAIVE, [(W, X, y, 0.1)])
    # Scores of each row about 0.25 * its scale: from 1e-4 to 1e4 in magnitude, of either sign.
    X = X * np.array([4e4, -4e4, 1e4, 3e3, 1.0, 1e-3, 10.0, -1e4, 1e2, 0.1])[:, None]
    on = f"{describe_shapes(W=W, X=X, reg=0.1)}, rows from 1e-3 to 1e4 in scale"
    loss_n, dW_n = finite_loss_and_grad(student, NAIVE, W, X, y, 0.1)
    loss_v, dW_v = finite_loss_and_grad(student, VECTORIZED, W, X, y, 0.1)
    compared = "compared with your softmax_loss_naive; one of the two is wrong"
    check_close(loss_v, loss_n, "softmax_loss_vectorized", f"the loss ({compared})", on, 1e-9, STABILITY_ADVICE)
    check_close(dW_v, dW_n, "softmax_loss_vectorized", f"dW ({compared})", on, 1e-8, STABILITY_ADVICE)


@pytest.mark.points(2)
def test_softmax_train_predict(student, public_rng, gradient_guard):
    """Softmax (a LinearClassifier whose loss is your softmax_loss_vectorized) trains by the contract
    (W drawn from the seed, one loss per iteration, loss falls, reproducible) and predicts integer labels
    that fit separable data."""
    require_lecture_loss(student, VECTORIZED)
    require_gradient_for_training(student, VECTORIZED, "Softmax", public_rng, guard=gradient_guard)
    check_train_predict(student, "Softmax", public_rng)


### BEGIN HIDDEN TESTS
# Hidden inputs: several shapes, reg = 0, small and large, float64 and float32.
HIDDEN_CASES = [(5, 4, 3, 0.0, np.float64), (40, 20, 10, 1e-3, np.float64), (30, 12, 6, 1e3, np.float64),
                (64, 33, 10, 0.25, np.float32), (50, 25, 7, 0.0, np.float32)]


def softmax_variant(W, X, y, reg, log=np.log, axis=1, average_loss=True, average_grad=True, one_hot=True,
                    grad_sign=1.0, reg_loss=1.0, reg_grad=2.0):
    """The softmax loss with one of the usual mistakes switched on (defaults: the correct loss).

    For hints on ordinary inputs only: it takes the log of probabilities, which underflows for
    large logits.
    """
    N = X.shape[0]
    rows = np.arange(N)
    scores = X @ W
    with np.errstate(all="ignore"):
        exps = np.exp(scores - scores.max(axis=axis, keepdims=True))
        probs = exps / exps.sum(axis=axis, keepdims=True)
        data_loss = -log(probs[rows, y]).sum()
    loss = data_loss / (N if average_loss else 1) + reg_loss * reg * np.sum(W * W)
    dscores = probs.copy()
    if one_hot:
        dscores[rows, y] -= 1
    dW = grad_sign * X.T @ dscores / (N if average_grad else 1) + reg_grad * reg * W
    return loss, dW


SOFTMAX_MISTAKES = [
    (dict(log=np.log10), "the loss uses log10; the softmax loss uses the natural log, np.log."),
    (dict(axis=0), "the probabilities are normalized over the examples (axis 0); normalize each row of "
                   "scores over its classes (axis=1)."),
    (dict(average_loss=False), "the data loss is summed over the examples; divide it by N."),
    (dict(average_grad=False), "the data gradient is summed over the examples; divide it by N."),
    (dict(one_hot=False), "the gradient of L_i with respect to the scores is p - one_hot(y_i): subtract 1 "
                          "from the probability of the correct class."),
    (dict(grad_sign=-1.0), "the data gradient has the wrong sign: dL_i/ds_j = p_j - 1[j = y_i]."),
    (dict(reg_loss=0.0), "the loss lacks the regularization term reg * np.sum(W * W)."),
    (dict(reg_loss=0.5), "the regularization term is reg * np.sum(W * W), without a factor 0.5."),
    (dict(reg_grad=0.0), "dW lacks the regularization gradient 2 * reg * W."),
    (dict(reg_grad=1.0), "the regularization gradient is 2 * reg * W: the factor 2 is missing."),
]


def explain_softmax_mistake(loss, dW, W, X, y, reg, part):
    """The hint of the first known mistake that reproduces the student's `part` ('loss' or 'dW')."""
    W, X = W.astype(np.float64), X.astype(np.float64)
    right_loss, right_dW = softmax_variant(W, X, y, reg)
    for change, hint in SOFTMAX_MISTAKES:
        wrong_loss, wrong_dW = softmax_variant(W, X, y, reg, **change)
        if part == "loss":
            differs = abs(wrong_loss - right_loss) > 1e-6 * max(1.0, abs(right_loss))
            if differs and abs(loss - wrong_loss) <= 1e-4 * max(1.0, abs(wrong_loss)):
                return hint
        else:
            differs = not np.allclose(wrong_dW, right_dW, rtol=1e-6, atol=1e-9)
            if differs and np.allclose(dW, wrong_dW, rtol=1e-4, atol=1e-6):
                return hint
    return ""


def compare_softmax_with_reference(student, reference, hidden_rng, target, guard):
    problems = ((*random_problem(hidden_rng, N, D, C, dtype), reg) for N, D, C, reg, dtype in HIDDEN_CASES)
    check_loss_against_reference(student, target, getattr(reference.softmax, target.split(".")[-1]),
                                 problems, hidden_rng, "the softmax loss", explain_softmax_mistake, guard=guard)


@pytest.mark.points(3)
def test_softmax_loss_naive_matches_reference(student, reference, hidden_rng, gradient_guard):
    """softmax_loss_naive matches the reference loss and dW on hidden inputs (several shapes, reg = 0,
    small and large, float64 and float32)."""
    compare_softmax_with_reference(student, reference, hidden_rng, NAIVE, gradient_guard)


@pytest.mark.points(3)
def test_softmax_loss_vectorized_matches_reference(student, reference, hidden_rng, note, reference_sandbox,
                                                   gradient_guard):
    """softmax_loss_vectorized matches the reference loss and dW on hidden inputs (several shapes, reg = 0,
    small and large, float64 and float32)."""
    compare_softmax_with_reference(student, reference, hidden_rng, VECTORIZED, gradient_guard)
    note(speed_note(student, reference_sandbox, VECTORIZED))


@pytest.mark.points(2)
def test_softmax_loss_gradient_check_hidden(student, hidden_rng, gradient_guard):
    """The trusted gradient check: dW of both versions agrees with the numerical gradient of the
    student's own loss on hidden inputs, with reg = 0 and a large reg."""
    require_lecture_loss(student, NAIVE)
    for target in (NAIVE, VECTORIZED):
        fn = target.split(".")[-1]
        for reg in (0.0, 50.0):
            W, X, y = random_problem(hidden_rng, 20, 15, 5)
            _, dW = expect_loss_and_grad(student.call(target, W, X, y, reg), W, fn)
            check_gradient(student, target, W, (X, y, reg), dW, fn, describe_shapes(W=W, X=X, reg=reg),
                           hidden_rng, num_coords=25, hint_for=gradient_hint, guard=gradient_guard)


def large_logit_problems(rng):
    """(W, X, y, reg, description) with logits of magnitude 1e4, as the contract promises stability for."""
    W, X, y = random_problem(rng, 20, 10, 6)
    yield W, 3e4 * X, y, 0.0, "logits of magnitude 1e4"
    W, X, y = random_problem(rng, 24, 10, 6)
    scales = rng.choice([-1.0, 1.0], size=24) * 10.0 ** rng.uniform(-3, 4.5, size=24)
    yield W, X * scales[:, None], y, 1e-2, "rows from 1e-3 to 1e4 in scale"
    W, X, y = random_problem(rng, 16, 8, 5)
    W_shifted, X_shifted = shifted_rows(W, X, float(rng.uniform(5e3, 2e4)))
    yield W_shifted, X_shifted, y, 0.0, "every row's scores shifted by about ±1e4"


def capped_loss_hint(loss, expected):
    if loss < expected * (1 - 1e-6):
        return ("your loss is smaller than the reference's. With logits this large the correct class's probability "
                "underflows to 0 (e^-1e4 is 0 in floating point), and clipping it, or adding a small epsilon before "
                "the log, caps each example's loss (near 34.5 for 1e-15). Take the log-probability as the shifted "
                "score minus the log of the row's sum of exponentials: it is exact.")
    return STABILITY_ADVICE


@pytest.mark.points(2)
def test_softmax_loss_stable_matches_reference(student, reference, hidden_rng):
    """Both versions match the reference, finite and exact, on logits of magnitude 1e4, on rows of very
    different scale and on rows shifted by ±1e4."""
    require_lecture_loss(student, NAIVE)
    for W, X, y, reg, description in large_logit_problems(hidden_rng):
        on = f"{describe_shapes(W=W, X=X, reg=reg)}, {description}"
        for target in (NAIVE, VECTORIZED):
            fn = target.split(".")[-1]
            loss, dW = finite_loss_and_grad(student, target, W, X, y, reg)
            expected_loss, expected_dW = getattr(reference.softmax, fn)(W, X, y, reg)
            check_close(loss, expected_loss, fn, "the loss", on, 1e-7, capped_loss_hint(loss, expected_loss))
            check_close(dW, expected_dW, fn, "dW", on, 1e-7, STABILITY_ADVICE)


def require_vectorized_matches_softmax_reference(student, reference, rng):
    require_reference_loss_for_training(student, VECTORIZED, reference.softmax.softmax_loss_vectorized,
                                        "Softmax", rng)


# The reference Softmax reaches about 91 % validation accuracy on the fast digits with these.
SOFTMAX_TRAINING = dict(learning_rate=3e-3, reg=1e-2, num_iters=300, batch_size=100)


@pytest.mark.points(1)
def test_softmax_train_matches_reference(student, reference, hidden_rng):
    """Softmax.train with a hidden seed follows the reference trajectory on the digits (same initial W,
    batches and updates)."""
    require_vectorized_matches_softmax_reference(student, reference, hidden_rng)
    check_training_matches_reference(student, reference, "Softmax", hidden_rng, SOFTMAX_TRAINING)


@pytest.mark.points(2)
def test_softmax_accuracy(student, reference, hidden_rng):
    """A Softmax trained with the student's loss reaches the reference's validation accuracy on the
    digits (within 2 points)."""
    require_vectorized_matches_softmax_reference(student, reference, hidden_rng)
    check_accuracy_matches_reference(student, reference, "Softmax", hidden_rng, SOFTMAX_TRAINING)
### END HIDDEN TESTS
