"""The static loop-free judgement used by the vectorized checks."""
import importlib.machinery
import textwrap

import pytest

from autograder.static_loops import find_loops
from conftest import ROOT


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
    ("return sorted(x, key=abs)", "a call to sorted() with a key function"),
    ("return list(filter(None, x))", "a call to filter()"),
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


# -- the function the module really exports ----------------------------------------------------

NAIVE = """
import numpy as np

def naive(x):
    total = 0
    for v in x:
        total += v
    return total
"""


@pytest.mark.parametrize("attack", [
    "_impl = naive\n\ndef fast(x):\n    return _impl(x)\n",
    "def fast(x):\n    return x.sum()\n\nfast = naive\n",
    "def fast(x):\n    return x.sum()\n\nif True:\n    fast = naive\n",
    "def fast(x):\n    return x.sum()\n\ntry:\n    fast = naive\nexcept Exception:\n    pass\n",
    "def fast(x):\n    return x.sum()\n\nfast, other = naive, None\n",
    "def _swap(f):\n    return naive\n\n@_swap\ndef fast(x):\n    return x.sum()\n",
    "import functools\nfast = functools.partial(naive)\n",
    "fast = lambda x: naive(x)\n",
    "def fast(x, _f=naive):\n    return _f(x)\n",
    "def fast(x):\n    return [naive][0](x)\n",
    "class _Fast:\n    def __call__(self, x):\n        return naive(x)\n\nfast = _Fast()\n",
    "def fast(x):\n    return x.sum()\n\ndel fast\n\ndef __getattr__(name):\n    return naive\n",
    "def fast(x):\n    from .m import naive as helper\n    return helper(x)\n",
    "def fast(x):\n    from . import m\n    return getattr(m, 'naive')(x)\n",
    "from lib.m import naive as fast\n",
    "def fast(x):\n    return x.sum()\n\nfor fast in (naive,):\n    pass\n",
])
def test_aliases_rebinding_and_wrappers_are_followed_to_the_loop(tmp_path, attack):
    lib = lib_with(tmp_path, m=NAIVE + "\n" + attack)
    findings = find_loops(lib, "m", "fast")
    assert ("naive", "a for loop") in [(f.function, f.what) for f in findings], findings


def test_an_alias_from_another_lib_module_is_followed(tmp_path):
    lib = lib_with(tmp_path, helpers=NAIVE, m="from .helpers import naive as fast\n")
    assert [(f.path, f.function, f.what) for f in find_loops(lib, "m", "fast")] == \
        [("lib/helpers.py", "naive", "a for loop")]


def test_a_star_import_after_the_definition_may_rebind_it(tmp_path):
    lib = lib_with(tmp_path, helpers=NAIVE + "\nfast = naive\n",
                   m="def fast(x):\n    return x.sum()\n\nfrom .helpers import *\n")
    assert [(f.path, f.function) for f in find_loops(lib, "m", "fast")] == [("lib/helpers.py", "naive")]


def test_a_rebinding_from_another_lib_module_counts(tmp_path):
    lib = lib_with(tmp_path, m=NAIVE + "\ndef fast(x):\n    return x.sum()\n")
    (lib / "__init__.py").write_text("from . import m\nm.fast = m.naive\n")
    findings = find_loops(lib, "m", "fast")
    assert [(f.path, f.kind) for f in findings] == [("lib/__init__.py", "dynamic")]
    assert "an assignment to fast from outside its module" in str(findings[0])


def test_a_global_statement_that_rebinds_the_function_counts(tmp_path):
    lib = lib_with(tmp_path, m=NAIVE + "\ndef fast(x):\n    return x.sum()\n\n"
                               "def _swap():\n    global fast\n    fast = naive\n\n_swap()\n")
    assert "a `global fast` statement" in " ".join(f.what for f in find_loops(lib, "m", "fast"))


@pytest.mark.parametrize("body, what", [
    ("return globals()['na' + 'ive'](x)", "a use of globals()"),
    ("return locals()", "a use of locals()"),
    ("return vars()['x']", "a use of vars()"),
    ("return getattr(np, 'su' + 'm')(x)", "a call to getattr() with a computed name"),
    ("setattr(np, name, x)", "a call to setattr() with a computed name"),
    ("return object.__getattribute__(np, 'sum')(x)", "a use of .__getattribute__"),
    ("return np.__dict__['sum'](x)", "a use of .__dict__"),
    ("return eval('naive')(x)", "a use of eval()"),
    ("exec('for v in x: pass')", "a use of exec()"),
    ("return compile('x', 'f', 'eval')", "a use of compile()"),
    ("return __import__('numpy').sum(x)", "a use of __import__()"),
    ("import importlib\n    return importlib.import_module('lib.m').naive(x)", "a use of importlib.import_module"),
    ("import sys\n    return sys.modules[__name__].naive(x)", "a use of sys.modules"),
    ("import sys as s\n    return s", "the module sys handed around as a value"),
])
def test_dynamic_lookups_are_not_loop_free_and_say_why(tmp_path, body, what):
    lib = lib_with(tmp_path, m=NAIVE + f"\ndef fast(x, name='sum'):\n    {body}\n")
    findings = [f for f in find_loops(lib, "m", "fast") if f.kind == "dynamic"]
    assert what in [f.what for f in findings], findings
    assert findings[0].function == "fast" and "call its helpers by name" in findings[0].why


