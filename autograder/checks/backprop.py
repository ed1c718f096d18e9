"""Checks for the backprop assignment: lib/graph.py, lib/layers.py and lib/neural_net.py.

Public checks use the lecture's worked examples (Lecture 4, "Backpropagation and Neural
Networks"), CS231n's layer examples, finite differences of the student's own forward passes and
the contract; hidden checks add the reference on hidden random inputs: random expression graphs
evaluated by the reference engine in this process, layers and TwoLayerNet on hidden shapes, and
training against the reference. Graphs are described by plain numbers and strings
(worker_side/backprop.py) and built with the student's Value inside the worker; the finite
differences are taken here, from the values the worker returns. Form checks (loop-free, inputs
unchanged) score only when the values are right.

Every gradient check ends with a consistency guard that the student's code cannot satisfy by
remembering what it was called with: the perturbed points of a finite difference arrive in the
worker right after their base point, so a forward pass (or a changed worker-side routine) could
answer them with a linearization of the claimed gradient. The guard evaluates the student's
forward at a few points along random dense directions from a fresh base point, in a second
("blind") worker that never sees that base point (see "the consistency guard" below).
"""
import math

import numpy as np
import pytest

from ..sandbox.proxy import StudentError
from .common import (
    WHOLE_ARRAYS,
    CheckFailed,
    check_close,
    check_loop_free,
    describe_shapes,
    expect_array,
    expect_number,
    loss_gradient_at,
    mutation_hint,
    numerical_gradient_at,
    returned_arrays,
    scalar_error,
    tolerance,
)

H = 1e-5                      # step of every centered difference
GRADIENT_TOLERANCE = 1e-6     # CS231n's relative error, for analytic vs numerical gradients
LAYER_FUNCTIONS = ("affine_forward", "affine_backward", "relu_forward", "relu_backward", "svm_loss",
                   "softmax_loss")


# -- the consistency guard ----------------------------------------------------------------------
# The check's finite differences come from the worker that also saw their base point and returned
# the analytic gradient there; a stateful forward, or a changed worker-side routine, can recognize
# x + h e_i as a neighbour of x and answer it with its own claim. The loss layers take the guard of
# every loss (common.GradientGuard, the plugin's `gradient_guard`). The layers, the graph engine
# and the net are functions of several arrays with array values, evaluated through worker-side
# routines, so they take this guard, built the same way on the same "blind" worker: a fresh base
# point x1 drawn from the guard's generator (secret while grading, never a public or rounded
# value); the main worker gives f(x1) and the analytic gradient g(x1); the blind worker, which
# never receives x1, evaluates f at x1 + t v_k for a few random dense directions v_k (one-sided: a
# pair x1 ± t v would give x1 away as its midpoint), and (f(x1 + t v_k) - f(x1)) / t must equal
# g(x1) . v_k. Knowing only the points x1 + t v_k, the blind worker cannot put x1 back together
# closely enough to answer with a linearization: its best guess, their mean, is off by t times a
# random vector.
GUARD_DIRECTIONS = 3           # a forger's error shows along every one; each costs one evaluation
GUARD_STEP = 1e-7             # t, times the largest entry of the base point (at least 1)
GUARD_TOLERANCE = 1e-4        # one-sided differences: truncation ~ t, rounding ~ 1e-16 / t


class GuardSession:
    """The session's blind worker (the plugin's `blind_student`, started by its first request) and
    the guards that already passed in this session (Guards.once)."""

    def __init__(self, sandbox):
        self.sandbox = sandbox
        self.passed = set()


@pytest.fixture(scope="session")
def guard_session(blind_student):
    return GuardSession(blind_student)


class Guards:
    """What a check's guards need: the blind worker, the check's guard generator (`rng`), and the
    loss guard (`losses`, a common.GradientGuard on the same worker and generator)."""

    def __init__(self, guard_session, gradient_guard):
        self._guard_session = guard_session
        self.losses = gradient_guard
        self.rng = gradient_guard.rng

    def blind(self):
        return self._guard_session.sandbox

    def once(self, key, guard):
        """Run `guard()` unless it already passed for `key` in this session: the verdict is the same
        at every fresh base point (require_layers runs the layers' guards for two checks)."""
        if key not in self._guard_session.passed:
            guard()
            self._guard_session.passed.add(key)


@pytest.fixture
def guards(guard_session, gradient_guard):
    return Guards(guard_session, gradient_guard)


def guard_directions(rng, arrays, count=GUARD_DIRECTIONS):
    """`count` random dense directions over `arrays`: each a list of standard normal arrays of their shapes."""
    return [[rng.standard_normal(np.shape(a)) for a in arrays] for _ in range(count)]


def guard_step(arrays):
    """t for a base point made of `arrays`: GUARD_STEP relative to its largest entry (at least 1)."""
    return GUARD_STEP * max(1.0, max(float(np.max(np.abs(a), initial=0)) for a in arrays))


def guard_points(arrays, directions, step):
    """The base point moved by `step` along each direction: one list of float64 arrays per direction."""
    return [[np.asarray(a, dtype=np.float64) + step * d for a, d in zip(arrays, direction)]
            for direction in directions]


def check_blind_consistency(fn, own, on, base_value, analytic, directions, step, values, tol=GUARD_TOLERANCE):
    """Raise CheckFailed unless the one-sided differences of the student's own function agree with
    their analytic gradient along every direction.

    `base_value` is f(x1) from the main worker, `analytic` its gradient there (arrays shaped like
    the arguments, one per argument), `directions` the v_k (lists of arrays of the same shapes),
    `values` f(x1 + step * v_k) from the blind worker, one float per direction."""
    for direction, value in zip(directions, values):
        slope = (value - base_value) / step
        products = [np.asarray(g, dtype=np.float64) * d for g, d in zip(analytic, direction)]
        predicted = float(sum(np.sum(p) for p in products))
        scale = float(sum(np.sum(np.abs(p)) for p in products))
        error = abs(slope - predicted) / max(abs(slope) + abs(predicted), scale, 1e-12)
        if error > tol:
            raise CheckFailed(
                f"{fn}: your gradient disagrees with your own {own} on {on} when the {own} is evaluated in a "
                f"second, fresh worker: along a random direction from a new input, your {own} changes at the rate "
                f"{slope:.6g} (one-sided difference, step {step:.1e}) while your gradient predicts {predicted:.6g} "
                f"(relative error {error:.2e}, tolerance {tol:.0e}). The gradient check passed only where your "
                f"code had seen the input before, so your {own} answers differently once it has seen an input: "
                "compute every value from the function's arguments alone (nothing remembered from earlier calls, "
                "no changes to the grader's routines).")


# -- graphs -------------------------------------------------------------------------------------
# A graph is (spec, leaves, names): the spec of worker_side/backprop.py, the leaf values, and a
# name per node for the messages (None: n0, n1, ...).

def node_name(names, i):
    return names[i] if names else f"n{i}"


def unreadable(what):
    """The failure when a worker-side routine answers in a form it never produces by itself."""
    return CheckFailed(f"The {what} in the worker returned an answer the grader cannot read. That happens only "
                       "when code in lib/ changes the grader's routines in the worker; keep lib/ to the "
                       "assignment's functions.")


def is_real(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool)


OP_TEXT = {"+": "{} + {}", "-": "{} - {}", "*": "{} * {}", "/": "{} / {}", "**": "{} ** {}", "max": "{}.max({})",
           "neg": "-{}", "exp": "{}.exp()", "log": "{}.log()", "relu": "{}.relu()", "sigmoid": "{}.sigmoid()",
           "tanh": "{}.tanh()"}
# The Value methods whose backward an operation runs, and why when it is built from others.
OP_METHODS = {"+": ("__add__",), "-": ("__add__", "__mul__"), "*": ("__mul__",), "/": ("__mul__", "__pow__"),
              "**": ("__pow__",), "max": ("max",), "neg": ("__mul__",), "exp": ("exp",), "log": ("log",),
              "relu": ("relu",), "sigmoid": ("sigmoid",), "tanh": ("tanh",)}
OP_NOTES = {"-": "a - b is a + (-b), and -b is b * -1", "/": "a / b is a * b ** -1", "neg": "-a is a * -1"}


def methods_text(ops):
    """'Value.__add__ and Value.__mul__ (a - b is a + (-b), and -b is b * -1)' for a set of ops."""
    methods = sorted({m for op in ops for m in OP_METHODS[op]})
    notes = [OP_NOTES[op] for op in sorted(set(ops)) if op in OP_NOTES]
    return " and ".join(f"Value.{m}" for m in methods) + (f" ({'; '.join(notes)})" if notes else "")


def operand_text(names, operand):
    return node_name(names, operand) if isinstance(operand, int) else f"{operand:g}"


def node_formula(spec, names, i):
    """'q = x + y' for node i of spec."""
    op, operands = spec[i][0], spec[i][1:]
    if op == "leaf":
        return f"{node_name(names, i)} (a leaf)"
    if op == "**":
        text = OP_TEXT[op].format(node_name(names, operands[0]), f"{operands[1]:g}")
    else:
        text = OP_TEXT[op].format(*(operand_text(names, o) for o in operands))
    return f"{node_name(names, i)} = {text}"


def node_operands(entry):
    """The node indices an entry uses (the exponent of ** is a number, not a node)."""
    op, operands = entry[0], entry[1:]
    if op == "leaf":
        return []
    if op == "**":
        return [operands[0]]
    return [o for o in operands if isinstance(o, int)]


def consumers(spec, i):
    return [j for j, entry in enumerate(spec) if i in node_operands(entry)]


def leaf_nodes(spec):
    return [i for i, entry in enumerate(spec) if entry[0] == "leaf"]


def expect_graph_results(value, graphs):
    """[(data, grad)] float arrays per graph from evaluate_graphs' answer."""
    if not isinstance(value, list) or len(value) != len(graphs):
        raise unreadable("graph evaluation")
    results = []
    for answer, (spec, _, names) in zip(value, graphs):
        arrays = []
        for field, what in (("data", "data"), ("grad", "grad")):
            entries = answer.get(field) if isinstance(answer, dict) else None
            if not isinstance(entries, list) or len(entries) != len(spec):
                raise unreadable("graph evaluation")
            for i, entry in enumerate(entries):
                if isinstance(entry, str):
                    raise CheckFailed(f"Value: after backward(), {node_name(names, i)}.{what} is a "
                                      f"{entry.strip('<>')}; "
                                      f"expected a float. Keep .{what} a plain number (e.g. 0.0 for a new node).")
                if not is_real(entry):
                    raise unreadable("graph evaluation")
                if not math.isfinite(entry):
                    raise CheckFailed(f"Value: after backward(), {node_name(names, i)}.{what} is {entry} in the graph "
                                      f"{graph_title(spec, names)}; expected a finite number.")
            arrays.append(np.array(entries, dtype=float))
        results.append(tuple(arrays))
    return results


def graph_title(spec, names, limit=6):
    """A short description of a graph: its last nodes' formulas."""
    formulas = [node_formula(spec, names, i) for i in range(len(spec)) if spec[i][0] != "leaf"]
    shown = formulas if len(formulas) <= limit else ["..."] + formulas[-limit:]
    return "; ".join(shown)


def leaf_text(spec, leaves, names):
    return ", ".join(f"{node_name(names, i)} = {leaves[spec[i][1]]:g}" for i in leaf_nodes(spec))


def run_graphs(student, graphs):
    """The student's (data, grad) arrays for each graph (spec, leaves, names), in one round trip."""
    value = student.run("backprop.evaluate_graphs", [(spec, leaves) for spec, leaves, _ in graphs])
    return expect_graph_results(value, graphs)


def graph_output_values(sandbox, cases):
    """The output's .data of each graph (spec, leaves) built with the student's Value in `sandbox`."""
    outputs = sandbox.run("backprop.graph_outputs", cases)
    if not isinstance(outputs, list) or len(outputs) != len(cases):
        raise unreadable("graph evaluation")
    values = []
    for value in outputs:
        if not isinstance(value, str) and not is_real(value):
            raise unreadable("graph evaluation")
        if isinstance(value, str) or not math.isfinite(value):
            raise CheckFailed(f"Value: the output's .data is {value} at a perturbed input; expected a finite float. "
                              "The forward pass (the data of each new node) is given in the stub: keep it.")
        values.append(value)
    return values


def graph_numerical_gradients(student, graphs, h=H):
    """Centered differences of each graph's output, built with the student's Value, with respect
    to each of its leaves (one round trip for all graphs): a list of arrays over leaf nodes."""
    cases, layout = [], []
    for spec, leaves, _ in graphs:
        for i in leaf_nodes(spec):
            for step in (h, -h):
                moved = list(leaves)
                moved[spec[i][1]] += step
                cases.append((spec, moved))
        layout.append(len(leaf_nodes(spec)))
    values = graph_output_values(student, cases)
    gradients, start = [], 0
    for count in layout:
        pairs = np.array(values[start:start + 2 * count]).reshape(count, 2)
        gradients.append((pairs[:, 0] - pairs[:, 1]) / (2 * h))
        start += 2 * count
    return gradients


