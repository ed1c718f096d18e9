"""Is a function loop-free? Judged statically from the student's source, never by timing.

The function judged is the object the module really exports: the module file the import system
would load (a package `lib/x/__init__.py` wins over `lib/x.py`), and in it the LAST module-level
binding of the name (def, assignment, import-as, decorator; a binding inside an `if` or `try`
after the last plain one may win too, so every such candidate is judged). Aliases are followed
to the lib code they name (`x = f`, `from .m import f as x`, `from lib.m import f`).

A function counts as vectorized when neither it nor any lib code it refers to (by name, through
the module's own bindings, lib imports, `self.method` and lib module attributes) contains a
for/while loop, a comprehension, a generator expression, a call that loops in Python (`map`,
`filter`, `np.vectorize`, `np.apply_along_axis`, `np.frompyfunc`, `functools.reduce`), or
recursion. Loop-free helpers are fine.

Code the grader cannot follow by reading fails too: a dynamic look-up (`globals()`, `getattr`
with a computed name, `eval`, `exec`, `importlib`, `sys.modules`, `__dict__`, ...) in the function
or in code it reaches, and lib code that reaches into the worker that traces the graded call
(`sys.settrace`, `gc`, `inspect`, `ctypes`, frames, `import __main__`), whether in the function,
at module level of any lib module its import runs, or anywhere in lib/ where it rebinds the
function from outside its module. Reading source runs none of it.
"""
import ast
import importlib.machinery
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
LOOPING_NAMES = {"map", "filter", "reduce"}
LOOPING_ATTRIBUTES = {"vectorize", "apply_along_axis", "frompyfunc"}
LOOPING_DOTTED = {"functools.reduce", "itertools.starmap", "itertools.accumulate"}
# Calls that call a `key` function once per item.
KEYED_NAMES = {"sorted", "min", "max", "sort"}

BY_NAME = "a vectorized function must call its helpers by name, so the grader can see what runs"
NO_TRACER = ("code in lib/ must not touch tracing, frames or the interpreter's internals, because the grader "
             "traces the calls it grades in the same process")
READABLE = "the grader judges the source it reads, so the module must be plain Python source in lib/"

# Calls that find code by a computed name or run code from a string. getattr, setattr and
# delattr count only with a name that is not a string literal.
DYNAMIC_CALLS = {"globals", "locals", "vars", "eval", "exec", "compile", "__import__"}
NAMED_CALLS = {"getattr", "setattr", "delattr"}
# Attributes that reach code or namespaces without naming them, or a running frame.
DYNAMIC_ATTRIBUTES = {"__dict__", "__getattribute__", "__getattr__", "__globals__", "__builtins__", "__code__",
                      "__closure__", "__subclasses__", "__bases__", "__base__", "__mro__", "__self__", "__func__",
                      "__wrapped__", "__loader__", "__spec__", "__path__", "__traceback__"}
FRAME_ATTRIBUTES = {"f_globals", "f_locals", "f_back", "f_builtins", "f_trace", "f_code", "gi_frame",
                    "cr_frame", "ag_frame", "tb_frame", "tb_next"}
DYNAMIC_NAMES = {"__builtins__", "__path__", "__spec__", "__loader__"}
# Modules (and attributes of modules) that look up or load code by name ...
DYNAMIC_MODULES = {"importlib", "builtins", "runpy", "pkgutil", "code", "codeop"}
DYNAMIC_DOTTED = {"sys.modules", "sys.path", "sys.meta_path", "sys.path_hooks", "sys.path_importer_cache",
                  "operator.attrgetter", "operator.methodcaller", "types.FunctionType", "types.CodeType"}
# ... and those that reach the tracer, the frames or the memory of the worker process, or run
# code in another thread, whose tracer is not the graded call's. (Other processes are the jail's
# business: what they run is lib code the static check follows by name like any other.)
TRACER_MODULES = {"gc", "ctypes", "inspect", "__main__", "trace", "bdb", "pdb", "faulthandler", "_thread",
                  "threading", "concurrent", "signal", "atexit", "weakref", "dis", "marshal"}
