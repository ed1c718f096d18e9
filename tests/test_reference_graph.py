"""The reference scalar autodiff engine (solutions/graph.py) against the lecture's worked
examples and finite differences of plain-float formulas."""
import math

import pytest

from solutions.graph import Value


def sigma(t):
    return 1.0 / (1.0 + math.exp(-t))


def test_lecture_example_sum_times_z():
    # Lecture "Backpropagation and Neural Networks": f = (x + y) z at x=-2, y=5, z=-4.
    x, y, z = Value(-2.0), Value(5.0), Value(-4.0)
    q = x + y
    f = q * z
    assert (q.data, f.data) == (3.0, -12.0)
    f.backward()
    assert (x.grad, y.grad, z.grad, q.grad, f.grad) == (-4.0, -4.0, 3.0, -4.0, 1.0)


def test_lecture_example_sigmoid_neuron():
    # f = 1 / (1 + e^-(w0 x0 + w1 x1 + w2)) at w0=2, x0=-1, w1=-3, x1=-2, w2=-3: the input is 1.
    w0, x0, w1, x1, w2 = Value(2.0), Value(-1.0), Value(-3.0), Value(-2.0), Value(-3.0)
    f = 1 / (1 + (-(w0 * x0 + w1 * x1 + w2)).exp())
    f.backward()
    s = sigma(1.0)
    local = s * (1 - s)  # d sigma / d input at 1, the slide's 0.20
    expected = {"f": s, "w0": local * -1.0, "x0": local * 2.0, "w1": local * -2.0,
                "x1": local * -3.0, "w2": local}
    got = {"f": f.data, "w0": w0.grad, "x0": x0.grad, "w1": w1.grad, "x1": x1.grad, "w2": w2.grad}
    for name in expected:
        assert got[name] == pytest.approx(expected[name], rel=1e-12), name
    # ... and the numbers on the slide, to two decimals.
    slide = {"f": 0.73, "w0": -0.20, "x0": 0.39, "w1": -0.39, "x1": -0.59, "w2": 0.20}
    assert {k: round(v, 2) for k, v in got.items()} == slide


def test_sigmoid_gate_gives_the_same_neuron():
    w0, x0, w1, x1, w2 = Value(2.0), Value(-1.0), Value(-3.0), Value(-2.0), Value(-3.0)
    f = (w0 * x0 + w1 * x1 + w2).sigmoid()
    f.backward()
    s = sigma(1.0)
    assert f.data == pytest.approx(s, rel=1e-15)
    assert w0.grad == pytest.approx(-s * (1 - s), rel=1e-12)
    assert x1.grad == pytest.approx(-3 * s * (1 - s), rel=1e-12)


def test_new_node_has_zero_grad_and_float_data():
    v = Value(3)
    assert v.grad == 0.0 and v.data == 3.0 and isinstance(v.data, float)
    assert "3.0" in repr(v)


# Each case: a function of two Values (or numbers) written with the engine, and the same
# function on floats for the finite differences; points avoid kinks and ties.
BINARY = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "div": lambda a, b: a / b,
    "radd": lambda a, b: 2.5 + a * b,
    "rsub": lambda a, b: 2.5 - a * b,
    "rmul": lambda a, b: -1.5 * a + b,
    "rtruediv": lambda a, b: 3.0 / a + b,
    "neg": lambda a, b: -a * b,
    "pow_int": lambda a, b: a ** 3 + b ** 2,
    "pow_float": lambda a, b: a ** 2.5 + b ** -0.5,
    "max_ab": lambda a, b: a.max(b) if isinstance(a, Value) else max(a, b),
    "max_number": lambda a, b: (a.max(1.0) if isinstance(a, Value) else max(a, 1.0)) * b,
}

UNARY = {
    "exp": (lambda v: v.exp(), math.exp),
    "log": (lambda v: v.log(), math.log),
    "relu": (lambda v: v.relu(), lambda t: max(0.0, t)),
    "sigmoid": (lambda v: v.sigmoid(), sigma),
    "tanh": (lambda v: v.tanh(), math.tanh),
}


@pytest.mark.parametrize("name", sorted(BINARY))
@pytest.mark.parametrize("point", [(1.7, 0.6), (0.4, 2.3)])
def test_binary_ops_match_finite_differences(name, point):
    fn = BINARY[name]
    a, b = Value(point[0]), Value(point[1])
    out = fn(a, b)
    assert out.data == pytest.approx(fn(*point), rel=1e-12)
    out.backward()
    h = 1e-6
    da = (fn(point[0] + h, point[1]) - fn(point[0] - h, point[1])) / (2 * h)
    db = (fn(point[0], point[1] + h) - fn(point[0], point[1] - h)) / (2 * h)
    assert a.grad == pytest.approx(da, rel=1e-6, abs=1e-9)
    assert b.grad == pytest.approx(db, rel=1e-6, abs=1e-9)