def compare_graph(spec, names, data, grad, expected_data, expected_grad, where, tol=1e-9, hint=None):
    """Compare node by node: the data (forward pass), the output's grad, then the grads from the
    output back to the leaves; the first wrong grad names the gates that feed it."""
    for i in range(len(spec)):
        if scalar_error(data[i], expected_data[i]) > tol:
            raise CheckFailed(f"Value: the forward pass of {where} gives {node_formula(spec, names, i)} = "
                              f"{data[i]:.6g}; "
                              f"expected {expected_data[i]:.6g}. The forward pass (each new node's data) is given in "
                              "the stub: keep it as it is.")
    out = len(spec) - 1
    if abs(grad[out] - 1.0) > tol:
        raise CheckFailed(f"Value.backward: on {where}, the output {node_name(names, out)} has grad {grad[out]:.6g} "
                          "after backward(); expected 1 (d output / d output). backward() starts by setting the "
                          "output's grad to 1.")
    scale = max(float(np.max(np.abs(expected_grad))), 1e-12)
    for i in reversed(range(len(spec))):
        error = abs(grad[i] - expected_grad[i]) / max(abs(grad[i]), abs(expected_grad[i]), 1e-6 * scale)
        if error > tol:
            users = consumers(spec, i)
            gates = "; ".join(node_formula(spec, names, j) for j in users)
            message = (f"Value.backward: on {where}, {node_name(names, i)}.grad is {grad[i]:.6g} but should be "
                       f"{expected_grad[i]:.6g} (relative error {error:.2e}, tolerance {tol:.0e}). Every node after it "
                       f"is right, so the gradient flowing into {node_name(names, i)} from the gate"
                       f"{'s' if len(users) > 1 else ''} that use{'' if len(users) > 1 else 's'} it ({gates}) is "
                       f"wrong: look at the backward of {methods_text(spec[j][0] for j in users)}, and at the order "
                       "in which backward() visits the nodes.")
            extra = hint(grad) if hint else ""
            raise CheckFailed(message + (f"\nHint: {extra}" if extra else ""))


def lecture_graph():
    """f(x, y, z) = (x + y) z at x = -2, y = 5, z = -4 (Lecture 4): q = x + y = 3, f = q z = -12;
    df/dq = z = -4, df/dx = df/dy = df/dq * 1 = -4, df/dz = q = 3."""
    x, y, z = -2.0, 5.0, -4.0
    q = x + y
    spec = [("leaf", 0), ("leaf", 1), ("leaf", 2), ("+", 0, 1), ("*", 3, 2)]
    names = ["x", "y", "z", "q", "f"]
    expected_data = [x, y, z, q, q * z]
    expected_grad = [z, z, q, z, 1.0]
    return (spec, [x, y, z], names), expected_data, expected_grad


def lecture_graph_hint(grad):
    x, y, z, q, _ = grad
    if x == y == z == q == 0:
        return ("no grad reached the inputs: backward() must call the _backward of every node, from the output "
                "back to the leaves (reverse topological order).")
    if q == -4 and z == -4:
        return "the multiply gate swaps its inputs: in q * z, q's grad is z * f.grad and z's grad is q * f.grad."
    if q == -4 and (x, y) != (-4, -4):
        return "the add gate passes the upstream gradient unchanged to both inputs: x.grad += q.grad, y.grad += q.grad."
    return ""


def sigmoid_neuron():
    """The lecture's neuron f(w, x) = 1 / (1 + exp(-(w0 x0 + w1 x1 + w2))) at w0 = 2, x0 = -1, w1 = -3,
    x1 = -2, w2 = -3 (Lecture 4): the output is 0.73 and the gradients are w0 -0.20, x0 0.39, w1 -0.39,
    x1 -0.59, w2 0.20, with the gates' grads 1 -> -0.53 (1/x) -> -0.53 (+1) -> -0.20 (exp) -> 0.20 (*-1).

    Returns the gate-by-gate graph, the same neuron with one sigmoid gate, and the expected values
    of both (computed here with math.exp; the lecture shows them rounded)."""
    w0, x0, w1, x1, w2 = 2.0, -1.0, -3.0, -2.0, -3.0
    leaves = [w0, x0, w1, x1, w2]
    a, b = w0 * x0, w1 * x1
    c = a + b
    d = c + w2                      # 1.0
    m = -d
    g = math.exp(m)
    k = g + 1.0
    f = 1.0 / k                     # 0.73
    df_dk = -1.0 / k ** 2           # the 1/x gate: -0.53
    df_dg = df_dk                   # the +1 gate passes it on
    df_dm = g * df_dg               # the exp gate: -0.20
    df_dd = -df_dm                  # the *-1 gate: 0.20 (= sigma(d) (1 - sigma(d)))
    gates = [("leaf", i) for i in range(5)] + [("*", 0, 1), ("*", 2, 3), ("+", 5, 6), ("+", 7, 4)]
    gate_names = ["w0", "x0", "w1", "x1", "w2", "a", "b", "c", "d"]
    leaf_grads = [x0 * df_dd, w0 * df_dd, x1 * df_dd, w1 * df_dd, df_dd]
    by_gates = (gates + [("neg", 8), ("exp", 9), ("+", 10, 1.0), ("/", 1.0, 11)],
                leaves, gate_names + ["m", "g", "k", "f"])
    by_gates_data = leaves + [a, b, c, d, m, g, k, f]
    by_gates_grad = leaf_grads + [df_dd] * 4 + [df_dm, df_dg, df_dk, 1.0]
    sigmoid_gate = (gates + [("sigmoid", 8)], leaves, gate_names + ["f"])
    sigmoid_data = leaves + [a, b, c, d, f]
    sigmoid_grad = leaf_grads + [df_dd] * 4 + [1.0]
    return (by_gates, by_gates_data, by_gates_grad), (sigmoid_gate, sigmoid_data, sigmoid_grad)


def sigmoid_gate_hint(grad):
    d_grad = grad[8]
    sigma = 1 / (1 + math.exp(-1.0))
    if abs(d_grad - 1.0 * (1 - 1.0)) < 1e-9 or abs(d_grad - sigma) < 1e-9:
        return ("the sigmoid's local gradient is sigma(x) (1 - sigma(x)), with sigma(x) the gate's output "
                "(out.data), not its input.")
    return ""


def used_twice_graphs():
    """Graphs in which a node is used twice, with their gradients by calculus (the lecture's
    "gradients add at branches"): x * x, x + x, a shared inner node, and a leaf feeding two gates.
    [(graph, description, expected data, expected grads)]"""
    graphs = []
    x = 3.0
    graphs.append((([("leaf", 0), ("*", 0, 0)], [x], ["x", "f"]), "f = x * x at x = 3", [x, x * x], [2 * x, 1.0]))
    x = -1.5
    graphs.append((([("leaf", 0), ("+", 0, 0)], [x], ["x", "f"]), "f = x + x at x = -1.5", [x, 2 * x], [2.0, 1.0]))
    x, y = 1.5, -2.0
    a = x * y
    spec = [("leaf", 0), ("leaf", 1), ("*", 0, 1), ("+", 2, 1.0), ("-", 2, 1.0), ("*", 3, 4)]
    graphs.append(((spec, [x, y], ["x", "y", "a", "u", "v", "f"]),
                   "f = u * v with u = a + 1, v = a - 1, a = x * y at x = 1.5, y = -2",
                   [x, y, a, a + 1, a - 1, (a + 1) * (a - 1)],
                   [2 * a * y, 2 * a * x, 2 * a, a - 1, a + 1, 1.0]))
    x, y = 0.5, 2.0
    t = math.tanh(x)
    spec = [("leaf", 0), ("leaf", 1), ("*", 0, 1), ("tanh", 0), ("+", 2, 3)]
    graphs.append(((spec, [x, y], ["x", "y", "p", "t", "f"]),
                   "f = p + t with p = x * y, t = x.tanh() at x = 0.5, y = 2",
                   [x, y, x * y, t, x * y + t], [y + 1 - t * t, x, 1.0, 1.0, 1.0]))
    return graphs


ACCUMULATE_HINT = ("a node used twice gets the sum of both contributions: each gate must add into its inputs' "
                   "grads (self.grad += ...), never assign them (self.grad = ...).")
ORDER_HINT = ("a node's _backward ran before every node that uses it had added its contribution: build a "
              "topological order of the graph first (each node after its inputs), then call _backward in "
              "reverse order.")
REVISIT_HINT = ("a node's _backward ran more than once, so its gradient reached its inputs twice: visit every "
                "node once (keep a set of the nodes already visited when building the topological order).")


def used_twice_hint(index, grad):
    """Why the grads of used_twice_graphs()[index] are wrong, when a known mistake explains it."""
    if index in (0, 1):
        half = 3.0 if index == 0 else 1.0      # one of the two contributions: x (of x * x), 1 (of x + x)
        return ACCUMULATE_HINT + " Here f uses x as both operands." if abs(grad[0] - half) < 1e-9 else ""
    if index == 2:
        x, y = 1.5, -2.0
        a = x * y
        one_path = [a - 1, a + 1]       # a's grad through a+1 alone, through a-1 alone
        if any(abs(grad[2] - p) < 1e-9 for p in one_path):
            return ACCUMULATE_HINT + " Here a feeds both u = a + 1 and v = a - 1."
        if abs(grad[2] - 2 * a) < 1e-9:
            if any(abs(grad[0] - y * p) < 1e-9 for p in one_path):
                return ORDER_HINT
            if any(abs(grad[0] - y * (2 * a + p)) < 1e-9 for p in one_path):
                return REVISIT_HINT
    if index == 3:
        x, y = 0.5, 2.0
        if abs(grad[0] - y) < 1e-9 or abs(grad[0] - (1 - math.tanh(x) ** 2)) < 1e-9:
            return ACCUMULATE_HINT + " Here x feeds both p = x * y and t = x.tanh()."
    return ""


# Every operation, with numbers on either side, in f = op * c so that the op's out.grad is not 1.
A, B, C = 1.3, -0.6, -1.4
OP_CASES = [("+", 0, 1), ("-", 0, 1), ("*", 0, 1), ("/", 0, 1), ("max", 0, 1), ("max", 1, 0),
            ("+", 0, 2.5), ("+", 2.5, 0), ("-", 0, 2.5), ("-", 2.5, 0), ("*", 0, 2.5), ("*", 2.5, 1),
            ("/", 0, 2.5), ("/", 2.5, 1), ("max", 0, 2.5), ("max", 1, -2.5),
            ("**", 0, 3), ("**", 1, 2), ("**", 1, -1), ("**", 0, 2.5), ("**", 0, -0.5),
            ("neg", 0), ("exp", 0), ("exp", 1), ("log", 0), ("relu", 0), ("relu", 1), ("sigmoid", 0),
            ("sigmoid", 1), ("tanh", 0), ("tanh", 1)]
OP_NAMES = ["a", "b", "c", "out", "f"]


def op_graph(entry, a=A, b=B, c=C):
    return [("leaf", 0), ("leaf", 1), ("leaf", 2), entry, ("*", 3, 2)], [a, b, c], OP_NAMES


def op_kink_cases():
    """Where finite differences cannot decide, the contract does: relu has gradient 0 at 0, and a
    tie of max routes the gradient to self. (graph, expected grads of a and b)."""
    return [(op_graph(("relu", 0), a=0.0), [0.0, 0.0], "relu at 0 has gradient 0 (a.relu() with a = 0)"),
            (op_graph(("max", 0, 1), a=0.7, b=0.7), [C, 0.0], "a tie of a.max(b) routes the gradient to self (a)"),
            (op_graph(("max", 0, 0.7), a=0.7), [C, 0.0], "a tie of a.max(0.7) routes the gradient to self (a)")]


def kink_hint(spec, grad):
    """The known mistake a wrong grad at a kink of op_kink_cases reproduces ("" when none does)."""
    upstream = grad[3]
    if spec[3][0] == "relu" and upstream != 0 and abs(grad[0] - upstream) <= 1e-12 * abs(upstream):
        return ("relu has gradient 0 at data == 0, but yours passes out.grad through there: use (out.data > 0) "
                "(or self.data > 0), not >=.")
    return ""


def check_graph_gradient(spec, names, leaves, grad, numerical, where, tol=GRADIENT_TOLERANCE, floor=1e-2, suspect=None):
    """The student's leaf grads against centered differences of their own forward pass."""
    for k, i in enumerate(leaf_nodes(spec)):
        analytic = grad[i]
        error = abs(numerical[k] - analytic) / max(abs(numerical[k]) + abs(analytic), floor)
        if error > tol:
            raise CheckFailed(
                f"Value: gradient check failed on {where} at {leaf_text(spec, leaves, names)}: "
                f"{node_name(names, i)}.grad is {analytic:.6g} but the numerical gradient of your own forward pass "
                f"is {numerical[k]:.6g} (relative error {error:.2e}, tolerance {tol:.0e})."
                + (f" Look at the backward of {methods_text([suspect])}: the local gradient, times out.grad, is "
                   "added to each input's grad." if suspect else ""))


def guard_graphs(student, guards, graphs, titles):
    """The consistency guard of Value's backward (see check_blind_consistency) on each graph
    (spec, leaves, names), whose leaves are fresh base points: their grads and outputs come from
    the main worker, the outputs along random directions from the blind worker (one round trip
    each for all graphs)."""
    results = run_graphs(student, graphs)
    rng = guards.rng
    moves, cases = [], []
    for spec, leaves, _ in graphs:
        directions = guard_directions(rng, [np.array(leaves)])
        step = guard_step([np.array(leaves)])
        moves.append((directions, step))
        cases += [(spec, [float(v) for v in point]) for (point,) in guard_points([np.array(leaves)], directions, step)]
    outputs = graph_output_values(guards.blind(), cases)
    for k, ((spec, leaves, names), (data, grad), (directions, step), title) in enumerate(zip(graphs, results, moves,
                                                                                            titles)):
        # d output / d leaves[j]: the grads of the leaf nodes holding leaves[j]
        analytic = np.zeros(len(leaves))
        for i in leaf_nodes(spec):
            analytic[spec[i][1]] += grad[i]
        values = outputs[k * GUARD_DIRECTIONS:(k + 1) * GUARD_DIRECTIONS]
        # The message names the graph, not the guard's base point (a regrade draws the same one).
        check_blind_consistency("Value.backward", "forward pass", title, data[-1], [analytic], directions, step,
                                values)


