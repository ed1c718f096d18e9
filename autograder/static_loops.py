"""Is a function loop-free? Judged statically from the student's source, never by timing.

A function counts as vectorized when neither it nor any `lib` function it calls (followed
through the module's own definitions, `from .module import f` and `from . import module`)
contains a for/while loop, a comprehension, a generator expression, a call that loops in
Python (`map`, `np.vectorize`, `np.apply_along_axis`, `np.frompyfunc`, `functools.reduce`),
or recursion. Loop-free helpers are fine. Reading source runs none of it.
"""
import ast
from dataclasses import dataclass
from pathlib import Path

LOOP_NODES = {
    ast.For: "a for loop", ast.AsyncFor: "a for loop", ast.While: "a while loop",
    ast.ListComp: "a list comprehension", ast.SetComp: "a set comprehension",
    ast.DictComp: "a dict comprehension", ast.GeneratorExp: "a generator expression",
}
# Bare names and attribute names (np.vectorize, numpy.vectorize) of calls that loop in Python.
# `np.add.reduce` is a ufunc method, not functools.reduce, so `reduce` only counts bare or as
# `functools.reduce`.
LOOPING_NAMES = {"map", "reduce"}
LOOPING_ATTRIBUTES = {"vectorize", "apply_along_axis", "frompyfunc"}


@dataclass(frozen=True)
class Finding:
    path: str       # e.g. "lib/linear_svm.py"
    function: str   # e.g. "svm_loss_vectorized"
    lineno: int
    what: str       # e.g. "a for loop"

    def __str__(self):
        return f"{self.what} in {self.function} ({self.path} line {self.lineno})"


class _Module:
    """The definitions and lib imports of one lib module."""

    def __init__(self, lib_dir, name):
        self.name = name
        self.path = f"lib/{name}.py"
        file = Path(lib_dir) / f"{name}.py"
        self.tree = ast.parse(file.read_text(), self.path) if file.is_file() else ast.Module(body=[])
        self.functions, self.imported, self.module_aliases = {}, {}, {}
        for node in self.tree.body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                self.functions[node.name] = node
            elif isinstance(node, ast.ClassDef):
                for item in node.body:
                    if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)):
                        self.functions[f"{node.name}.{item.name}"] = item
            elif isinstance(node, ast.ImportFrom) and node.level == 1:
                for alias in node.names:
                    local = alias.asname or alias.name
                    if node.module:  # from .x import f
                        self.imported[local] = (node.module, alias.name)
                    else:            # from . import x
                        self.module_aliases[local] = alias.name


class LoopFinder:
    def __init__(self, lib_dir):
        self.lib_dir = Path(lib_dir)
        self._modules = {}

    def module(self, name):
        if name not in self._modules:
            self._modules[name] = _Module(self.lib_dir, name)
        return self._modules[name]

    def find(self, module, function):
        """Findings for lib/<module>.py's `function` ('f' or 'Class.method') and its helpers.

        Raises LookupError when the function does not exist.
        """
        if function not in self.module(module).functions:
            raise LookupError(f"lib/{module}.py has no function {function}")
        findings = []
        self._visit(module, function, stack=[], done=set(), findings=findings)
        return findings

    def _visit(self, module, function, stack, done, findings):
        key = (module, function)
        mod = self.module(module)
        node = mod.functions[function]
        if key in done:
            return
        done.add(key)
        for child in ast.walk(node):
            kind = LOOP_NODES.get(type(child))
            if kind:
                findings.append(Finding(mod.path, function, child.lineno, kind))
            elif isinstance(child, ast.Call):
                name = _looping_call(child.func)
                if name:
                    findings.append(Finding(mod.path, function, child.lineno, f"a call to {name}()"))
                target = self._resolve(mod, function, child.func)
                if target in stack + [key]:
                    findings.append(Finding(mod.path, function, child.lineno, "recursion"))
                elif target:
                    self._visit(*target, stack + [key], done, findings)

    def _resolve(self, mod, function, func):
        """(module, function) of a call to another lib function, or None."""
        if isinstance(func, ast.Name):
            if func.id in mod.functions:
                return mod.name, func.id
            if func.id in mod.imported:
                other, name = mod.imported[func.id]
                if name in self.module(other).functions:
                    return other, name
        elif isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
            owner = func.value.id
            if owner == "self" and "." in function:
                method = f"{function.split('.')[0]}.{func.attr}"
                if method in mod.functions:
                    return mod.name, method
            elif owner in mod.module_aliases:
                other = mod.module_aliases[owner]
                if func.attr in self.module(other).functions:
                    return other, func.attr
        return None


def _looping_call(func):
    """The name of a Python-looping callee ('map', 'np.vectorize'), or None."""
    if isinstance(func, ast.Name) and func.id in LOOPING_NAMES:
        return func.id
    if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
        dotted = f"{func.value.id}.{func.attr}"
        if func.attr in LOOPING_ATTRIBUTES or dotted == "functools.reduce":
            return dotted
    return None


def find_loops(lib_dir, module, function):
    """Convenience: LoopFinder(lib_dir).find(module, function)."""
    return LoopFinder(lib_dir).find(module, function)