@pytest.mark.parametrize("name", sorted(UNARY))
@pytest.mark.parametrize("t", [-1.3, 0.4, 2.2])
def test_unary_ops_match_finite_differences(name, t):
    engine, plain = UNARY[name]
    if name == "log":
        t = abs(t)
    v = Value(t)
    out = engine(v) * 2.0  # an upstream gradient other than 1
    assert out.data == pytest.approx(2.0 * plain(t), rel=1e-12)
    out.backward()
    h = 1e-6
    assert v.grad == pytest.approx(2.0 * (plain(t + h) - plain(t - h)) / (2 * h), rel=1e-6, abs=1e-9)


def test_sigmoid_is_finite_for_large_inputs():
    for t in (-1000.0, 1000.0):
        v = Value(t)
        out = v.sigmoid()
        out.backward()
        assert out.data == (0.0 if t < 0 else 1.0)
        assert v.grad == 0.0


def test_relu_gradient_is_zero_at_zero():
    v = Value(0.0)
    out = v.relu()
    out.backward()
    assert out.data == 0.0
    assert v.grad == 0.0


@pytest.mark.parametrize("other_is_value", [True, False])
def test_max_tie_routes_the_gradient_to_self(other_is_value):
    a = Value(2.0)
    b = Value(2.0) if other_is_value else 2.0
    out = a.max(b) * 3.0
    out.backward()
    assert out.data == 6.0
    assert a.grad == 3.0
    if other_is_value:
        assert b.grad == 0.0


def test_max_routes_the_gradient_to_the_larger_input_only():
    a, b = Value(-1.0), Value(4.0)
    out = a.max(b)
    out.backward()
    assert (out.data, a.grad, b.grad) == (4.0, 0.0, 1.0)


def test_node_used_twice_gets_both_contributions():
    x = Value(3.0)
    f = x * x + x  # df/dx = 2x + 1
    f.backward()
    assert x.grad == 7.0

    y = Value(-2.0)
    g = y + y
    g.backward()
    assert y.grad == 2.0


def test_intermediate_node_used_twice_in_one_operation_is_visited_once():
    # u appears twice among f's inputs; running u's backward twice would double x's gradient.
    x = Value(0.3)
    u = x.exp()
    f = u * u  # e^(2x), df/dx = 2 e^(2x)
    f.backward()
    assert u.grad == pytest.approx(2 * math.exp(0.3), rel=1e-12)
    assert x.grad == pytest.approx(2 * math.exp(0.6), rel=1e-12)


def test_diamond_graph_visits_each_node_once():
    # x feeds a and b, both feed c: a node visited twice would double its contribution.
    x = Value(0.5)
    a = x * 2.0
    b = x.exp()
    c = a * b + a
    c.backward()
    # c = 2x e^x + 2x, dc/dx = 2 e^x + 2x e^x + 2
    assert x.grad == pytest.approx(2 * math.exp(0.5) + 2 * 0.5 * math.exp(0.5) + 2, rel=1e-12)
    assert a.grad == pytest.approx(math.exp(0.5) + 1, rel=1e-12)


def test_backward_accumulates_into_existing_grads():
    x = Value(1.5)
    (x * 2.0).backward()
    (x * 3.0).backward()
    assert x.grad == 5.0


def test_backward_sets_the_output_grad_to_one():
    # f already holds a gradient from g's backward; f.backward() starts from 1 all the same.
    x = Value(1.5)
    f = x * 3.0
    g = f * 2.0
    g.backward()
    assert (f.grad, x.grad) == (2.0, 6.0)
    f.backward()
    assert f.grad == 1.0
    assert x.grad == 6.0 + 3.0


def test_a_small_neuron_with_tanh_against_finite_differences():
    def neuron(x1, x2, w1, w2, b):
        if isinstance(x1, Value):
            return (x1 * w1 + x2 * w2 + b).tanh()
        return math.tanh(x1 * w1 + x2 * w2 + b)

    # The bias makes the pre-activation atanh(1/sqrt(2)): output 1/sqrt(2), local gradient 1/2.
    point = [2.0, 0.0, -3.0, 1.0, 6.0 + math.atanh(1 / math.sqrt(2))]
    leaves = [Value(t) for t in point]
    out = neuron(*leaves)
    out.backward()
    assert out.data == pytest.approx(1 / math.sqrt(2), rel=1e-12)
    assert leaves[0].grad == pytest.approx(0.5 * -3.0, rel=1e-12)  # dtanh * w1
    h = 1e-6
    for i, leaf in enumerate(leaves):
        up, down = list(point), list(point)
        up[i] += h
        down[i] -= h
        assert leaf.grad == pytest.approx((neuron(*up) - neuron(*down)) / (2 * h), rel=1e-6, abs=1e-9)


def test_deep_graph_does_not_hit_the_recursion_limit():
    x = Value(1.0)
    total = Value(0.0)
    for _ in range(5000):
        total = total + x * 1.0
    total.backward()
    assert total.data == 5000.0
    assert x.grad == 5000.0


def test_power_needs_a_number_exponent():
    with pytest.raises(TypeError, match="exponent"):
        Value(2.0) ** Value(3.0)