# -- layers -------------------------------------------------------------------------------------

def cs231n_affine_example():
    """CS231n assignment 2 (FullyConnectedNets.ipynb, "Affine layer: forward"): x of shape (2, 4, 5, 6),
    w (120, 3), b (3,) from np.linspace, and the expected output given there."""
    input_shape, output_dim = (4, 5, 6), 3
    x = np.linspace(-0.1, 0.5, num=2 * 120).reshape(2, *input_shape)
    w = np.linspace(-0.2, 0.3, num=120 * output_dim).reshape(120, output_dim)
    b = np.linspace(-0.3, 0.1, num=output_dim)
    expected = np.array([[1.49834967, 1.70660132, 1.91485297],
                         [3.25553199, 3.51413270, 3.77273342]])
    return x, w, b, expected


def cs231n_relu_example():
    """CS231n assignment 2 (FullyConnectedNets.ipynb, "ReLU activation: forward")."""
    x = np.linspace(-0.5, 0.5, num=12).reshape(3, 4)
    expected = np.array([[0., 0., 0., 0.],
                         [0., 0., 0.04545455, 0.13636364],
                         [0.22727273, 0.31818182, 0.40909091, 0.5]])
    return x, expected


def expect_forward(value, fn, shape):
    """`out` of shape `shape` from a forward function's (out, cache)."""
    if not isinstance(value, tuple) or len(value) != 2:
        found = f"a {type(value).__name__}" + (f" of {len(value)} items" if isinstance(value, (tuple, list)) else "")
        raise CheckFailed(f"{fn} should return a tuple (out, cache); it returned {found}.")
    return expect_array(value[0], shape, fn, "out")


AFFINE_SHAPE_HINTS = {
    "dx": "dx has the shape of x, (N, d_1, ..., d_k): compute it as an (N, D) array and reshape it to x.shape.",
    "dw": "dw has the shape of w, (D, M): one entry per weight, whatever the shape of x.",
    "db": "db has the shape of b, (M,): every example adds its row of dout, so sum dout over the batch (axis 0).",
}


def expect_layer_answer(value, layer, x_shapes, out_shape):
    """(out, grads tuple, args after, dout after) from worker_side's layer_forward_backward."""
    if not isinstance(value, tuple) or len(value) != 4:
        raise unreadable("layer evaluation")
    out, grads, args_after, dout_after = value
    forward, backward = f"{layer}_forward", f"{layer}_backward"
    out = expect_array(out, out_shape, forward, "out")
    if layer == "affine":
        if not isinstance(grads, tuple) or len(grads) != 3:
            raise CheckFailed(f"affine_backward should return a tuple (dx, dw, db); it returned "
                              f"{type(grads).__name__}"
                              f"{' of %d items' % len(grads) if isinstance(grads, (tuple, list)) else ''}.")
        checked = []
        for name, gradient, shape in zip(("dx", "dw", "db"), grads, x_shapes):
            if isinstance(gradient, np.ndarray) and gradient.shape != tuple(shape):
                raise CheckFailed(f"affine_backward returned {name} of shape {gradient.shape}; expected shape "
                                  f"{tuple(shape)}.\nHint: {AFFINE_SHAPE_HINTS[name]}")
            checked.append(expect_array(gradient, shape, backward, name))
        grads = tuple(checked)
    else:
        grads = (expect_array(grads, x_shapes[0], backward, "dx"),)
    return out, grads, args_after, dout_after


def run_layer(student, layer, args, dout):
    """(out, grads, args after, dout after) of the student's layer: forward, then backward on dout."""
    shapes = [a.shape for a in args]
    out_shape = (args[0].shape[0], args[1].shape[1]) if layer == "affine" else args[0].shape
    value = student.run("backprop.layer_forward_backward", layer, list(args), dout)
    return expect_layer_answer(value, layer, shapes, out_shape)


def layer_outputs(sandbox, layer, cases, out_shape):
    """The forward output of `layer` for each list of arguments in `cases` (one round trip)."""
    outputs = sandbox.run("backprop.layer_outputs", layer, cases)
    if not isinstance(outputs, list) or len(outputs) != len(cases):
        raise unreadable("layer evaluation")
    return [expect_array(o, out_shape, f"{layer}_forward", "out") for o in outputs]


def layer_numerical_gradients(student, layer, args, dout, h=H):
    """d(sum(out * dout))/d(each arg) by centered differences of the student's own forward.

    The perturbed inputs are made here and sent in one round trip: the arguments an input leaves
    unchanged are the same array objects, which the wire sends once."""
    where = [(position, index) for position, array in enumerate(args) for index in np.ndindex(array.shape)]
    cases = []
    for position, index in where:
        for step in (h, -h):
            moved = list(args)
            moved[position] = args[position].copy()
            moved[position][index] += step
            cases.append(moved)
    outputs = layer_outputs(student, layer, cases, dout.shape)
    gradients = [np.zeros(a.shape) for a in args]
    for k, (position, index) in enumerate(where):
        gradients[position][index] = np.sum((outputs[2 * k] - outputs[2 * k + 1]) * dout) / (2 * h)
    return gradients


def guard_layer(student, guards, layer, args, on):
    """The consistency guard of `layer`'s backward (see check_blind_consistency) at `args`, a fresh
    base point, with a random upstream gradient drawn from the guard's generator; once per session and
    shapes."""
    guards.once((layer, tuple(a.shape for a in args)), lambda: _guard_layer(student, guards, layer, args, on))


def _guard_layer(student, guards, layer, args, on):
    rng = guards.rng
    dout_shape = (args[0].shape[0], args[1].shape[1]) if layer == "affine" else args[0].shape
    dout = rng.standard_normal(dout_shape)
    out, grads, _, _ = run_layer(student, layer, args, dout)
    directions = guard_directions(rng, args)
    step = guard_step(args)
    outputs = layer_outputs(guards.blind(), layer, guard_points(args, directions, step), dout_shape)
    check_blind_consistency(f"{layer}_backward", f"{layer}_forward", on, float(np.sum(out * dout)), grads, directions,
                            step, [float(np.sum(o * dout)) for o in outputs])


def gradient_errors(numerical, analytic):
    """CS231n's relative error per entry, |n - a| / (|n| + |a|); entries far below the array's largest
    are compared at 1e-3 of that scale, where rounding in the differences is not noise."""
    numerical, analytic = np.asarray(numerical, float), np.asarray(analytic, float)
    scale = max(float(np.max(np.abs(numerical), initial=0)), float(np.max(np.abs(analytic), initial=0)), 1e-12)
    return np.abs(numerical - analytic) / np.maximum(np.abs(numerical) + np.abs(analytic), 1e-3 * scale)


def check_against_numerical(analytic, numerical, fn, what, on, own="forward pass", tol=GRADIENT_TOLERANCE, hint=""):
    """Raise CheckFailed unless `analytic` agrees with the numerical gradient of the student's own function.

    `hint` is a string, or a function returning one that is called only on failure (as in check_close)."""
    errors = gradient_errors(numerical, analytic)
    worst = np.unravel_index(int(np.argmax(errors)), errors.shape) if errors.size else ()
    if errors.size and errors[worst] > tol:
        hint = hint() if callable(hint) else hint
        at = f"{what}[{', '.join(str(int(i)) for i in worst)}]" if worst else what
        raise CheckFailed(
            f"{fn}: gradient check failed for {what} on {on}. At {at} yours is "
            f"{float(np.asarray(analytic)[worst]) + 0.0:.6g} "
            f"but the numerical gradient of your own {own} is "
            f"{float(np.asarray(numerical)[worst]) + 0.0:.6g} (relative error "
            f"{float(errors[worst]):.2e}, tolerance {tol:.0e})." + (f"\nHint: {hint}" if hint else ""))
    return float(errors.max(initial=0))


def affine_gradient_hint(name, analytic, numerical, N):
    if name == "db" and np.allclose(analytic * N, numerical, rtol=1e-6, atol=1e-12):
        return "db is the mean of dout over the batch; every example adds its own row, so sum dout over axis 0."
    if np.allclose(analytic, -numerical, rtol=1e-6, atol=1e-12):
        return f"{name} has the wrong sign."
    return ""


def check_affine_backward(student, guards, x, w, b, dout, on, tol=GRADIENT_TOLERANCE):
    out, grads, _, _ = run_layer(student, "affine", (x, w, b), dout)
    numerical = layer_numerical_gradients(student, "affine", (x, w, b), dout)
    for name, analytic, expected in zip(("dx", "dw", "db"), grads, numerical):
        check_against_numerical(analytic, expected, "affine_backward", name, on, "affine_forward", tol,
                                affine_gradient_hint(name, analytic, expected, x.shape[0]))
    rng = guards.rng
    guard_layer(student, guards, "affine", [rng.standard_normal(a.shape) for a in (x, w, b)], on)
    return out, grads


def relu_gradient_hint(x, dout, analytic):
    if np.allclose(analytic, dout * (dout > 0)):
        return "the mask comes from the layer's input x (the cache), not from dout: dx is dout where x > 0."
    if np.allclose(analytic, dout):
        return "dx is dout only where x > 0, and 0 elsewhere."
    if np.allclose(analytic, (x > 0).astype(float)):
        return "multiply the mask by the upstream gradient dout (chain rule)."
    return ""


def check_relu_backward(student, guards, x, dout, on):
    """relu_backward against the student's relu_forward at x, whose entries are away from 0 (the kink)."""
    out, (dx,), _, _ = run_layer(student, "relu", (x,), dout)
    (numerical,) = layer_numerical_gradients(student, "relu", (x,), dout)
    check_against_numerical(dx, numerical, "relu_backward", "dx", on, "relu_forward",
                            hint=relu_gradient_hint(x, dout, dx))
    guard_layer(student, guards, "relu", [away_from_zero(guards.rng, x.shape)], on)
    return out, dx


def relu_at_zero(student, rng):
    """relu_backward where x == 0 exactly: the contract says dx is 0 there."""
    x = rng.standard_normal((4, 5))
    x[rng.random(x.shape) < 0.4] = 0.0
    dout = rng.standard_normal(x.shape)
    _, (dx,), _, _ = run_layer(student, "relu", (x,), dout)
    zeros = x == 0
    if np.any(dx[zeros] != 0):
        hint = ("(x >= 0) lets the gradient through at x == 0; relu has gradient 0 there (the docstring: "
                "'0 elsewhere (also where x == 0)'): use x > 0.")
        raise CheckFailed(f"relu_backward: dx is not 0 where x == 0 exactly (x (4, 5) with {int(zeros.sum())} zeros): "
                          f"found {int(np.count_nonzero(dx[zeros]))} non-zero entries there.\nHint: {hint}")


def random_scores(rng, N, C, scale=1.0):
    return scale * rng.standard_normal((N, C)), rng.integers(0, C, size=N)


def svm_scores_away_from_kinks(rng, N, C):
    """Scores whose margins s_j - s_y + 1 are all at least 1e-3 away from 0 (the hinge's kink)."""
    while True:
        x, y = random_scores(rng, N, C)
        margins = x - x[np.arange(N), y][:, None] + 1
        margins[np.arange(N), y] = 1
        if np.min(np.abs(margins)) > 1e-3:
            return x, y


def expect_loss_and_dx(value, x, fn):
    if not isinstance(value, tuple) or len(value) != 2:
        found = f"a {type(value).__name__}" + (f" of {len(value)} items" if isinstance(value, (tuple, list)) else "")
        raise CheckFailed(f"{fn} should return a tuple (loss, dx); it returned {found}.")
    return expect_number(value[0], fn), expect_array(value[1], x.shape, fn, "dx")


def loss_at_zero_scores(student, fn, N, C, expected, source):
    x, y = np.zeros((N, C)), np.arange(N) % C
    loss, _ = expect_loss_and_dx(student.call(f"layers.{fn}", x, y), x, fn)
    hint = "the loss is the mean over the N examples: divide the sum by N." if abs(loss - N * expected) < 1e-9 else ""
    check_close(loss, expected, fn, "the loss", f"all-zero scores x ({N}, {C}) ({source})", 1e-9, hint)


def svm_lecture_scores():
    """Lecture 3's cat/car/frog scores (rows: images, columns: classes cat, car, frog): the hinge
    losses are 2.9, 0 and 12.9, their mean 5.27."""
    x = np.array([[3.2, 5.1, -1.7], [1.3, 4.9, 2.0], [2.2, 2.5, -3.1]])
    return x, np.array([0, 1, 2]), (2.9 + 0.0 + 12.9) / 3


def softmax_lecture_scores():
    """Lecture 3's cat image scores 3.2 (cat), 5.1 (car), -1.7 (frog): P(cat) = 0.13 and
    L = -log(0.13) = 2.04 with the natural log (the slide's 0.89 is log base 10)."""
    scores = [3.2, 5.1, -1.7]
    loss = -math.log(math.exp(scores[0]) / sum(math.exp(s) for s in scores))
    return np.array([scores]), np.array([0]), loss