TRACER_DOTTED = {"sys.settrace", "sys.setprofile", "sys.gettrace", "sys.getprofile", "sys._getframe",
                 "sys.monitoring", "sys.breakpointhook", "sys.exc_info", "sys.exception", "sys.last_traceback",
                 "sys.call_tracing", "sys.setrecursionlimit", "numpy.ctypeslib"}
TRACER_CALLS = {"breakpoint"}
TRACER_ATTRIBUTES = {"ctypes"}  # an array's .ctypes: raw pointers into memory
# A bare module object handed around hides what is done with it.
SENSITIVE_MODULES = {"sys"} | DYNAMIC_MODULES | TRACER_MODULES

SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)
MODULE_LEVEL = "module-level code"


@dataclass(frozen=True)
class Finding:
    path: str       # e.g. "lib/linear_svm.py"
    function: str   # e.g. "svm_loss_vectorized", or "module-level code"
    lineno: int
    what: str       # e.g. "a for loop"
    kind: str = "loop"   # "loop" (a loop or recursion), "dynamic", "tracer" or "source"

    def __str__(self):
        return f"{self.what} in {self.function} ({self.path} line {self.lineno})"

    @property
    def why(self):
        """Why a finding other than a loop keeps the function from being judged loop-free."""
        return {"dynamic": BY_NAME, "tracer": NO_TRACER, "source": READABLE}.get(self.kind, "")


@dataclass(frozen=True)
class Binding:
    """One module-level (or class-level) binding of a name, as the import would run it.

    kind: "def" (a def or class statement: `node`), "value" (an expression whose value is bound:
    `node`), "lib" (an import of lib code: `symbol`), "external" (an import from outside lib:
    `origin`), "statement" (bound by a statement such as `for`, `with` or unpacking: `node`).
    """
    kind: str
    lineno: int
    conditional: bool
    node: ast.AST = None
    symbol: tuple = None
    origin: str = ""


# The loaders of a normal import, in the order the import system tries them in one folder.
LOADERS = [(importlib.machinery.ExtensionFileLoader, importlib.machinery.EXTENSION_SUFFIXES),
           (importlib.machinery.SourceFileLoader, importlib.machinery.SOURCE_SUFFIXES),
           (importlib.machinery.SourcelessFileLoader, importlib.machinery.BYTECODE_SUFFIXES)]


def _spec(lib_dir, name):
    """The import system's spec of lib.<name> ("pkg.mod" dotted below lib), or None; found
    without running anything."""
    parts = name.split(".")
    return importlib.machinery.FileFinder(str(Path(lib_dir, *parts[:-1])), *LOADERS).find_spec("lib." + name)


class _Module:
    """The module-level bindings of one lib module, read from the file an import would load.

    `name` is dotted below lib ("linear_svm", "pkg.mod"); "" is lib/__init__.py itself.
    """

    def __init__(self, lib_dir, name):
        self.name = name
        self.lib_dir = lib_dir
        self.is_package = name == ""
        self.unreadable = ""
        self.exists = True
        parts = name.split(".") if name else []
        file = Path(lib_dir) / "__init__.py"
        if parts:
            spec = _spec(lib_dir, name)
            file = Path(spec.origin) if spec and spec.origin and spec.has_location else None
            self.is_package = bool(spec and spec.submodule_search_locations is not None)
            if spec is None or file is None:
                self.exists = spec is not None
                file = Path(lib_dir, *parts).with_suffix(".py")
            elif not isinstance(spec.loader, importlib.machinery.SourceFileLoader):
                self.unreadable = (f"lib/{name.replace('.', '/')} is loaded from {file.name}, not from Python "
                                   "source; hand in the .py file only")
        self.path = Path("lib", file.relative_to(lib_dir)).as_posix() if file else f"lib/{name}.py"
        readable = file is not None and file.is_file() and not self.unreadable
        self.tree = ast.parse(file.read_text(), self.path) if readable else ast.Module(body=[], type_ignores=[])
        for node in ast.walk(self.tree):
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
                node.value.gradlab_owner = True  # `sys` in `sys.maxsize` is not the module handed around
        self.bindings = collect_bindings(self, self.tree.body)

    def has_submodule(self, name):
        """Whether lib.<this package>.<name> is a module file of its own (`from . import name`)."""
        dotted = f"{self.name}.{name}" if self.name else name
        return _spec(self.lib_dir, dotted) is not None

    def package_parts(self, level):
        """The lib-relative parts of the package a relative import of `level` starts from, or None
        when it reaches above lib/."""
        parts = self.name.split(".") if self.name else []
        if not self.is_package:
            parts = parts[:-1]
        if level - 1 > len(parts):
            return None
        return parts[:len(parts) - (level - 1)]

    def imported_module(self, node):
        """The lib-relative name of the module an ImportFrom reads ("" for lib itself), or None
        when it is not lib code."""
        if node.level:
            base = self.package_parts(node.level)
            if base is None:
                return None
            return ".".join(base + ([node.module] if node.module else []))
        if node.module == "lib":
            return ""
        if node.module and node.module.startswith("lib."):
            return node.module[len("lib."):]
        return None