@pytest.mark.parametrize("code, what", [
    ("import sys\nsys.settrace(None)\n", "a use of sys.settrace"),
    ("import sys\nsys.setprofile(None)\n", "a use of sys.setprofile"),
    ("import threading\nthreading.settrace(None)\n", "a use of threading.settrace"),
    ("import __main__\n", "a use of __main__"),
    ("import gc\n", "a use of gc"),
    ("import ctypes\n", "a use of ctypes"),
    ("import sys\n_frame = sys._getframe(0)\n", "a use of sys._getframe"),
    ("from inspect import currentframe\n", "a use of inspect.currentframe"),
    ("import threading\n_worker = threading.Thread\n", "a use of threading.Thread"),
    ("def _arm():\n    import sys\n    sys.settrace(None)\n\n_arm()\n", "a use of sys.settrace"),
])
def test_module_level_code_that_reaches_the_tracer_fails_the_modules_checks(tmp_path, code, what):
    lib = lib_with(tmp_path, m=code + "\ndef fast(x):\n    return x.sum()\n")
    findings = find_loops(lib, "m", "fast")
    assert what in [f.what for f in findings if f.kind == "tracer"], findings
    assert "traces the calls it grades" in findings[0].why


def test_tracer_access_in_an_imported_helper_module_or_in_lib_init_counts(tmp_path):
    lib = lib_with(tmp_path, helpers="import gc\n\ndef clean(x):\n    return x\n",
                   m="from .helpers import clean\n\ndef fast(x):\n    return clean(x)\n")
    (lib / "__init__.py").write_text("import sys\nsys.setprofile(None)\n")
    assert sorted((f.path, f.what) for f in find_loops(lib, "m", "fast")) == \
        [("lib/__init__.py", "a use of sys.setprofile"), ("lib/helpers.py", "a use of gc")]


def test_a_frame_reached_through_a_traceback_counts(tmp_path):
    lib = lib_with(tmp_path, m="def fast(x):\n    try:\n        raise ValueError\n    except ValueError as e:\n"
                               "        e.__traceback__.tb_frame.f_trace = None\n    return x\n")
    assert {"a use of .tb_frame", "a use of .f_trace"} <= {f.what for f in find_loops(lib, "m", "fast")}


def test_the_module_the_import_system_loads_is_judged_a_package_before_a_module(tmp_path):
    lib = lib_with(tmp_path, m="def fast(x):\n    return x.sum()\n")
    (lib / "m").mkdir()
    (lib / "m" / "__init__.py").write_text(NAIVE + "\nfast = naive\n")
    assert [(f.path, f.function) for f in find_loops(lib, "m", "fast")] == [("lib/m/__init__.py", "naive")]


def test_a_compiled_module_beside_the_source_is_not_judged_from_the_source(tmp_path):
    lib = lib_with(tmp_path, m="def fast(x):\n    return x.sum()\n")
    (lib / f"m{importlib.machinery.EXTENSION_SUFFIXES[0]}").write_bytes(b"\x7fELF")
    findings = find_loops(lib, "m", "fast")
    assert [f.kind for f in findings] == ["source"] and "not from Python source" in findings[0].what


def test_a_folder_without_init_beside_the_module_does_not_shadow_it(tmp_path):
    lib = lib_with(tmp_path, m="def fast(x):\n    return x.sum()\n")
    (lib / "m").mkdir()
    assert find_loops(lib, "m", "fast") == []


def test_honest_code_stays_loop_free(tmp_path):
    lib = lib_with(tmp_path, helpers="import numpy as np\n\ndef clean(x):\n    return np.maximum(x, 0)\n", m="""
        import math
        import sys

        import numpy as np

        from . import helpers
        from .helpers import clean as tidy

        ROWS = [r for r in range(3)]   # computed once, at import
        _fast_impl = tidy

        def fast(x):
            eps = sys.float_info.epsilon
            return _fast_impl(x) + helpers.clean(x) + math.pi * eps + np.asarray(ROWS).sum()

        alias = fast
        """)
    assert find_loops(lib, "m", "fast") == []
    assert find_loops(lib, "m", "alias") == []


@pytest.mark.parametrize("module, function", [
    ("linear_svm", "svm_loss_vectorized"), ("softmax", "softmax_loss_vectorized"),
    *[("layers", f) for f in ("affine_forward", "affine_backward", "relu_forward", "relu_backward", "svm_loss",
                              "softmax_loss")],
])
def test_the_reference_is_loop_free(module, function):
    assert find_loops(ROOT / "solutions", module, function) == []