def require_svm_loss(student):
    x, y, expected = svm_lecture_scores()
    loss, _ = expect_loss_and_dx(student.call("layers.svm_loss", x, y), x, "svm_loss")
    hint = ""
    if abs(loss - 3 * expected) < 1e-6:
        hint = "the loss is the mean over the N = 3 images, not their sum."
    elif abs(loss - (expected + 1)) < 1e-6:
        hint = "skip j == y[i]: the correct class adds no margin."
    check_close(loss, expected, "svm_loss", "the loss", "Lecture 3's cat/car/frog scores (3, 3)", 1e-9, hint)


def require_softmax_loss(student):
    x, y, expected = softmax_lecture_scores()
    loss, _ = expect_loss_and_dx(student.call("layers.softmax_loss", x, y), x, "softmax_loss")
    hint = ""
    if abs(loss - expected / math.log(10)) < 1e-6:
        hint = "use the natural log (np.log); the slide's 0.89 is log base 10."
    check_close(loss, expected, "softmax_loss", "the loss", "Lecture 3's cat image scores (1, 3)", 1e-9, hint)


def check_loss_gradient(student, guards, fn, x, y, on, hint_fn=None):
    """dx of the loss layer `fn` against the numerical gradient of the student's own loss at (x, y),
    then the guard of every loss's gradient check (common.GradientGuard; once per session and shape)."""
    target = f"layers.{fn}"
    loss, dx = expect_loss_and_dx(student.call(target, x, y), x, fn)
    coords = list(np.ndindex(x.shape))
    numerical = numerical_gradient_at(student, target, x, (y,), coords).reshape(x.shape)
    check_against_numerical(dx, numerical, fn, "dx", on, "loss", hint=hint_fn(dx, numerical) if hint_fn else "")
    guards.blind()   # started: the loss guard calls the blind worker directly
    guards.once((fn, x.shape), lambda: guards.losses.check(student, target, x, (y,),
                                                           loss_gradient_at(student, target, (y,), fn), fn, on))
    return loss, dx


def loss_gradient_hint(dx, numerical, N):
    if np.allclose(dx, N * numerical, rtol=1e-6, atol=1e-12):
        return "dx is N times too large: the loss is a mean, so divide its gradient by N too."
    if np.allclose(dx * N, numerical, rtol=1e-6, atol=1e-12):
        return "dx is divided by N once too often."
    return ""


def require_layers(student, guards, rng):
    """Every layer function computes the right values (the examples, and gradients that agree with
    the student's own forward passes): required before any property of form counts."""
    x, w, b, expected = cs231n_affine_example()
    out = expect_forward(student.call("layers.affine_forward", x, w, b), "affine_forward", expected.shape)
    check_close(out, expected, "affine_forward", "out", "CS231n's example x (2, 4, 5, 6), w (120, 3)", 1e-7)
    # The shapes of test_affine_layer, test_relu_layer and test_*_loss_layer: their guards, passed
    # there, need not run again (Guards.once).
    x = rng.standard_normal((3, 2, 3))
    w, b, dout = rng.standard_normal((6, 4)), rng.standard_normal(4), rng.standard_normal((3, 4))
    check_affine_backward(student, guards, x, w, b, dout, describe_shapes(x=x, w=w, b=b))
    x, expected = cs231n_relu_example()
    out = expect_forward(student.call("layers.relu_forward", x), "relu_forward", expected.shape)
    check_close(out, expected, "relu_forward", "out", "CS231n's example x (3, 4)", 1e-7)
    x = away_from_zero(rng, (4, 5))
    check_relu_backward(student, guards, x, rng.standard_normal(x.shape), describe_shapes(x=x))
    require_svm_loss(student)
    require_softmax_loss(student)
    for fn in ("svm_loss", "softmax_loss"):
        x, y = random_scores(rng, 5, 4)
        check_loss_gradient(student, guards, fn, x, y, describe_shapes(x=x))


def away_from_zero(rng, shape, margin=0.05):
    """Normal entries pushed at least `margin` away from 0 (the relu kink)."""
    x = rng.standard_normal(shape)
    return np.where(x >= 0, x + margin, x - margin)


# -- TwoLayerNet --------------------------------------------------------------------------------
NET = "neural_net.TwoLayerNet"
PARAM_NAMES = ("W1", "b1", "W2", "b2")


def param_shapes(D, Hd, C):
    return {"W1": (D, Hd), "b1": (Hd,), "W2": (Hd, C), "b2": (C,)}


def random_params(rng, D, Hd, C, scale=0.5):
    """Parameters with non-zero biases, so that every gradient matters."""
    return {name: scale * rng.standard_normal(shape) for name, shape in param_shapes(D, Hd, C).items()}


def new_net(student, params, reg=0.0):
    """A student TwoLayerNet in the worker whose params are `params` (copies)."""
    D, Hd = params["W1"].shape
    C = params["W2"].shape[1]
    net = student.new(NET, input_dim=D, hidden_dim=Hd, num_classes=C, weight_scale=1e-3, reg=reg, seed=0)
    net.set("params", {k: v.copy() for k, v in params.items()})
    return net


def expect_net_loss(value, params, fn="TwoLayerNet.loss"):
    """(loss, grads) with a grad of the right shape for every parameter."""
    if not isinstance(value, tuple) or len(value) != 2:
        found = f"a {type(value).__name__}" + (f" of {len(value)} items" if isinstance(value, (tuple, list)) else "")
        raise CheckFailed(f"{fn} with labels y should return a tuple (loss, grads); it returned {found}.")
    loss, grads = expect_number(value[0], fn), value[1]
    if not isinstance(grads, dict) or set(grads) != set(PARAM_NAMES):
        found = sorted(grads) if isinstance(grads, dict) else type(grads).__name__
        raise CheckFailed(f"{fn} should return grads as a dict with the keys W1, b1, W2, b2; found {found}.")
    return loss, {name: expect_array(grads[name], params[name].shape, fn, f"grads['{name}']") for name in PARAM_NAMES}


def net_loss(net, params, X, y):
    return expect_net_loss(net.call("loss", X, y), params)


def expected_scores(params, X):
    hidden = np.maximum(0, X @ params["W1"] + params["b1"])
    return hidden @ params["W2"] + params["b2"]


def net_losses(sandbox, net, X, y, settings):
    """The student's loss of `net` (a RemoteObject in `sandbox`) on (X, y) under each setting
    ({param name: array} replacing those params for one evaluation), in one round trip."""
    answer = sandbox.run("backprop.net_losses", net.handle, X, y, settings)
    if not isinstance(answer, list) or len(answer) != len(settings):
        raise unreadable("loss evaluation")
    return [expect_number(v, "TwoLayerNet.loss") for v in answer]


def net_numerical_gradients(student, net, params, X, y, coords, h=H):
    """{name: {index: centered difference of the student's own loss}} for (name, index) coords.

    The moved parameters are made here: each setting holds one moved copy of one parameter."""
    settings = []
    for name, index in coords:
        for step in (h, -h):
            moved = params[name].copy()
            moved[tuple(index)] += step
            settings.append({name: moved})
    losses = net_losses(student, net, X, y, settings)
    numerical = {name: np.zeros(params[name].shape) for name in PARAM_NAMES}
    for k, (name, index) in enumerate(coords):
        numerical[name][index] = (losses[2 * k] - losses[2 * k + 1]) / (2 * h)
    return numerical


def params_away_from_kinks(rng, X, Hd, C, margin=1e-3):
    """random_params for X whose hidden pre-activations X @ W1 + b1 are all at least `margin` away
    from 0 (relu's kink)."""
    while True:
        params = random_params(rng, X.shape[1], Hd, C)
        if np.min(np.abs(X @ params["W1"] + params["b1"])) > margin:
            return params


def guard_net(student, guards, params, X, y, reg, on):
    """The consistency guard of TwoLayerNet.loss's grads (see check_blind_consistency) at fresh
    parameters of the shapes of `params`, on the same (X, y) and reg."""
    rng = guards.rng
    Hd, C = params["W2"].shape
    start = params_away_from_kinks(rng, X, Hd, C)
    base_loss, grads = net_loss(new_net(student, start, reg), start, X, y)
    arrays = [start[name] for name in PARAM_NAMES]
    directions = guard_directions(rng, arrays)
    step = guard_step(arrays)
    sandbox = guards.blind()
    # A net of its own in the blind worker: every setting replaces all four parameters, and the
    # net's initial ones (drawn from seed 0) are not the base point, which this worker never gets.
    D = X.shape[1]
    net = sandbox.new(NET, input_dim=D, hidden_dim=Hd, num_classes=C, weight_scale=1e-3, reg=reg, seed=0)
    settings = [dict(zip(PARAM_NAMES, point)) for point in guard_points(arrays, directions, step)]
    check_blind_consistency("TwoLayerNet.loss", "loss", on, base_loss, [grads[name] for name in PARAM_NAMES],
                            directions, step, net_losses(sandbox, net, X, y, settings))


def all_coords(params):
    return [(name, index) for name in PARAM_NAMES for index in np.ndindex(params[name].shape)]


def net_gradient_hint(name, analytic, numerical, params, reg, batch_size):
    if reg and name in ("W1", "W2"):
        if np.allclose(analytic + reg * params[name], numerical, rtol=1e-6, atol=1e-10):
            return (f"grads['{name}'] lacks the regularization gradient: the derivative of "
                    f"0.5 * reg * sum({name} ** 2) is reg * {name}.")
        if np.allclose(analytic - reg * params[name], numerical, rtol=1e-6, atol=1e-10):
            return (f"grads['{name}'] has the regularization gradient twice (or the loss lacks the factor 0.5): the "
                    f"loss adds 0.5 * reg * sum({name} ** 2), whose gradient is reg * {name}.")
    if name in ("b1", "b2") and np.allclose(analytic * batch_size, numerical, rtol=1e-6, atol=1e-12):
        return f"grads['{name}'] is the mean of the upstream gradient over the batch; sum it over the batch (axis 0)."
    return ""


def dead_unit_hint(student, params, X, y, reg, unit=0):
    """Whether gradient flows back through a hidden unit that is off for every example: with b1[unit]
    pushed below -X @ W1[:, unit], the student's own loss is flat in b1[unit], so its gradient must be 0
    there; a non-zero one means the hidden layer's ReLU mask is missing (e.g. applied to the scores)."""
    dead = {name: value.copy() for name, value in params.items()}
    dead["b1"][unit] = -float(np.max(X @ params["W1"][:, unit])) - 1.0
    try:
        net = new_net(student, dead, reg)
        _, grads = net_loss(net, dead, X, y)
        numerical = net_numerical_gradients(student, net, dead, X, y, [("b1", (unit,))])["b1"][unit]
    except (CheckFailed, StudentError):  # no hint then; the gradient check's own failure is reported
        return ""
    found = float(grads["b1"][unit])
    if abs(numerical) > 1e-9 or abs(found) <= 1e-9:
        return ""
    return (f"the ReLU mask belongs to the hidden layer: with b1[{unit}] = {dead['b1'][unit]:.3g}, hidden unit {unit} "
            f"is 0 for every example, so your own loss does not change with b1[{unit}] (numerical gradient "
            f"{numerical:.2g}), yet your grads['b1'][{unit}] is {found:.3g}. Multiply the hidden layer's gradient by "
            "its mask (X @ W1 + b1 > 0), with relu_backward and relu_forward's cache, "
            "before the first affine_backward; "
            "the scores have no ReLU.")


def check_net_gradients(student, guards, params, X, y, reg, on, rng=None, per_param=None, tol=GRADIENT_TOLERANCE):
    """Every parameter's gradient against centered differences of the student's own loss (all
    entries, or `per_param` random entries of each), then the consistency guard."""
    net = new_net(student, params, reg)
    _, grads = net_loss(net, params, X, y)
    if per_param is None:
        coords = all_coords(params)
    else:
        coords = []
        for name in PARAM_NAMES:
            size = params[name].size
            for flat in rng.choice(size, min(per_param, size), replace=False):
                coords.append((name, np.unravel_index(int(flat), params[name].shape)))
    numerical = net_numerical_gradients(student, net, params, X, y, coords)
    for name in PARAM_NAMES:
        # Entries that were not sampled compare equal, so a failure names the entry's own index.
        expected = grads[name].astype(np.float64)
        for n, index in coords:
            if n == name:
                expected[index] = numerical[name][index]

        def hint(name=name, expected=expected):
            known = net_gradient_hint(name, grads[name], expected, params, reg, len(X)) if per_param is None else ""
            return known or (dead_unit_hint(student, params, X, y, reg) if name in ("W1", "b1") else "")
        check_against_numerical(grads[name], expected, "TwoLayerNet.loss", f"grads['{name}']", on, "loss", tol, hint)
    guards.once(("TwoLayerNet", X.shape, params["W1"].shape, params["W2"].shape, reg),
               lambda: guard_net(student, guards, params, X, y, reg, on))
    return grads


def net_problem(rng, N=7, D=5, Hd=6, C=3):
    X = rng.standard_normal((N, D))
    y = rng.integers(0, C, size=N)
    return random_params(rng, D, Hd, C), X, y


# ======================================= public checks =========================================

@pytest.mark.points(2)
def test_value_lecture_graph(student):
    """Value reproduces the lecture's graph f = (x + y) z at x = -2, y = 5, z = -4: q = 3, f = -12,
    and after backward() x.grad = y.grad = -4, z.grad = 3 (Lecture 4)."""
    graph, expected_data, expected_grad = lecture_graph()
    (data, grad), = run_graphs(student, [graph])
    compare_graph(graph[0], graph[2], data, grad, expected_data, expected_grad,
                  "the lecture's graph f = (x + y) * z at x = -2, y = 5, z = -4", hint=lecture_graph_hint)