def collect_bindings(module, body):
    """{name: [Binding, ...] in source order} of the statements `body` (a module's or a class's),
    looking into if/try/with/loop blocks but not into function or class bodies."""
    bindings = {}

    def add(name, binding):
        bindings.setdefault(name, []).append(binding)

    def visit(statements, conditional):
        for stmt in statements:
            if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                add(stmt.name, Binding("def", stmt.lineno, conditional, node=stmt))
                continue
            if isinstance(stmt, ast.Import):
                for alias in stmt.names:
                    if alias.name == "lib" or alias.name.startswith("lib."):
                        inner = alias.name[len("lib."):] if alias.asname and alias.name != "lib" else ""
                        add(alias.asname or "lib", Binding("lib", stmt.lineno, conditional, symbol=("module", inner)))
                    else:
                        local = alias.asname or alias.name.split(".")[0]
                        add(local, Binding("external", stmt.lineno, conditional,
                                           origin=alias.name if alias.asname else local))
                continue
            if isinstance(stmt, ast.ImportFrom):
                source = module.imported_module(stmt)
                for alias in stmt.names:
                    if alias.name == "*":
                        add("*", Binding("lib" if source is not None else "external", stmt.lineno, conditional,
                                         symbol=("star", source), origin=stmt.module or ""))
                    elif source is not None:
                        submodule = f"{source}.{alias.name}" if source else alias.name
                        symbol = (("module", submodule) if _spec(module.lib_dir, submodule) is not None
                                  else ("member", source, alias.name))
                        add(alias.asname or alias.name, Binding("lib", stmt.lineno, conditional, symbol=symbol))
                    else:
                        add(alias.asname or alias.name, Binding("external", stmt.lineno, conditional,
                                                                origin=f"{stmt.module}.{alias.name}"))
                continue
            targets = stmt.targets if isinstance(stmt, ast.Assign) else [getattr(stmt, "target", None)]
            if (isinstance(stmt, (ast.Assign, ast.AnnAssign)) and stmt.value is not None
                    and all(isinstance(t, ast.Name) for t in targets)):
                for target in targets:
                    add(target.id, Binding("value", stmt.lineno, conditional, node=stmt.value))
                continue
            # Every other statement: the names it binds outside nested scopes (unpacking, walrus,
            # del, augmented assignment; for and with targets, except-as, match captures in the
            # header of a compound statement, whose blocks are visited as conditional).
            blocks = [getattr(stmt, field) for field in ("body", "orelse", "finalbody") if hasattr(stmt, field)]
            blocks += [handler.body for handler in getattr(stmt, "handlers", [])]
            blocks += [case.body for case in getattr(stmt, "cases", [])]
            inside = {id(s) for block in blocks for s in block}
            for child in _outside_scopes(stmt, skip=inside):
                name = None
                if isinstance(child, ast.Name) and isinstance(child.ctx, (ast.Store, ast.Del)):
                    name = child.id
                elif isinstance(child, (ast.ExceptHandler, ast.MatchAs, ast.MatchStar)):
                    name = child.name
                if name:
                    add(name, Binding("statement", stmt.lineno, conditional or bool(blocks), node=stmt))
            for block in blocks:
                visit(block, True)

    visit(body, False)
    return bindings


