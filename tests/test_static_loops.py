"""The static loop-free judgement used by the vectorized checks."""
import textwrap

import pytest

from autograder.static_loops import find_loops


def lib_with(tmp_path, **modules):
    lib = tmp_path / "lib"
    lib.mkdir()
    (lib / "__init__.py").write_text("")
    for name, source in modules.items():
        (lib / f"{name}.py").write_text(textwrap.dedent(source))
    return lib


@pytest.mark.parametrize("body, what", [
    ("for i in range(3):\n        pass", "a for loop"),
    ("while False:\n        pass", "a while loop"),
    ("return [v for v in x]", "a list comprehension"),
    ("return sum(v for v in x)", "a generator expression"),
    ("return {v: 1 for v in x}", "a dict comprehension"),
    ("return list(map(abs, x))", "a call to map()"),
    ("return np.vectorize(abs)(x)", "a call to np.vectorize()"),
    ("return np.apply_along_axis(np.sum, 0, x)", "a call to np.apply_along_axis()"),
    ("return f(x)", "recursion"),
])
def test_each_kind_of_loop_is_found(tmp_path, body, what):
    lib = lib_with(tmp_path, m=f"import numpy as np\n\ndef f(x):\n    {body}\n")
    findings = find_loops(lib, "m", "f")
    assert [f.what for f in findings] == [what]
    assert findings[0].path == "lib/m.py" and findings[0].lineno in (4, 5)


def test_vectorized_numpy_including_ufunc_reduce_is_loop_free(tmp_path):
    lib = lib_with(tmp_path, m="""
        import numpy as np

        def f(x):
            return np.maximum.reduce(x, axis=0) + np.add.reduce(x) + np.einsum('ij->j', x)
        """)
    assert find_loops(lib, "m", "f") == []


def test_loops_in_lib_helpers_count_and_loop_free_helpers_are_fine(tmp_path):
    lib = lib_with(tmp_path, helpers="""
        def looping(x):
            return [v for v in x]

        def clean(x):
            return x * 2
        """, m="""
        from .helpers import looping, clean as tidy
        from . import helpers

        def uses_loop(x):
            return looping(x)

        def uses_module_loop(x):
            return helpers.looping(x)

        def uses_clean(x):
            return tidy(x) + helpers.clean(x)
        """)
    assert [(f.path, f.function) for f in find_loops(lib, "m", "uses_loop")] == [("lib/helpers.py", "looping")]
    assert [f.function for f in find_loops(lib, "m", "uses_module_loop")] == ["looping"]
    assert find_loops(lib, "m", "uses_clean") == []


def test_methods_and_mutual_recursion(tmp_path):
    lib = lib_with(tmp_path, m="""
        class C:
            def a(self, x):
                return self.b(x)

            def b(self, x):
                return self.a(x)

        def even(n):
            return n == 0 or odd(n - 1)

        def odd(n):
            return even(n - 1)
        """)
    assert "recursion" in [f.what for f in find_loops(lib, "m", "C.a")]
    assert "recursion" in [f.what for f in find_loops(lib, "m", "even")]


def test_a_missing_function_is_a_lookup_error(tmp_path):
    lib = lib_with(tmp_path, m="def g():\n    pass\n")
    with pytest.raises(LookupError, match="no function f"):
        find_loops(lib, "m", "f")