@pytest.mark.points(2)
def test_value_sigmoid_neuron(student):
    """Value reproduces the lecture's sigmoid neuron, gate by gate and with one sigmoid gate: output
    0.73, gradients w0 -0.20, x0 0.39, w1 -0.39, x1 -0.59, w2 0.20 (Lecture 4)."""
    by_gates, sigmoid_gate = sigmoid_neuron()
    results = run_graphs(student, [by_gates[0], sigmoid_gate[0]])
    where = "the lecture's sigmoid neuron at w0 = 2, x0 = -1, w1 = -3, x1 = -2, w2 = -3"
    for (graph, expected_data, expected_grad), (data, grad), how, hint in zip(
            (by_gates, sigmoid_gate), results, ("gate by gate, f = 1 / (1 + (-d).exp())", "with f = d.sigmoid()"),
            (None, sigmoid_gate_hint)):
        compare_graph(graph[0], graph[2], data, grad, expected_data, expected_grad, f"{where}, {how}", hint=hint)


@pytest.mark.points(2)
def test_value_node_used_twice(student):
    """A node used twice gets the sum of both gradients: x * x, x + x, a shared inner node
    ((a + 1) * (a - 1) with a = x * y) and a leaf feeding two gates (x * y + x.tanh())."""
    cases = used_twice_graphs()
    results = run_graphs(student, [graph for graph, _, _, _ in cases])
    for index, ((graph, where, expected_data, expected_grad), (data, grad)) in enumerate(zip(cases, results)):
        compare_graph(graph[0], graph[2], data, grad, expected_data, expected_grad, where,
                      hint=lambda g, index=index: used_twice_hint(index, g))


@pytest.mark.points(3)
def test_value_ops_gradient(student, guards):
    """Every operation (+ - * / ** with numbers on either side, unary -, exp, log, relu, sigmoid, tanh,
    max) agrees with finite differences of the student's own forward pass; relu has gradient 0 at 0
    and a tie of max goes to self."""
    graphs = [op_graph(entry) for entry in OP_CASES]
    kinks = op_kink_cases()
    results = run_graphs(student, graphs + [graph for graph, _, _ in kinks])
    numerical = graph_numerical_gradients(student, graphs)
    for (spec, leaves, names), (_, grad), num in zip(graphs, results, numerical):
        where = f"f = ({node_formula(spec, names, 3).split(' = ', 1)[1]}) * c"
        check_graph_gradient(spec, names, leaves, grad, num, where, suspect=spec[3][0])
    for ((spec, leaves, names), expected, rule), (_, grad) in zip(kinks, results[len(graphs):]):
        for i, value in zip((0, 1), expected):
            if abs(grad[i] - value) > 1e-12:
                hint = kink_hint(spec, grad)
                raise CheckFailed(f"Value: in f = ({node_formula(spec, names, 3).split(' = ', 1)[1]}) * c at "
                                  f"{leaf_text(spec, leaves, names)}, {names[i]}.grad is {grad[i]:.6g}; expected "
                                  f"{value:g}, because {rule} (the contract in lib/graph.py)."
                                  + (f"\nHint: {hint}" if hint else ""))
    # Fresh base points: a, b, c each moved by up to 0.05, which keeps every operation of OP_CASES
    # as far from its kinks and its domain's edges as at A, B, C (log and fractional powers of
    # a > 1.2, divisions by |b| > 0.5, relu of |a|, |b| > 0.5, max of operands more than 0.5 apart).
    rng = guards.rng
    fresh = [(spec, [float(v) for v in np.array(leaves) + rng.uniform(-0.05, 0.05, len(leaves))], names)
             for spec, leaves, names in graphs]
    guard_graphs(student, guards, fresh, [f"f = ({node_formula(spec, names, 3).split(' = ', 1)[1]}) * c"
                                         for spec, _, names in fresh])


@pytest.mark.points(3)
def test_affine_layer(student, guards, public_rng):
    """affine_forward reproduces CS231n's example (x of shape (2, 4, 5, 6)), and affine_backward's dx,
    dw, db have the shapes of x, w, b and agree with finite differences of the student's own forward
    pass on x of shape (N, d1, d2)."""
    x, w, b, expected = cs231n_affine_example()
    out = expect_forward(student.call("layers.affine_forward", x, w, b), "affine_forward", expected.shape)
    check_close(out, expected, "affine_forward", "out", "CS231n's example x (2, 4, 5, 6), w (120, 3), b (3,)", 1e-7,
                "flatten each example to a row, x.reshape(N, -1) of shape (N, D), then multiply by w and add b.")
    x = public_rng.standard_normal((3, 2, 3))
    w, b = public_rng.standard_normal((6, 4)), public_rng.standard_normal(4)
    dout = public_rng.standard_normal((3, 4))
    check_affine_backward(student, guards, x, w, b, dout, describe_shapes(x=x, w=w, b=b))


@pytest.mark.points(2)
def test_relu_layer(student, guards, public_rng):
    """relu_forward reproduces CS231n's example, relu_backward agrees with finite differences of the
    student's own forward pass, and its gradient is 0 where x == 0 exactly."""
    x, expected = cs231n_relu_example()
    out = expect_forward(student.call("layers.relu_forward", x), "relu_forward", expected.shape)
    check_close(out, expected, "relu_forward", "out", "CS231n's example x (3, 4)", 1e-7)
    x = away_from_zero(public_rng, (4, 5))
    check_relu_backward(student, guards, x, public_rng.standard_normal(x.shape), describe_shapes(x=x))
    relu_at_zero(student, public_rng)


@pytest.mark.points(2)
def test_svm_loss_layer(student, guards, public_rng):
    """svm_loss gives the lecture's 5.27 on the cat/car/frog scores and C - 1 on all-zero scores, and its
    dx agrees with finite differences of its own loss."""
    require_svm_loss(student)
    loss_at_zero_scores(student, "svm_loss", 5, 4, 3.0, "Lecture 3: C - 1 when all scores are equal")
    x, y = random_scores(public_rng, 5, 4)
    check_loss_gradient(student, guards, "svm_loss", x, y, describe_shapes(x=x),
                        hint_fn=lambda dx, num: loss_gradient_hint(dx, num, 5))


@pytest.mark.points(2)
def test_softmax_loss_layer(student, guards, public_rng):
    """softmax_loss gives the lecture's 2.04 on the cat image's scores and log C on all-zero scores, and
    its dx agrees with finite differences of its own loss."""
    require_softmax_loss(student)
    loss_at_zero_scores(student, "softmax_loss", 5, 4, math.log(4), "Lecture 3: log C when all scores are equal")
    x, y = random_scores(public_rng, 5, 4)
    check_loss_gradient(student, guards, "softmax_loss", x, y, describe_shapes(x=x),
                        hint_fn=lambda dx, num: loss_gradient_hint(dx, num, 5))


@pytest.mark.points(1)
def test_softmax_loss_large_scores(student, public_rng):
    """softmax_loss is stable for scores of magnitude 1e4: shifting a row by 1e4 changes neither the
    loss nor dx (the softmax is shift-invariant), and both stay finite."""
    require_softmax_loss(student)
    x, y = random_scores(public_rng, 6, 5)
    shifted = x + 1e4 * np.where(np.arange(6) % 2 == 0, 1.0, -1.0)[:, None]
    loss, dx = expect_loss_and_dx(student.call("layers.softmax_loss", x, y), x, "softmax_loss")
    value = student.call("layers.softmax_loss", shifted, y)
    hint = ("subtract each row's maximum from the scores before np.exp: the probabilities do not change, and "
            "exp never overflows.")
    try:
        big_loss, big_dx = expect_loss_and_dx(value, x, "softmax_loss")
    except CheckFailed as failure:
        raise CheckFailed(f"{failure} (on scores shifted by ±1e4, x (6, 5))\nHint: {hint}") from None
    on = "x (6, 5) with each row shifted by ±1e4, compared with the unshifted scores"
    check_close(big_loss, loss, "softmax_loss", "the loss", on, 1e-6, hint)
    check_close(big_dx, dx, "softmax_loss", "dx", on, 1e-6, hint)


@pytest.mark.points(1)
def test_layers_inputs_unchanged(student, guards, public_rng):
    """Every layer function leaves its inputs unchanged (dout and the cache included), and computes the
    right values."""
    require_layers(student, guards, public_rng)
    changed, hints = [], []
    x = public_rng.standard_normal((3, 2, 2))
    w, b, dout = public_rng.standard_normal((4, 3)), public_rng.standard_normal(3), public_rng.standard_normal((3, 3))
    relu_x = public_rng.standard_normal((3, 4))
    relu_dout = public_rng.standard_normal((3, 4))
    scores, labels = random_scores(public_rng, 4, 3)
    for target, args, names in (("affine_forward", (x, w, b), ("x", "w", "b")), ("relu_forward", (relu_x,), ("x",)),
                                ("svm_loss", (scores, labels), ("x", "y")),
                                ("softmax_loss", (scores, labels), ("x", "y"))):
        value, changes = student.call_reporting_changes(f"layers.{target}", *args)
        changed += [f"{target} changed {names[i]}" for i in sorted(changes)]
        hints += [mutation_hint(names[i], args[i], now, returned_arrays(value)) for i, now in sorted(changes.items())]
    for layer, args, upstream, names in (("affine", (x, w, b), dout, ("x", "w", "b")),
                                         ("relu", (relu_x,), relu_dout, ("x",))):
        _, grads, after, dout_after = run_layer(student, layer, args, upstream)
        for name, before, now in zip(names, args, after):
            if not (isinstance(now, np.ndarray) and now.shape == before.shape and np.array_equal(now, before)):
                changed.append(f"{layer}_backward changed {name} (in the cache)")
                hints.append(mutation_hint(name, before, now, returned_arrays(grads)))
        if not (isinstance(dout_after, np.ndarray) and np.array_equal(dout_after, upstream)):
            changed.append(f"{layer}_backward changed dout")
            hints.append(mutation_hint("dout", upstream, dout_after, returned_arrays(grads)))
    if changed:
        hint = next(filter(None, hints), "")
        raise CheckFailed(f"Layer functions must leave their inputs unchanged, but {'; '.join(changed)}. Build new "
                          "arrays (e.g. dx = dout * mask, or dout.copy() before assigning into it) instead of "
                          "writing into an input." + (f"\nHint: {hint}" if hint else ""))


# How each layer does without the loop over the examples (the hint of a failed loop-free check).
LOOP_FREE_LAYERS = {
    "affine_forward": "one matrix product does every example at once: x.reshape(N, -1).dot(w) + b, with the "
                      "(N, D) rows of x and b broadcast over them.",
    "affine_backward": "each of dx, dw and db is one matrix product or sum over all N rows of dout; no loop over "
                       "the examples is needed.",
}


@pytest.mark.points(1)
def test_layers_loop_free(student, guards, student_lib, public_rng):
    """affine_forward/backward, relu_forward/backward, svm_loss and softmax_loss use no Python loops,
    comprehensions or recursion, and their values are right."""
    require_layers(student, guards, public_rng)
    for fn in LAYER_FUNCTIONS:
        check_loop_free(student_lib, "layers", fn, LOOP_FREE_LAYERS.get(fn, WHOLE_ARRAYS))


@pytest.mark.points(2)
def test_two_layer_net_init_and_scores(student, public_rng):
    """TwoLayerNet draws W1 then W2 as weight_scale * rng.standard_normal(shape) from
    np.random.default_rng(seed) with zero biases, and loss(X) returns the (N, C) scores of
    affine - relu - affine."""
    D, Hd, C, N = 5, 7, 4, 6
    net = student.new(NET, input_dim=D, hidden_dim=Hd, num_classes=C, weight_scale=2e-2, seed=42)
    params = random_params(public_rng, D, Hd, C)
    X = public_rng.standard_normal((N, D))
    scores = expect_array(new_net(student, params).call("loss", X), (N, C), "TwoLayerNet.loss(X)", "the scores")
    hint = ""
    hidden = X @ params["W1"] + params["b1"]
    if np.allclose(scores, hidden @ params["W2"] + params["b2"]):
        hint = "apply the ReLU between the two affine layers."
    elif np.allclose(scores, np.maximum(0, expected_scores(params, X))):
        hint = "the scores are the second affine layer's output, with no ReLU after it."
    check_close(scores, expected_scores(params, X), "TwoLayerNet.loss(X)", "the scores",
                f"X ({N}, {D}), W1 ({D}, {Hd}), W2 ({Hd}, {C}) with non-zero biases", 1e-9, hint)
    found = net.get("params")
    if not isinstance(found, dict) or list(found) != list(PARAM_NAMES):
        raise CheckFailed(f"TwoLayerNet.params should be a dict with the keys W1, b1, W2, b2 (in that order); "
                          f"found {sorted(found) if isinstance(found, dict) else type(found).__name__}.")
    rng = np.random.default_rng(42)
    expected = {"W1": 2e-2 * rng.standard_normal((D, Hd)), "b1": np.zeros(Hd),
                "W2": 2e-2 * rng.standard_normal((Hd, C)), "b2": np.zeros(C)}
    for name in PARAM_NAMES:
        value = expect_array(found[name], expected[name].shape, "TwoLayerNet.__init__", f"params['{name}']")
        check_close(value, expected[name], "TwoLayerNet.__init__", f"params['{name}']", "seed=42, weight_scale=2e-2",
                    1e-12, "keep the given __init__: W1, then W2, drawn as weight_scale * rng.standard_normal(shape) "
                           "with rng = np.random.default_rng(seed); biases zero.")


