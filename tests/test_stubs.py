"""solutions/ → lib/: the generator, and the committed lib/ being exactly what it generates."""
import textwrap

import pytest

from autograder.instructor.stubs import MarkerError, lib_drift, make_stub, strip_markers
from conftest import ROOT


def test_committed_lib_is_generated_from_solutions():
    drift = lib_drift(ROOT / "solutions", ROOT / "lib")
    assert drift == [], "lib/ drifted from solutions/ (run `autograder stubs`):\n" + "\n".join(drift)


SOURCE = textwrap.dedent('''\
    import numpy as np


    def f(x):
        """Doc (N, D)."""
        out = np.zeros(3)
        ### BEGIN SOLUTION
        out = x * 2
        ### END SOLUTION
        return out


    class Node:
        def grow(self):
            def _backward():
                ### BEGIN SOLUTION
                self.grad += 1
                ### END SOLUTION
            return _backward
    ''')


def test_stub_replaces_each_region_with_a_one_line_message_naming_function_and_module():
    stub = make_stub(SOURCE, "mod")
    assert "out = x * 2" not in stub and "self.grad += 1" not in stub
    assert '    # YOUR CODE HERE\n    raise NotImplementedError("Implement f in lib/mod.py")\n' in stub
    # A region inside a nested closure names the method the student is asked to implement.
    assert '            raise NotImplementedError("Implement Node.grow in lib/mod.py")\n' in stub
    # Everything outside the regions is kept: docstring, setup line, return.
    assert '"""Doc (N, D)."""' in stub and "out = np.zeros(3)" in stub and "return out" in stub
    namespace = {}
    exec(compile(stub, "lib/mod.py", "exec"), namespace)
    with pytest.raises(NotImplementedError, match=r"^Implement f in lib/mod.py$"):
        namespace["f"](1)


def test_strip_markers_keeps_the_solution_and_drops_only_marker_lines():
    stripped = strip_markers(SOURCE)
    assert "### " not in stripped
    assert stripped.count("\n") == SOURCE.count("\n") - 4
    namespace = {}
    exec(stripped, namespace)
    assert namespace["f"](3) == 6


@pytest.mark.parametrize("source, complaint", [
    ("def f():\n    ### BEGIN SOLUTION\n    pass\n", "never closed"),
    ("def f():\n    pass\n    ### END SOLUTION\n", "without a"),
    ("def f():\n    ### BEGIN SOLUTION\n    ### BEGIN SOLUTION\n    pass\n    ### END SOLUTION\n", "inside the region"),
    ("### BEGIN SOLUTION\nx = 1\n### END SOLUTION\n", "inside a function"),
])
def test_malformed_regions_are_refused_with_the_line(source, complaint):
    with pytest.raises(MarkerError, match=complaint):
        make_stub(source, "mod")