def candidates(bindings, name):
    """The bindings of `name` that may be the one in force once the body has run: the last
    unconditional one and every conditional one after it, and any star import."""
    found = bindings.get(name, [])
    last_plain = max((i for i, b in enumerate(found) if not b.conditional), default=0)
    return found[last_plain:] + bindings.get("*", []) if name != "*" else []


def _outside_scopes(node, skip=frozenset()):
    """`node` and its descendants, without descending into function, lambda or class bodies nor
    into the statements whose id() is in `skip`."""
    yield node
    for child in ast.iter_child_nodes(node):
        if not isinstance(child, SCOPES) and id(child) not in skip:
            yield from _outside_scopes(child, skip)


class LoopFinder:
    def __init__(self, lib_dir):
        self.lib_dir = Path(lib_dir)
        self._modules = {}

    def module(self, name):
        if name not in self._modules:
            self._modules[name] = _Module(self.lib_dir, name)
        return self._modules[name]

    def find(self, module, function):
        """Findings for lib/<module>.py's `function` ('f' or 'Class.method') and the code it reaches.

        Raises LookupError when the function does not exist.
        """
        mod = self.module(module)
        if mod.unreadable:
            return [Finding(mod.path, function, 1, mod.unreadable, "source")]
        targets = self.member_bindings(module, function)
        if not targets:
            raise LookupError(f"{mod.path} has no function {function}")
        run = _Run(self, count_loops=True)
        for owner, binding in targets:
            run.visit_binding(owner, function, binding, stack=())
        for name in sorted(self._import_closure(module)):
            _Run(self, count_loops=False, findings=run.findings).visit_module_level(self.module(name))
        self._find_patches(module, function, run.findings)
        return run.findings

    def member_bindings(self, module, name):
        """[(module, Binding)] of the candidates that lib.<module>'s `name` ('f' or 'Class.method')
        may be bound to once the module has run (a module `__getattr__` answers for any name)."""
        mod = self.module(module)
        owner_name, _, method = name.rpartition(".")
        if not owner_name:
            found = candidates(mod.bindings, name)
            # A module's __getattr__ answers for a name the module does not bind (or deletes).
            if not found or any(b.kind == "statement" for b in found):
                found += candidates(mod.bindings, "__getattr__")
            return [(mod, b) for b in found]
        found = []
        for owner in candidates(mod.bindings, owner_name):
            if owner.kind == "def" and isinstance(owner.node, ast.ClassDef):
                found += [(mod, b) for b in candidates(collect_bindings(mod, owner.node.body), method)]
        return found

    def _import_closure(self, module):
        """The lib modules an import of lib.<module> runs: lib itself, the module, its packages,
        and every lib module any of them imports (wherever the import statement is)."""
        todo, seen = ["", module], set()
        while todo:
            name = todo.pop()
            if name in seen or not self.module(name).exists:
                continue
            seen.add(name)
            mod = self.module(name)
            if name:
                todo.append(".".join(name.split(".")[:-1]))
            for node in ast.walk(mod.tree):
                if isinstance(node, ast.ImportFrom) and mod.imported_module(node) is not None:
                    source = mod.imported_module(node)
                    todo.append(source)
                    todo += [f"{source}.{a.name}" if source else a.name for a in node.names
                             if a.name != "*" and _spec(self.lib_dir, f"{source}.{a.name}" if source else a.name)]
                elif isinstance(node, ast.Import):
                    todo += [a.name[len("lib."):] for a in node.names if a.name.startswith("lib.")]
        return seen

    def _find_patches(self, module, function, findings):
        """Findings for code anywhere in lib/ that rebinds `function` of lib.<module> from outside
        (`linear_svm.f = ...`, `setattr(linear_svm, "f", ...)`) or with a `global` statement."""
        owner_name, _, name = function.rpartition(".")
        owner = ("member", module, owner_name) if owner_name else ("module", module)
        for file in sorted(self.lib_dir.rglob("*.py")):
            relative = file.relative_to(self.lib_dir).with_suffix("")
            parts = list(relative.parts[:-1]) if relative.name == "__init__" else list(relative.parts)
            try:
                mod = self.module(".".join(parts))
            except (SyntaxError, ValueError):
                continue  # a file that does not parse runs nothing (importing it fails)
            if mod.path != Path("lib", file.relative_to(self.lib_dir)).as_posix():
                continue  # a file the import system does not load (shadowed by a package)
            run = _Run(self, count_loops=False)
            where = {}  # node -> the innermost function it is in (outer functions come first in the walk)
            for scope in ast.walk(mod.tree):
                if isinstance(scope, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    where.update((node, scope.name) for node in ast.walk(scope))
            for node in ast.walk(mod.tree):
                label = where.get(node, MODULE_LEVEL)
                if (isinstance(node, ast.Attribute) and isinstance(node.ctx, (ast.Store, ast.Del))
                        and node.attr == name and run.resolve(mod, node.value, {}) == owner):
                    findings.append(Finding(mod.path, label, node.lineno,
                                            f"an assignment to {function} from outside its module", "dynamic"))
                elif (isinstance(node, ast.Call) and _dotted(node.func) in ("setattr", "delattr") and node.args
                      and run.resolve(mod, node.args[0], {}) == owner):
                    findings.append(Finding(mod.path, label, node.lineno,
                                            f"a call to {_dotted(node.func)}() on lib.{module}", "dynamic"))
                elif isinstance(node, ast.Global) and mod.name == module and not owner_name and name in node.names:
                    findings.append(Finding(mod.path, label, node.lineno,
                                            f"a `global {name}` statement, which rebinds it from inside a function",
                                            "dynamic"))


class _Run:
    """One judgement: visits bindings and the code they reach, collecting findings.

    With `count_loops`, loops and recursion count (the function judged and everything it refers
    to); without, only dynamic look-ups and tracer access do (code run once, at import).
    """

    def __init__(self, finder, count_loops, findings=None):
        self.finder = finder
        self.count_loops = count_loops
        self.findings = [] if findings is None else findings
        self.done = set()

    def add(self, mod, label, node, what, kind):
        finding = Finding(mod.path, label, getattr(node, "lineno", 1), what, kind)
        if finding not in self.findings:
            self.findings.append(finding)

    # -- bindings and symbols -------------------------------------------------------------
    def visit_binding(self, mod, label, binding, stack):
        key = (mod.name, label, binding.lineno, binding.kind)
        if key in self.done:
            return
        self.done.add(key)
        stack = stack + ((mod.name, label),)
        if binding.kind == "lib":
            symbol = binding.symbol
            self.visit_symbol(("member", symbol[1], label) if symbol[0] == "star" else symbol, stack, mod, binding)
        elif binding.kind == "def" and isinstance(binding.node, ast.ClassDef) and not self.count_loops:
            # At import a class statement runs its body, but not the bodies of its methods.
            self.scan(mod, label, binding.node, stack, loops=False, method_bodies=False)
        elif binding.kind == "def":
            self.scan(mod, label, binding.node, stack, loops=self.count_loops)
        elif binding.kind == "value":
            # The expression runs once, at import: only the functions in it (lambdas) run per call.
            self.scan(mod, label, binding.node, stack, loops=False)
        elif binding.kind == "statement":
            self.scan(mod, label, binding.node, stack, loops=self.count_loops)

    def visit_symbol(self, symbol, stack, mod, node):
        """Visit the candidate bindings of a module member ("member", module, name); a module
        itself holds no code to judge here (its module-level code is judged on its own)."""
        if symbol is None or symbol[0] != "member":
            return
        _, module, name = symbol
        if (module, name) in stack:
            if self.count_loops:
                self.add(mod, stack[-1][1], node, "recursion", "loop")
            return
        for other, binding in self.finder.member_bindings(module, name):
            self.visit_binding(other, name, binding, stack)

    def visit_module_level(self, mod):
        """Dynamic look-ups and tracer access in the code that runs when `mod` is imported."""
        for stmt in mod.tree.body:
            self.scan(mod, MODULE_LEVEL, stmt, stack=(), loops=False, method_bodies=False)

    # -- resolution -----------------------------------------------------------------------
    def resolve(self, mod, node, local, label=""):
        """("member", module, name), ("module", module), ("external", dotted) or None for an
        expression that names something. `local` maps names imported inside the code scanned;
        `label` 'Class.method' lets `self.other` name the class's method."""
        if isinstance(node, ast.Name):
            binding = local.get(node.id)
            if binding is None:
                found = candidates(mod.bindings, node.id)
                plain = [b for b in found if b.symbol is None or b.symbol[0] != "star"]
                binding = (plain or found or [None])[-1]
            if binding is None:
                # Builtins that run or find code by name; any other unbound name is a local.
                return ("external", node.id) if node.id in DYNAMIC_CALLS | TRACER_CALLS else None
            if binding.kind == "external":
                if binding.symbol:  # from numpy import *
                    return ("external", f"{binding.origin}.{node.id}")
                return ("external", binding.origin)
            if binding.kind == "lib":
                kind, *rest = binding.symbol
                if kind == "module":
                    return binding.symbol
                return self._member(rest[0], rest[1] if kind == "member" else node.id)
            return ("member", mod.name, node.id)
        if isinstance(node, ast.Attribute):
            if isinstance(node.value, ast.Name) and node.value.id == "self" and "." in label:
                method = f"{label.split('.')[0]}.{node.attr}"
                if self.finder.member_bindings(mod.name, method):
                    return ("member", mod.name, method)
            owner = self.resolve(mod, node.value, local)
            if owner is None:
                return None
            if owner[0] == "external":
                return ("external", f"{owner[1]}.{node.attr}")
            if owner[0] == "module":
                return self._member(owner[1], node.attr)
        return None

    def _member(self, module, name):
        """What `name` of lib.<module> is: a submodule, an import it re-exports, or its own binding."""
        other = self.finder.module(module)
        found = candidates(other.bindings, name)
        if found and found[-1].kind == "lib" and found[-1].symbol[0] == "module":
            return found[-1].symbol
        if found and found[-1].kind == "external" and not found[-1].symbol:
            return ("external", found[-1].origin)
        if not found and other.has_submodule(name):
            return ("module", f"{module}.{name}" if module else name)
        return ("member", module, name)

    # -- scanning code --------------------------------------------------------------------
    def scan(self, mod, label, root, stack, loops, method_bodies=True):
        """Walk `root`, recording findings and visiting the lib code it names. Loops count when
        `loops`, and, when this run counts loops at all, inside every lambda and nested function.
        Without `method_bodies`, the bodies of functions defined in `root` are left out (code
        that only defines them)."""
        local = self._local_imports(mod, root)
        pending = [(root, loops)]
        while pending:
            node, counting = pending.pop()
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and not method_bodies:
                pending += [(n, counting) for n in node.decorator_list + node.args.defaults + node.args.kw_defaults
                            if n is not None]
                continue
            self._check(mod, label, node, stack, counting, local)
            for child in ast.iter_child_nodes(node):
                inner = counting or (self.count_loops and isinstance(child, SCOPES[:3]))
                pending.append((child, inner))

    def _local_imports(self, mod, root):
        """Bindings of the import statements inside `root` (a function importing its helpers)."""
        if not isinstance(root, SCOPES):
            return {}
        found = collect_bindings(mod, [n for n in ast.walk(root) if isinstance(n, (ast.Import, ast.ImportFrom))])
        return {name: bindings[-1] for name, bindings in found.items()}

    def _check(self, mod, label, node, stack, counting, local):
        if counting and type(node) in LOOP_NODES:
            self.add(mod, label, node, LOOP_NODES[type(node)], "loop")
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            self._check_import(mod, label, node, stack)
        elif isinstance(node, ast.Call):
            self._check_call(mod, label, node, stack, counting, local)
        elif isinstance(node, ast.Attribute) and node.attr in DYNAMIC_ATTRIBUTES:
            self.add(mod, label, node, f"a use of .{node.attr}", "dynamic")
        elif isinstance(node, ast.Attribute) and (node.attr in FRAME_ATTRIBUTES or node.attr in TRACER_ATTRIBUTES):
            self.add(mod, label, node, f"a use of .{node.attr}", "tracer")
        elif isinstance(node, ast.Name) and node.id in DYNAMIC_NAMES:
            self.add(mod, label, node, f"a use of {node.id}", "dynamic")
        if isinstance(node, (ast.Name, ast.Attribute)) and isinstance(node.ctx, ast.Load):
            symbol = self.resolve(mod, node, local, label)
            if symbol and symbol[0] == "external":
                self._check_dotted(mod, label, node, symbol[1])
            elif symbol:
                self.visit_symbol(symbol, stack, mod, node)

    def _check_dotted(self, mod, label, node, dotted):
        if _is_attribute_owner(node):
            return  # `importlib` of `importlib.import_module`: the whole attribute is judged
        root = dotted.split(".")[0]
        shown = f"{dotted}()" if dotted in DYNAMIC_CALLS | TRACER_CALLS else dotted
        if dotted in TRACER_DOTTED or root in TRACER_MODULES or dotted in TRACER_CALLS:
            self.add(mod, label, node, f"a use of {shown}", "tracer")
        elif dotted in DYNAMIC_DOTTED or root in DYNAMIC_MODULES or dotted in DYNAMIC_CALLS:
            self.add(mod, label, node, f"a use of {shown}", "dynamic")
        elif dotted in SENSITIVE_MODULES and isinstance(node, ast.Name):
            self.add(mod, label, node, f"the module {dotted} handed around as a value", "dynamic")

    def _check_import(self, mod, label, node, stack):
        source = mod.imported_module(node) if isinstance(node, ast.ImportFrom) else None
        if source is not None:
            for alias in node.names:
                if alias.name != "*":
                    self.visit_symbol(self._member(source, alias.name), stack, mod, node)
            return
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        else:
            names = [node.module or ""] + [f"{node.module}.{a.name}" for a in node.names]
        for dotted in names:
            if not (dotted == "lib" or dotted.startswith("lib.")):
                self._check_dotted(mod, label, node, dotted)

    def _check_call(self, mod, label, node, stack, counting, local):
        name = _dotted(node.func)
        looping = _looping_call(node.func)
        if looping and self.count_loops:
            self.add(mod, label, node, f"a call to {looping}()", "loop")
        keyed = name.split(".")[-1] in KEYED_NAMES and any(
            k.arg == "key" and not (isinstance(k.value, ast.Constant) and k.value.value is None) for k in node.keywords)
        if keyed and self.count_loops:
            self.add(mod, label, node, f"a call to {name.split('.')[-1]}() with a key function", "loop")
        if name in NAMED_CALLS:
            literal = (len(node.args) >= 2 and isinstance(node.args[1], ast.Constant)
                       and isinstance(node.args[1].value, str))
            if not literal:
                self.add(mod, label, node, f"a call to {name}() with a computed name", "dynamic")
            else:  # getattr(x, "f") is x.f
                self._check(mod, label, ast.Attribute(value=node.args[0], attr=node.args[1].value, ctx=ast.Load(),
                                                      lineno=node.lineno, col_offset=node.col_offset),
                            stack, counting, local)


def _is_attribute_owner(node):
    """Whether the name `node` is used as `node.attr` (marked when its module was parsed)."""
    return getattr(node, "gradlab_owner", False)


def _dotted(func):
    """'np.vectorize' for an attribute chain of names, 'map' for a name, else ''."""
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        owner = _dotted(func.value)
        return f"{owner}.{func.attr}" if owner else ""
    return ""


def _looping_call(func):
    """The name of a Python-looping callee ('map', 'np.vectorize'), or None."""
    if isinstance(func, ast.Name) and func.id in LOOPING_NAMES:
        return func.id
    if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
        dotted = f"{func.value.id}.{func.attr}"
        if func.attr in LOOPING_ATTRIBUTES or dotted in LOOPING_DOTTED:
            return dotted
    return None


def find_loops(lib_dir, module, function):
    """Convenience: LoopFinder(lib_dir).find(module, function)."""
    return LoopFinder(lib_dir).find(module, function)