@pytest.mark.points(1)
def test_two_layer_net_loss(student, public_rng):
    """TwoLayerNet.loss(X, y) returns a float loss and a grad per parameter; with W2 = 0 and b2 = 0 every
    score is 0 and the loss is log C (the lecture's sanity check), with reg = 0."""
    D, Hd, C, N = 5, 6, 4, 8
    params = random_params(public_rng, D, Hd, C)
    params["W2"], params["b2"] = np.zeros((Hd, C)), np.zeros(C)
    X, y = public_rng.standard_normal((N, D)), public_rng.integers(0, C, size=N)
    loss, _ = net_loss(new_net(student, params), params, X, y)
    hint = ""
    if abs(loss - N * math.log(C)) < 1e-9:
        hint = "the loss is the mean over the N examples (softmax_loss averages it): do not sum."
    check_close(loss, math.log(C), "TwoLayerNet.loss", "the loss", f"all-zero scores, X ({N}, {D}), C = {C}, reg = 0",
                1e-9, hint)


@pytest.mark.points(3)
def test_two_layer_net_gradient_check(student, guards, public_rng):
    """Every entry of every gradient (W1, b1, W2, b2) agrees with finite differences of the student's own
    loss, with reg = 0 and reg = 0.7."""
    for reg in (0.0, 0.7):
        params, X, y = net_problem(public_rng)
        check_net_gradients(student, guards, params, X, y, reg, describe_shapes(X=X, W1=params["W1"], reg=reg))


@pytest.mark.points(1)
def test_two_layer_net_regularization(student, public_rng):
    """Regularization adds 0.5 * reg * (sum(W1 ** 2) + sum(W2 ** 2)) to the loss and reg * W to the
    weights' gradients; the biases are not regularized."""
    params, X, y = net_problem(public_rng)
    reg = 0.7
    on = describe_shapes(X=X, W1=params["W1"], reg=reg) + ", biases non-zero"
    loss0, grads0 = net_loss(new_net(student, params, 0.0), params, X, y)
    loss1, grads1 = net_loss(new_net(student, params, reg), params, X, y)
    weights = np.sum(params["W1"] ** 2) + np.sum(params["W2"] ** 2)
    biases = np.sum(params["b1"] ** 2) + np.sum(params["b2"] ** 2)
    change = loss1 - loss0
    hint = ""
    if abs(change - reg * weights) < 1e-9:
        hint = "the regularization loss is 0.5 * reg * (sum(W1 ** 2) + sum(W2 ** 2)): the factor 0.5 is missing."
    elif abs(change - 0.5 * reg * (weights + biases)) < 1e-9 or abs(change - reg * (weights + biases)) < 1e-9:
        hint = "the biases b1, b2 are not regularized: only W1 and W2 enter the regularization loss."
    elif abs(change) < 1e-12:
        hint = "the loss does not include the regularization 0.5 * reg * (sum(W1 ** 2) + sum(W2 ** 2))."
    check_close(change, 0.5 * reg * weights, "TwoLayerNet.loss", "the change of the loss when reg goes from 0 to 0.7",
                on, 1e-9, hint)
    for name in PARAM_NAMES:
        difference = grads1[name] - grads0[name]
        expected = reg * params[name] if name.startswith("W") else np.zeros_like(params[name])
        hint = ""
        if name.startswith("b"):
            hint = "the biases are not regularized: their gradients do not depend on reg."
        elif np.allclose(difference, 2 * reg * params[name]):
            hint = f"the gradient of 0.5 * reg * sum({name} ** 2) is reg * {name} (the 0.5 and the 2 cancel)."
        elif np.allclose(difference, 0):
            hint = f"grads['{name}'] lacks the regularization gradient reg * {name}."
        if name.startswith("b") and not np.any(difference):
            continue
        check_close(difference, expected, "TwoLayerNet.loss",
                    f"the change of grads['{name}'] when reg goes from 0 to 0.7",
                    on, 1e-9, hint)


def train_problem(rng, N=50, D=4, C=3):
    X, y = rng.standard_normal((N, D)), rng.integers(0, C, size=N)
    return X, y, rng.standard_normal((15, D)), rng.integers(0, C, size=15)


def expect_history(value, fn="TwoLayerNet.train"):
    keys = ("loss_history", "train_acc_history", "val_acc_history")
    if not isinstance(value, dict) or not set(keys) <= set(value):
        found = sorted(value) if isinstance(value, dict) else type(value).__name__
        raise CheckFailed(f"{fn} should return a dict with loss_history, train_acc_history and val_acc_history; "
                          f"found {found}.")
    history = {}
    for key in keys:
        if not isinstance(value[key], list):
            raise CheckFailed(f"{fn}: {key} should be a list; found {type(value[key]).__name__}.")
        history[key] = np.array([expect_number(v, fn, f"each entry of {key}") for v in value[key]])
    return history


