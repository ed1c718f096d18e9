"""The diagnoses behind hints: they name a mistake only when the student's numbers show it."""
import numpy as np
import pytest

from autograder.checks.common import (
    CheckFailed,
    check_loop_free,
    mutation_hint,
    regularization_gradient_hint,
    returned_arrays,
)
from autograder.instructor.reference import Reference


@pytest.fixture
def before():
    return np.random.default_rng(0).standard_normal((4, 3))


def test_an_input_returned_itself_is_named_as_the_callers_array(before):
    after = before - 0.1
    hint = mutation_hint("w", before, after, returned_arrays((after.copy(), {"learning_rate": 0.1})))
    assert "is the caller's w itself" in hint


def test_an_input_reordered_in_place_is_told_apart_from_one_scaled_in_place(before):
    assert "in another order" in mutation_hint("X", before, before[::-1])
    scaled = mutation_hint("W", before, 0.5 * before)
    assert "multiple of its old values" in scaled and "multiplied by 0.5" in scaled


def test_a_change_that_matches_no_known_mistake_gets_no_hint(before):
    other = before + np.random.default_rng(1).standard_normal(before.shape)
    assert mutation_hint("W", before, other, returned_arrays((np.zeros(3),))) == ""
    assert mutation_hint("W", before, other[:2]) == ""


def write_lib(tmp_path, source):
    (tmp_path / "m.py").write_text(source)
    return tmp_path


def test_a_loop_in_a_called_helper_names_the_helper(tmp_path):
    lib = write_lib(tmp_path, "def naive(x):\n    for r in x:\n        pass\n    return x\n\n"
                              "def fast(x):\n    return naive(x)\n")
    with pytest.raises(CheckFailed) as failure:
        check_loop_free(lib, "m", "fast", how="use whole arrays.")
    message = str(failure.value)
    assert "a for loop in naive (lib/m.py line 2)" in message
    assert "\nHint: fast calls naive, which loops" in message and message.endswith("use whole arrays.")


def test_a_loop_in_the_function_itself_gets_the_how_hint(tmp_path):
    lib = write_lib(tmp_path, "def fast(x):\n    return [r for r in x]\n")
    with pytest.raises(CheckFailed, match="Hint: use whole arrays.$"):
        check_loop_free(lib, "m", "fast", how="use whole arrays.")


def test_reference_results_are_computed_once_per_process_and_key(tmp_path):
    calls = []
    key = ("training", 7)
    assert Reference(tmp_path).computed(key, lambda: calls.append(1) or 42) == 42
    assert Reference(tmp_path).computed(key, lambda: calls.append(1) or 0) == 42, "shared by the process"
    assert Reference(tmp_path).computed(("training", 8), lambda: calls.append(1) or 43) == 43
    assert calls == [1, 1]


def test_a_gradient_short_by_the_regularization_term_is_diagnosed(before):
    coords = [(0, 0), (1, 2), (3, 1)]
    W_at = np.array([before[c] for c in coords])
    data_part = np.array([0.3, -0.2, 0.1])
    numerical = data_part + 2 * 0.5 * W_at          # the loss has 0.5 * sum(W * W)
    assert "factor 2 is missing" in regularization_gradient_hint(before, 0.5, coords, data_part + 0.5 * W_at, numerical)
    assert "does not include its gradient" in regularization_gradient_hint(before, 0.5, coords, data_part, numerical)
    assert regularization_gradient_hint(before, 0.5, coords, -data_part, numerical) == ""
    assert regularization_gradient_hint(before, 0.0, coords, data_part, data_part + 1) == ""