@pytest.mark.points(2)
def test_two_layer_net_train_contract(student, public_rng):
    """TwoLayerNet.train follows the contract: one loss per iteration, the batch loss before the update,
    batches from rng.choice(N, batch_size, replace=True), p = p - learning_rate * grad, accuracies
    recorded when it % max(N // batch_size, 1) == 0 (iteration 0 included) after the update, the
    learning rate multiplied by learning_rate_decay at those iterations only, and batches larger than
    the data."""
    D, Hd, C = 4, 6, 3
    params = random_params(public_rng, D, Hd, C)
    X, y, X_val, y_val = train_problem(public_rng, D=D, C=C)
    N, batch_size, lr, decay, seed, iters = len(X), 10, 0.3, 0.8, 5, 23
    settings = dict(learning_rate=lr, learning_rate_decay=decay, batch_size=batch_size, seed=seed)
    on = f"X ({N}, {D}), batch_size={batch_size}, learning_rate={lr}, learning_rate_decay={decay}, seed={seed}"
    history = expect_history(new_net(student, params, 0.1).call("train", X, y, X_val, y_val, num_iters=iters,
                                                                 **settings))
    if len(history["loss_history"]) != iters:
        raise CheckFailed(f"TwoLayerNet.train returned {len(history['loss_history'])} losses for num_iters={iters}; "
                          "expected one per iteration.")
    per_epoch = max(N // batch_size, 1)
    expected_count = len(range(0, iters, per_epoch))
    for key in ("train_acc_history", "val_acc_history"):
        count = len(history[key])
        if count != expected_count:
            hint = ""
            if count == expected_count - 1:
                hint = " Iteration 0 counts: 0 % iterations_per_epoch == 0."
            elif count == iters:
                hint = " Record them once per epoch, not at every iteration."
            raise CheckFailed(f"TwoLayerNet.train recorded {count} entries in {key} on {on}, num_iters={iters}; "
                              f"expected {expected_count} (at iterations 0, {per_epoch}, {2 * per_epoch}, ..., where "
                              f"it % max(N // batch_size, 1) == 0).{hint}")
    # The first three iterations, rebuilt from the contract with the student's own loss.
    rng = np.random.default_rng(seed)
    twin = new_net(student, params, 0.1)
    batch0 = rng.choice(N, batch_size, replace=True)
    loss0, grads0 = net_loss(twin, params, X[batch0], y[batch0])
    check_close(history["loss_history"][0], loss0, "TwoLayerNet.train", "the first loss", on, 1e-9,
                "draw the batch with rng.choice(N, batch_size, replace=True), rng = np.random.default_rng(seed), "
                "and record the batch loss before the update.")
    after0 = {name: params[name] - lr * grads0[name] for name in PARAM_NAMES}
    twin.set("params", {k: v.copy() for k, v in after0.items()})
    batch1 = rng.choice(N, batch_size, replace=True)
    loss1, grads1 = net_loss(twin, after0, X[batch1], y[batch1])
    check_close(history["loss_history"][1], loss1, "TwoLayerNet.train", "the second loss", on, 1e-9,
                "after recording the loss, update every parameter: p = p - learning_rate * grads[name].")
    train_acc = np.mean(expect_array(twin.call("predict", X[batch0]), (batch_size,), "TwoLayerNet.predict",
                                     "the labels", "iu") == y[batch0])
    val_acc = np.mean(expect_array(twin.call("predict", X_val), (len(X_val),), "TwoLayerNet.predict", "the labels",
                                   "iu") == y_val)
    check_close(history["train_acc_history"][0], train_acc, "TwoLayerNet.train", "train_acc_history[0]", on, 1e-9,
                "at iteration 0 record the accuracy on that iteration's batch, after the update.")
    check_close(history["val_acc_history"][0], val_acc, "TwoLayerNet.train", "val_acc_history[0]", on, 1e-9,
                "at iteration 0 record the accuracy on all of X_val, after the update.")
    # Iteration 1 steps with the decayed rate (iteration 0 ended an epoch), iteration 2 too (it did not).
    after1 = {name: after0[name] - lr * decay * grads1[name] for name in PARAM_NAMES}
    twin.set("params", {k: v.copy() for k, v in after1.items()})
    batch2 = rng.choice(N, batch_size, replace=True)
    _, grads2 = net_loss(twin, after1, X[batch2], y[batch2])
    after2 = {name: after1[name] - lr * decay * grads2[name] for name in PARAM_NAMES}
    mistakes = {2: (after0, grads1, lr, "iteration 0 is the end of an epoch (0 % iterations_per_epoch == 0): "
                    "multiply the learning rate by learning_rate_decay there, so that iteration 1 steps with "
                    "learning_rate * decay."),
                3: (after1, grads2, lr * decay * decay, "decay the learning rate once per epoch (when it % "
                    "iterations_per_epoch == 0), not at every iteration.")}
    for iters, expected_params in ((2, after1), (3, after2)):
        net = new_net(student, params, 0.1)
        expect_history(net.call("train", X, y, X_val, y_val, num_iters=iters, **settings))
        found = net.get("params")
        start, last_grads, wrong_lr, wrong_hint = mistakes[iters]
        for name in PARAM_NAMES:
            value = expect_array(found.get(name) if isinstance(found, dict) else None, expected_params[name].shape,
                                 "TwoLayerNet.train", f"params['{name}'] after {iters} iterations")
            wrong = start[name] - wrong_lr * last_grads[name]
            hint = wrong_hint if np.allclose(value, wrong, rtol=1e-9, atol=1e-12) else ""
            check_close(value, expected_params[name], "TwoLayerNet.train", f"params['{name}'] after {iters} iterations",
                        on, 1e-9, hint)
    small_X, small_y = X[:8], y[:8]
    try:
        history = expect_history(new_net(student, params, 0.1).call("train", small_X, small_y, X_val, y_val,
                                                                     num_iters=4, **dict(settings, batch_size=20)))
    except StudentError as error:
        if error.exc_type != "ZeroDivisionError":
            raise
        raise CheckFailed(f"TwoLayerNet.train with more examples per batch than data (N = 8, batch_size = 20) "
                          f"{error}.\nHint: iterations_per_epoch = max(N // batch_size, 1): with N < batch_size, "
                          "every iteration is an epoch.") from None
    for key in ("train_acc_history", "val_acc_history"):
        if len(history[key]) != 4:
            raise CheckFailed(f"TwoLayerNet.train recorded {len(history[key])} entries in {key} for num_iters=4 with "
                              "N = 8 and batch_size = 20; expected 4: with N < batch_size every iteration is an "
                              "epoch (iterations_per_epoch = max(N // batch_size, 1)).")


@pytest.mark.points(1)
def test_two_layer_net_predict(student, public_rng):
    """TwoLayerNet.predict returns (N,) integer labels: the class with the highest score of each row."""
    D, Hd, C, N = 5, 6, 4, 12
    params = random_params(public_rng, D, Hd, C)
    X = public_rng.standard_normal((N, D))
    net = new_net(student, params)
    scores = expect_array(net.call("loss", X), (N, C), "TwoLayerNet.loss(X)", "the scores")
    labels = net.call("predict", X)
    if isinstance(labels, np.ndarray) and labels.shape == (C,):
        raise CheckFailed(f"TwoLayerNet.predict returned labels of shape ({C},) for X ({N}, {D}); "
                          "expected one per row, "
                          f"shape ({N},).\nHint: take the argmax over the classes, axis=1 of the (N, C) scores.")
    labels = expect_array(labels, (N,), "TwoLayerNet.predict", "the labels", "iu")
    wrong = int(np.sum(labels != np.argmax(scores, axis=1)))
    if wrong:
        raise CheckFailed(f"TwoLayerNet.predict differs from the argmax of your scores (over the classes, axis 1) on "
                          f"{wrong} of {N} rows of X ({N}, {D}).")


### BEGIN HIDDEN TESTS
# -- hidden: random expression graphs against the reference engine ---------------------------------
GRAPH_OPS = ["+", "-", "*", "/", "**", "neg", "exp", "log", "relu", "sigmoid", "tanh", "max"]
EXPONENTS = [2, 3, -1, 0.5, 1.5, -0.5]


def graph_node_value(entry, data, bound=30):
    """The node's value in plain floats, or None when the operation is out of its safe domain
    (far from log 0, division by 0, kinks of relu and max, overflow) or the value's magnitude is
    `bound` or more."""
    op, operands = entry[0], entry[1:]
    if op == "**":
        values = [data[operands[0]], operands[1]]   # the exponent is a number, even when an int
    else:
        values = [data[o] if isinstance(o, int) else o for o in operands]
    a = values[0]
    b = values[1] if len(values) > 1 else None
    if op == "**":
        if (b != int(b) and a < 0.2) or (b < 0 and abs(a) < 0.3):
            return None
        value = a ** b
    elif op == "/":
        value = None if abs(b) < 0.3 else a / b
    elif op == "log":
        value = math.log(a) if a > 0.2 else None
    elif op == "exp":
        value = math.exp(a) if a < 3 else None
    elif op == "relu":
        value = max(0.0, a) if abs(a) > 0.05 else None
    elif op == "max":
        value = max(a, b) if abs(a - b) > 0.05 else None
    else:
        value = {"+": lambda: a + b, "-": lambda: a - b, "*": lambda: a * b, "neg": lambda: -a,
                 "sigmoid": lambda: 1 / (1 + math.exp(-a)), "tanh": lambda: math.tanh(a)}[op]()
    return value if value is not None and abs(value) < bound else None


def random_operand(rng, count):
    """A node index: mostly a recent one (a chain), sometimes any (shared sub-expressions)."""
    if rng.random() < 0.3:
        return int(rng.integers(count))
    return count - 1 - min(int(rng.geometric(0.4)) - 1, count - 1)


def random_entry(rng, op, count):
    if op in ("neg", "exp", "log", "relu", "sigmoid", "tanh"):
        return (op, random_operand(rng, count))
    if op == "**":
        return (op, random_operand(rng, count), EXPONENTS[int(rng.integers(len(EXPONENTS)))])
    a, b = random_operand(rng, count), random_operand(rng, count)
    number = float(np.round(rng.uniform(0.5, 3.0) * rng.choice([-1, 1]), 2))
    if rng.random() < 0.3:
        if op != "max" and rng.random() < 0.5:
            return (op, number, b)
        return (op, a, number)
    return (op, a, b)


def random_graph(rng, num_leaves=4, num_ops=16):
    """(spec, leaves, None): every operation at least once, nodes used by several others, numbers on
    either side; the output sums the nodes that nothing else uses, so every node reaches it."""
    spec = [("leaf", k) for k in range(num_leaves)]
    leaves = [float(v) for v in np.round(rng.uniform(0.3, 2.0, num_leaves) * rng.choice([-1, 1], num_leaves), 3)]
    data = list(leaves)
    todo = [str(op) for op in rng.permutation(GRAPH_OPS)]
    attempts = 0
    while len(spec) < num_leaves + num_ops and attempts < 10000:
        attempts += 1
        op = todo[-1] if todo else str(GRAPH_OPS[int(rng.integers(len(GRAPH_OPS)))])
        entry = random_entry(rng, op, len(spec))
        value = graph_node_value(entry, data)
        if value is None:
            if todo:  # try another required operation first; this one may fit a later node
                todo.insert(0, todo.pop())
            continue
        if todo:
            todo.pop()
        spec.append(entry)
        data.append(value)
    used = {o for entry in spec for o in node_operands(entry)}
    sinks = [i for i in range(len(spec)) if i not in used]
    total = sinks[0]
    for sink in sinks[1:]:
        spec.append(("+", total, sink))
        total = len(spec) - 1
    return spec, leaves, None


def reference_graph(reference, spec, leaves):
    """(data, grad) arrays of the reference engine on the graph, in this (trusted) process."""
    from .worker_side.backprop import build_graph
    nodes = build_graph(spec, leaves, reference.graph.Value)
    nodes[-1].backward()
    return np.array([n.data for n in nodes]), np.array([n.grad for n in nodes])


class _TooLong(Exception):
    pass


def mistaken_backward(reference, spec, leaves, mistake, limit=200000):
    """The reference engine's grads when backward() visits the graph depth-first from the output,
    calling each node's _backward on arrival: 'preorder' visits each node once (a node may run
    before all its users), 'revisit' runs a node again every time it is reached."""
    from .worker_side.backprop import build_graph
    nodes = build_graph(spec, leaves, reference.graph.Value)
    calls, visited = [0], set()

    def visit(node):
        calls[0] += 1
        if calls[0] > limit:
            raise _TooLong
        node._backward()
        for child in node._prev:
            if mistake == "revisit" or child not in visited:
                visited.add(child)
                visit(child)
    nodes[-1].grad = 1.0
    try:
        visit(nodes[-1])
    except (_TooLong, RecursionError):
        return None
    return np.array([n.grad for n in nodes])


PARTIAL_SUM_HINT = ("this node's grad holds the contributions of only some of the gates that use it. Each gate "
                    "must add into its inputs' grads (+=, never =), and a node's _backward may run only after every "
                    "node that uses it: visit the nodes in reverse topological order.")


def gate_contributions(reference, spec, data, expected_grad, i):
    """What each gate using node i adds to i's grad: its local derivative times its own grad."""
    from .worker_side.backprop import build_graph
    contributions = []
    for j in consumers(spec, i):
        op, operands = spec[j][0], list(spec[j][1:])
        inputs = [operands[0]] if op == "**" else [o for o in operands if isinstance(o, int)]
        # The gate alone, on fresh leaves holding its node operands' data.
        local = [("leaf", k) for k in range(len(inputs))]
        slot = iter(range(len(inputs)))
        if op == "**":
            gate = (op, 0, operands[1])
        else:
            gate = (op,) + tuple(next(slot) if isinstance(o, int) else o for o in operands)
        nodes = build_graph(local + [gate], [data[o] for o in inputs], reference.graph.Value)
        nodes[-1].backward()
        local_derivative = sum(nodes[k].grad for k, o in enumerate(inputs) if o == i)
        contributions.append(local_derivative * expected_grad[j])
    return contributions


def partial_sum_hint(reference, spec, leaves, grad, expected_grad, tol=1e-8):
    """The accumulation hint when the first wrong grad (from the output back) equals the sum of the
    contributions of only some of the gates that use that node."""
    data, _ = reference_graph(reference, spec, leaves)
    scale = max(float(np.max(np.abs(expected_grad))), 1e-12)
    for i in reversed(range(len(spec))):
        if abs(grad[i] - expected_grad[i]) <= tol * max(abs(expected_grad[i]), 1e-6 * scale):
            continue
        contributions = gate_contributions(reference, spec, data, expected_grad, i)
        for mask in range(1, 2 ** len(contributions) - 1):
            partial = sum(c for k, c in enumerate(contributions) if mask >> k & 1)
            if abs(grad[i] - partial) <= 1e-9 * max(abs(partial), 1.0):
                return PARTIAL_SUM_HINT
        return ""
    return ""


def graph_hint(reference, spec, leaves, grad, expected_grad):
    for mistake, hint in (("preorder", ORDER_HINT), ("revisit", REVISIT_HINT)):
        mistaken = mistaken_backward(reference, spec, leaves, mistake)
        if mistaken is not None and np.allclose(grad, mistaken, rtol=1e-9, atol=1e-12):
            return hint
    return partial_sum_hint(reference, spec, leaves, grad, expected_grad)


def hidden_graphs(rng, count=4):
    return [random_graph(rng) for _ in range(count)]


@pytest.mark.points(3)
def test_value_random_graphs_match_reference(student, reference, hidden_rng):
    """On hidden random expression graphs (every operation, shared sub-expressions, numbers on either
    side), the data and grad of every node match the reference engine."""
    graphs = hidden_graphs(hidden_rng)
    results = run_graphs(student, graphs)
    for number, ((spec, leaves, names), (data, grad)) in enumerate(zip(graphs, results), 1):
        expected_data, expected_grad = reference_graph(reference, spec, leaves)
        where = (f"hidden random graph {number} ({len(spec)} nodes, {len(leaf_nodes(spec))} leaves: "
                 f"{leaf_text(spec, leaves, names)}), whose nodes are: "
                 + "; ".join(node_formula(spec, names, i) for i in range(len(spec)) if spec[i][0] != "leaf"))
        compare_graph(spec, names, data, grad, expected_data, expected_grad, where, tol=1e-8,
                      hint=lambda g, spec=spec, leaves=leaves, e=expected_grad:
                          graph_hint(reference, spec, leaves, g, e))


@pytest.mark.points(2)
def test_value_random_graphs_gradient_check(student, guards, hidden_rng):
    """The trusted gradient check: on hidden random graphs, every leaf's grad agrees with finite
    differences of the student's own forward pass."""
    graphs = hidden_graphs(hidden_rng)
    results = run_graphs(student, graphs)
    numerical = graph_numerical_gradients(student, graphs)
    for number, ((spec, leaves, names), (_, grad), num) in enumerate(zip(graphs, results, numerical), 1):
        check_graph_gradient(spec, names, leaves, grad, num, f"hidden random graph {number} ({len(spec)} nodes)",
                             tol=1e-5)
    rng = guards.rng
    guard_graphs(student, guards, [jittered_graph(rng, spec, leaves) for spec, leaves, _ in graphs],
                 [f"hidden random graph {number} ({len(spec)} nodes)" for number, (spec, _, _) in enumerate(graphs, 1)])


def jittered_graph(rng, spec, leaves, amplitude=1e-3):
    """(spec, leaves, None) with every leaf moved by up to `amplitude` (halved until every node stays in
    its safe domain): the hidden leaves are rounded to 3 decimals, a grid the blind worker could snap
    the guard's points back to. (The nodes that sum the sinks were never bounded in magnitude.)"""
    while True:
        moved = [float(v) for v in np.array(leaves) + rng.uniform(-amplitude, amplitude, len(leaves))]
        data = list(moved)
        for entry in spec[len(leaves):]:
            value = graph_node_value(entry, data, bound=math.inf)
            if value is None:
                break
            data.append(value)
        else:
            return spec, moved, None
        amplitude /= 2


# -- hidden: layers against the reference ----------------------------------------------------------
AFFINE_CASES = [(4, (3, 5), 6, np.float64), (10, (2, 3, 4), 7, np.float64), (1, (7,), 3, np.float64),
                (6, (4, 4), 5, np.float32)]


def affine_hint(name, value, expected, dout):
    if name == "db" and np.allclose(value, dout.mean(axis=0), rtol=1e-4):
        return "db is the mean of dout over the batch; every example adds its own row, so sum over axis 0."
    if np.allclose(value, -expected, rtol=1e-4):
        return f"{name} has the wrong sign."
    return ""


@pytest.mark.points(2)
def test_affine_layer_matches_reference(student, reference, hidden_rng, note, reference_sandbox):
    """affine_forward and affine_backward match the reference on hidden shapes (x with 1 to 3 feature
    dimensions, N = 1, float32)."""
    layers = reference.layers
    for N, dims, M, dtype in AFFINE_CASES:
        x = hidden_rng.standard_normal((N, *dims)).astype(dtype)
        D = int(np.prod(dims))
        w, b = hidden_rng.standard_normal((D, M)).astype(dtype), hidden_rng.standard_normal(M).astype(dtype)
        dout = hidden_rng.standard_normal((N, M)).astype(dtype)
        on = describe_shapes(x=x, w=w, b=b)
        out, grads, _, _ = run_layer(student, "affine", (x, w, b), dout)
        expected_out, cache = layers.affine_forward(x, w, b)
        tol = tolerance(x)
        check_close(out, expected_out, "affine_forward", "out", on, tol, affine_hint("out", out, expected_out, dout))
        for name, value, expected in zip(("dx", "dw", "db"), grads, layers.affine_backward(dout, cache)):
            check_close(value, expected, "affine_backward", name, on, tol, affine_hint(name, value, expected, dout))
    x = hidden_rng.standard_normal((200, 3072))
    w, b = 1e-2 * hidden_rng.standard_normal((3072, 100)), np.zeros(100)
    mine = float(np.median(student.time("layers.affine_forward", x, w, b, repeat=5)))
    theirs = float(np.median(reference_sandbox.time("layers.affine_forward", x, w, b, repeat=5)))
    note(f"Speed (reported, not graded): affine_forward takes {mine * 1e3:.1f} ms on x (200, 3072), w (3072, 100), "
         f"the reference {theirs * 1e3:.1f} ms ({mine / theirs:.1f}x).")


def relu_hint(x, dout, value):
    if np.allclose(value, dout * (x >= 0)):
        return "(x >= 0) lets the gradient through where x == 0; relu's gradient is 0 there: use x > 0."
    return relu_gradient_hint(x, dout, value)


@pytest.mark.points(1)
def test_relu_layer_matches_reference(student, reference, hidden_rng):
    """relu_forward and relu_backward match the reference on hidden shapes, with exact zeros in x."""
    for shape, dtype in (((6, 7), np.float64), ((3, 4, 5), np.float64), ((10, 8), np.float32)):
        x = hidden_rng.standard_normal(shape).astype(dtype)
        x[hidden_rng.random(shape) < 0.2] = 0
        dout = hidden_rng.standard_normal(shape).astype(dtype)
        on = describe_shapes(x=x) + " with exact zeros"
        out, (dx,), _, _ = run_layer(student, "relu", (x,), dout)
        expected_out, cache = reference.layers.relu_forward(x)
        check_close(out, expected_out, "relu_forward", "out", on, tolerance(x))
        check_close(dx, reference.layers.relu_backward(dout, cache), "relu_backward", "dx", on, tolerance(x),
                    relu_hint(x, dout, dx))


def loss_variant(fn, x, y, average_loss=True, average_grad=True, skip_correct=True, log=np.log):
    """svm_loss or softmax_loss (float64) with one of the usual mistakes switched on."""
    x = x.astype(np.float64)
    N = x.shape[0]
    rows = np.arange(N)
    if fn == "svm_loss":
        margins = np.maximum(0, x - x[rows, y][:, None] + 1.0)
        margins[rows, y] = 0
        # Counting j == y[i] adds a constant margin of 1 per example: the loss changes, dx does not.
        loss = margins.sum() + (0 if skip_correct else N)
        dx = (margins > 0).astype(float)
        dx[rows, y] = -dx.sum(axis=1)
    else:
        shifted = x - x.max(axis=1, keepdims=True)
        probs = np.exp(shifted) / np.exp(shifted).sum(axis=1, keepdims=True)
        loss = -log(probs[rows, y]).sum()
        dx = probs.copy()
        dx[rows, y] -= 1
    return loss / (N if average_loss else 1), dx / (N if average_grad else 1)


LOSS_MISTAKES = [
    (dict(average_loss=False, average_grad=False), "the loss and dx are sums over the examples; the loss is their "
                                                   "mean, so divide both by N."),
    (dict(average_loss=False), "the loss is summed over the examples; divide it by N (dx already is)."),
    (dict(average_grad=False), "dx is not divided by N, but the loss is the mean over the N examples."),
    (dict(skip_correct=False), "the correct class adds a margin too; skip j == y[i]."),
    (dict(log=np.log10), "use the natural log, np.log."),
]


def loss_hint(fn, x, y, loss, dx, part):
    for change, hint in LOSS_MISTAKES:
        if fn == "softmax_loss" and "skip_correct" in change or fn == "svm_loss" and "log" in change:
            continue
        wrong_loss, wrong_dx = loss_variant(fn, x, y, **change)
        if part == "loss" and abs(loss - wrong_loss) <= 1e-6 * max(1.0, abs(wrong_loss)):
            return hint
        if part == "dx" and np.allclose(dx, wrong_dx, rtol=1e-5, atol=1e-9):
            return hint
    return ""


LOSS_CASES = [(5, 3, 1.0, np.float64), (50, 10, 1.0, np.float64), (1, 4, 1.0, np.float64), (20, 7, 1.0, np.float32),
              (8, 6, 1e3, np.float64)]


@pytest.mark.points(2)
def test_loss_layers_match_reference(student, reference, hidden_rng):
    """svm_loss and softmax_loss match the reference loss and dx on hidden scores (several shapes, N = 1,
    float32, scores of magnitude 1e3 to 1e4)."""
    for fn in ("svm_loss", "softmax_loss"):
        for N, C, scale, dtype in LOSS_CASES:
            x, y = random_scores(hidden_rng, N, C, scale)
            if scale > 1:
                x = x + 1e4 * hidden_rng.choice([-1, 1], size=(N, 1))
            x = x.astype(dtype)
            on = describe_shapes(x=x) + (f", scores of magnitude {scale * 10:g}" if scale > 1 else "")
            loss, dx = expect_loss_and_dx(student.call(f"layers.{fn}", x, y), x, fn)
            expected_loss, expected_dx = getattr(reference.layers, fn)(x, y)
            tol = tolerance(x)
            check_close(loss, expected_loss, fn, "the loss", on, tol, loss_hint(fn, x, y, loss, dx, "loss"))
            check_close(dx, expected_dx, fn, "dx", on, tol, loss_hint(fn, x, y, loss, dx, "dx"))


@pytest.mark.points(2)
def test_layers_gradient_check_hidden(student, guards, hidden_rng):
    """The trusted gradient check on hidden inputs: affine_backward, relu_backward, svm_loss and
    softmax_loss agree with finite differences of the student's own forward passes."""
    x = hidden_rng.standard_normal((3, 2, 4))
    w, b, dout = hidden_rng.standard_normal((8, 5)), hidden_rng.standard_normal(5), hidden_rng.standard_normal((3, 5))
    check_affine_backward(student, guards, x, w, b, dout, describe_shapes(x=x, w=w, b=b))
    x = away_from_zero(hidden_rng, (5, 6))
    check_relu_backward(student, guards, x, hidden_rng.standard_normal(x.shape), describe_shapes(x=x))
    x, y = svm_scores_away_from_kinks(hidden_rng, 8, 5)
    check_loss_gradient(student, guards, "svm_loss", x, y, describe_shapes(x=x),
                        hint_fn=lambda dx, num: loss_gradient_hint(dx, num, 8))
    x, y = random_scores(hidden_rng, 8, 5, 3.0)
    check_loss_gradient(student, guards, "softmax_loss", x, y, describe_shapes(x=x),
                        hint_fn=lambda dx, num: loss_gradient_hint(dx, num, 8))


# -- hidden: TwoLayerNet against the reference -------------------------------------------------------

def net_variant(params, X, y, reg, half=0.5, grad_factor=1.0, reg_biases=False, sum_db=True, grad_reg=True):
    """(loss, grads) of the two-layer net with one of the usual mistakes switched on."""
    W1, b1, W2, b2 = (params[k] for k in PARAM_NAMES)
    N = X.shape[0]
    pre = X @ W1 + b1
    hidden = np.maximum(0, pre)
    scores = hidden @ W2 + b2
    shifted = scores - scores.max(axis=1, keepdims=True)
    probs = np.exp(shifted) / np.exp(shifted).sum(axis=1, keepdims=True)
    loss = -np.log(probs[np.arange(N), y]).mean()
    regularized = ("W1", "W2", "b1", "b2") if reg_biases else ("W1", "W2")
    loss += half * reg * sum(np.sum(params[k] ** 2) for k in regularized)
    dscores = probs.copy()
    dscores[np.arange(N), y] -= 1
    dscores /= N
    grads = {"W2": hidden.T @ dscores, "b2": dscores.sum(axis=0) if sum_db else dscores.mean(axis=0)}
    dpre = (dscores @ W2.T) * (pre > 0)
    grads.update(W1=X.T @ dpre, b1=dpre.sum(axis=0) if sum_db else dpre.mean(axis=0))
    if grad_reg:
        for k in regularized:
            grads[k] = grads[k] + grad_factor * reg * params[k]
    return loss, grads


NET_MISTAKES = [
    (dict(reg_biases=True), "the biases are not regularized: only W1 and W2 enter 0.5 * reg * (...) and get reg * W."),
    (dict(half=1.0, grad_factor=2.0), "the regularization loss is 0.5 * reg * (sum(W1 ** 2) + sum(W2 ** 2)), with the "
                                      "factor 0.5, so its gradient is reg * W."),
    (dict(half=1.0), "the regularization loss is 0.5 * reg * (sum(W1 ** 2) + sum(W2 ** 2)): "
                     "the factor 0.5 is missing."),
    (dict(grad_factor=2.0), "the gradient of 0.5 * reg * sum(W ** 2) is reg * W, not 2 * reg * W."),
    (dict(grad_reg=False), "grads['W1'] and grads['W2'] lack the regularization gradient reg * W."),
    (dict(sum_db=False), "db is the sum of the upstream gradient over the batch, not its mean."),
]


def net_hint(params, X, y, reg, loss, grads, part):
    """The hint of the first known mistake that reproduces the student's `part` ('loss' or a grad's name)
    and differs there from the right value (with reg = 0, several mistakes change nothing)."""
    _, right_grads = net_variant(params, X, y, reg)
    for change, hint in NET_MISTAKES:
        wrong_loss, wrong_grads = net_variant(params, X, y, reg, **change)
        if part == "loss" and abs(loss - wrong_loss) <= 1e-7 * max(1.0, abs(wrong_loss)):
            return hint
        if (part != "loss" and np.allclose(grads[part], wrong_grads[part], rtol=1e-6, atol=1e-12)
                and not np.allclose(wrong_grads[part], right_grads[part], rtol=1e-6, atol=1e-12)):
            return hint
    return ""


def net_away_from_kinks(rng, N, D, Hd, C):
    """A problem whose hidden pre-activations are all at least 1e-3 away from 0 (relu's kink)."""
    while True:
        params, X, y = net_problem(rng, N, D, Hd, C)
        if np.min(np.abs(X @ params["W1"] + params["b1"])) > 1e-3:
            return params, X, y


@pytest.mark.points(3)
def test_two_layer_net_matches_reference(student, reference, hidden_rng):
    """TwoLayerNet's scores, loss and every gradient match the reference on hidden inputs, with reg = 0,
    small and large, and non-zero biases."""
    for N, D, Hd, C, reg in ((15, 12, 9, 4, 0.0), (30, 20, 10, 6, 0.05), (8, 6, 5, 3, 3.7)):
        params, X, y = net_problem(hidden_rng, N, D, Hd, C)
        on = describe_shapes(X=X, W1=params["W1"], W2=params["W2"], reg=reg) + ", biases non-zero"
        ref = reference.neural_net.TwoLayerNet(D, Hd, C, reg=reg, seed=0)
        ref.params = {k: v.copy() for k, v in params.items()}
        net = new_net(student, params, reg)
        scores = expect_array(net.call("loss", X), (N, C), "TwoLayerNet.loss(X)", "the scores")
        check_close(scores, ref.loss(X), "TwoLayerNet.loss(X)", "the scores", on, 1e-9)
        loss, grads = net_loss(net, params, X, y)
        expected_loss, expected_grads = ref.loss(X, y)
        check_close(loss, expected_loss, "TwoLayerNet.loss", "the loss", on, 1e-9,
                    net_hint(params, X, y, reg, loss, grads, "loss"))
        for name in PARAM_NAMES:
            check_close(grads[name], expected_grads[name], "TwoLayerNet.loss", f"grads['{name}']", on, 1e-8,
                        net_hint(params, X, y, reg, loss, grads, name))


@pytest.mark.points(2)
def test_two_layer_net_gradient_check_hidden(student, guards, hidden_rng):
    """The trusted gradient check on hidden inputs: sampled entries of every gradient agree with finite
    differences of the student's own loss, with a large reg."""
    params, X, y = net_away_from_kinks(hidden_rng, 25, 15, 12, 5)
    reg = 2.5
    check_net_gradients(student, guards, params, X, y, reg, describe_shapes(X=X, W1=params["W1"], reg=reg), hidden_rng,
                        per_param=12)


def digits_for_training(reference, fast):
    data = reference.computed(("digits without the bias trick", fast),
                              lambda: reference.data.load_dataset("digits", bias_trick=False, fast=fast))
    return data["X_train"], data["y_train"], data["X_val"], data["y_val"], data["X_test"], data["y_test"]


@pytest.mark.points(1)
def test_two_layer_net_train_matches_reference(student, reference, hidden_rng):
    """TwoLayerNet.train with a hidden seed follows the reference trajectory on the digits: the same
    losses, accuracies and final parameters."""
    X, y, X_val, y_val, _, _ = digits_for_training(reference, fast=True)
    seed = int(hidden_rng.integers(2**31))
    settings = dict(learning_rate=0.1, learning_rate_decay=0.9, num_iters=60, batch_size=50, seed=seed)

    def train():
        ref = reference.neural_net.TwoLayerNet(X.shape[1], 30, 10, weight_scale=1e-2, reg=1e-3, seed=seed)
        start = {k: v.copy() for k, v in ref.params.items()}
        return start, ref.train(X, y, X_val, y_val, **settings), ref.params
    start, expected, trained = reference.computed(("TwoLayerNet trajectory on the digits", seed), train)
    net = new_net(student, start, 1e-3)
    history = expect_history(net.call("train", X, y, X_val, y_val, **settings))
    on = f"the digits X {X.shape}, seed={seed}"
    for key in ("loss_history", "train_acc_history", "val_acc_history"):
        if history[key].shape != (len(expected[key]),):
            raise CheckFailed(f"TwoLayerNet.train returned {history[key].size} entries in {key}; expected "
                              f"{len(expected[key])} on {on}.")
        check_close(history[key], np.array(expected[key]), "TwoLayerNet.train", key, on, 1e-6,
                    "follow the contract's order: draw the batch, record its loss, update every parameter, then at "
                    "the end of an epoch record the accuracies and decay the learning rate.")
    found = net.get("params")
    for name in PARAM_NAMES:
        value = expect_array(found.get(name) if isinstance(found, dict) else None, start[name].shape,
                             "TwoLayerNet.train", f"params['{name}'] after training")
        check_close(value, trained[name], "TwoLayerNet.train", f"params['{name}'] after training", on, 1e-6)


@pytest.mark.points(2)
def test_two_layer_net_accuracy(student, reference, hidden_rng):
    """A TwoLayerNet trained with the student's code on the digits reaches the reference's test accuracy
    (within 2 points) with the same hidden seed and settings."""
    X, y, X_val, y_val, X_test, y_test = digits_for_training(reference, fast=False)
    seed = int(hidden_rng.integers(2**31))
    sizes = dict(input_dim=X.shape[1], hidden_dim=50, num_classes=10, weight_scale=1e-2, reg=1e-3, seed=seed)
    settings = dict(learning_rate=0.1, learning_rate_decay=0.95, num_iters=300, batch_size=100, seed=seed)
    net = student.new(NET, **sizes)
    expect_history(net.call("train", X, y, X_val, y_val, **settings))
    predictions = expect_array(net.call("predict", X_test), y_test.shape, "TwoLayerNet.predict", "the labels", "iu")
    accuracy = float(np.mean(predictions == y_test))

    def test_accuracy():
        ref = reference.neural_net.TwoLayerNet(**sizes)
        ref.train(X, y, X_val, y_val, **settings)
        return float(np.mean(ref.predict(X_test) == y_test))
    expected = reference.computed(("TwoLayerNet test accuracy on the digits", seed), test_accuracy)
    if accuracy < expected - 0.02:
        raise CheckFailed(f"TwoLayerNet reaches {accuracy:.1%} test accuracy on the held-out digits; the reference "
                          f"reaches {expected:.1%} with the same seed and settings (at least {expected - 0.02:.1%} "
                          "needed).")
### END HIDDEN TESTS
