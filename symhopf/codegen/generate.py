"""Render, write, cache and load the generated prover module of a model.

Stages (each runs its prerequisites): derive (SymPy) -> render (jinja2 +
printers) -> write (``generated/`` or the cache) -> load (importlib). The
cache is keyed by the model's structure hash (formulas + symhopf version), so
every net of one architecture and activation shares one module: the weights
are data passed in at run time.
"""
from __future__ import annotations

import ast
import hashlib
import importlib.util
import json
import os
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from types import ModuleType

import jinja2
from markupsafe import Markup
import sympy as sp
from sympy.matrices.expressions import Identity, MatrixSymbol, OneMatrix, ZeroMatrix

from .. import __version__
from ..calculus import Precomputed
from ..derive import Derivation, N, derive
from ..errors import InputError
from ..model import Z, Model
from .printers import (ArbPrinter, FloatPrinter, act_function, print_entries, print_matrix_expr,
                       print_scalar_function, value_form)


class Code(Markup):
    """Python source symhopf wrote itself (identifiers, printed formulas): the only text, with
    ints, that the code templates insert as is. User text goes in through ``pystr`` or ``doc``.

    (A ``Markup`` so that jinja2's autoescaping leaves it and macro output alone; any plain
    string that reached the escaper would have been refused by ``_only_code`` first. Build Code
    with f-strings or ``str`` methods: Markup's ``+`` HTML-escapes a plain operand.)"""


def py_escape(text: str) -> Code:
    """``text`` as the body of a double-quoted (or triple-double-quoted) Python string literal:
    printable ASCII stays, backslash and double quote are escaped, anything else is ``\\x..``,
    ``\\u....`` or ``\\U........``, so the literal can neither end early nor span lines."""
    out = []
    for c in str(text):
        if c in '\\"':
            out.append("\\" + c)
        elif " " <= c <= "~":
            out.append(c)
        else:
            code = ord(c)
            out.append(f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}")
    return Code("".join(out))


def py_str(text: str) -> Code:
    """A Python string literal whose value is ``text``."""
    return Code(f'"{py_escape(text)}"')


def _only_code(value: object) -> object:
    """jinja2 ``finalize``: a template may print Code, macro output and ints, nothing else (no
    raw user text)."""
    if isinstance(value, Markup) or type(value) is int:
        return value
    raise TypeError(f"code template prints a raw {type(value).__name__} ({str(value)[:40]!r}): "
                    "use the pystr or doc filter, or build it as Code")


@dataclass
class Function:
    """One generated function or method: name, arguments, body lines (Code), docstring text."""

    name: Code
    args: list[str]
    lines: list[str]
    doc: str = ""

    def __post_init__(self) -> None:
        self.name = Code(self.name)
        self.lines = [Code(line) for line in self.lines]

    @property
    def signature(self) -> Code:
        return Code(", ".join(["self", *self.args]))

    @property
    def params(self) -> Code:
        """The arguments of a module-level function (no ``self``)."""
        return Code(", ".join(self.args))


@dataclass
class Data:
    """One named array or scalar of the model, as the generated constructor reads it."""

    attr: Code      # attribute: d_<name> (never an internal name such as B, f, n)
    key: Code       # the data dict's key, as a Python string literal (py_str)
    scalar: bool

    def __post_init__(self) -> None:
        self.attr, self.key = Code(self.attr), py_str(self.key)


@dataclass
class Size:
    """A size symbol (n, m1, ...) read from one axis of one data array."""

    attr: Code
    data: Code      # attribute of the array
    axis: int

    def __post_init__(self) -> None:
        self.attr, self.data = Code(self.attr), Code(self.data)


@dataclass
class Fixed:
    """An identity or ones matrix of the formula, built once from the sizes."""

    attr: Code
    kind: str       # "eye" or "ones" (compared in the template, never printed)
    rows: Code
    cols: Code

    def __post_init__(self) -> None:
        self.attr, self.rows, self.cols = Code(self.attr), Code(self.rows), Code(self.cols)


def templates_dir() -> Path:
    """``templates/`` in a source checkout, ``symhopf/templates`` in a wheel."""
    packaged = Path(__file__).resolve().parent.parent / "templates"
    return packaged if packaged.is_dir() else Path(__file__).resolve().parents[2] / "templates"


@lru_cache(maxsize=None)
def environment() -> jinja2.Environment:
    """The one strict jinja2 environment for code templates: every printed value is Code or
    an int (``finalize``), user text reaches the source only through ``pystr`` and ``doc``."""
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(templates_dir())),
                             undefined=jinja2.StrictUndefined, trim_blocks=True, finalize=_only_code,
                             lstrip_blocks=True, keep_trailing_newline=True, autoescape=True)
    env.filters.update(pystr=py_str, doc=py_escape)
    return env


def module_name(model: Model) -> str:
    """A readable module name: architecture and activation for nets, the model name for ODEs."""
    if model.kind == "ode" or model.architecture is None:
        slug = re.sub(r"[^A-Za-z0-9]+", "_", model.name).strip("_").lower()[:60] or model.kind
        return slug if slug[0].isalpha() else model.kind + "_" + slug
    arch = model.architecture
    act = model.activation_text if model.activation_text.isidentifier() else \
        "act_" + hashlib.sha256(sp.srepr(model.activation).encode()).hexdigest()[:8]
    layers = str(model.layers) if arch.layered else ""
    direction = "" if all(model.direction_is_identity(s) for s in arch.suffixes(model.layers)) else "_dir"
    return f"{arch.name}{layers}_{act}{direction}".lower()


def render(model: Model, derivation: Derivation | None = None) -> str:
    """The source of the generated module for ``model``."""
    d = derivation or derive(model)
    ctx = _rnn_context(d) if model.kind == "rnn" else _ode_context(d)
    template = f"{model.kind}.py.jinja"
    ctx.update(version=__version__, template=template, module_name=module_name(model),
               structure_hash=model.structure_hash(__version__))
    source = environment().get_template(template).render(**ctx)
    ast.parse(source)   # a template or printer bug shows here, not when the module is imported
    return source


def generate(model: Model, out_dir: str | Path = "generated") -> Path:
    """Write the generated module into ``out_dir``; returns its path."""
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise InputError(f"--out {out}: is a file, not a directory")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"--out {out}: cannot create the directory ({exc.strerror})") from None
    path = out / f"{module_name(model)}.py"
    path.write_text(render(model), encoding="utf-8")
    return path


def cache_dir() -> Path:
    return Path(os.environ.get("SYMHOPF_CACHE", Path.home() / ".cache" / "symhopf"))


_LOADED: dict[str, ModuleType] = {}


@lru_cache(maxsize=None)
def generator_fingerprint() -> str:
    """Digest of everything that shapes generated code (templates, derivation, printers)."""
    root = Path(__file__).resolve().parent.parent
    sources = sorted(templates_dir().glob("*.jinja")) + [root / "calculus.py", root / "derive.py",
                                                          *sorted((root / "codegen").glob("*.py"))]
    digest = hashlib.sha256(__version__.encode())
    for path in sources:
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def source_key(model: Model) -> str:
    """Digest of everything the generated source depends on: the structure (formulas, symhopf
    version) and the user's text it shows (name, names, formulas as written, activation)."""
    shown = [model.name, model.parameter, model.variables, model.rhs_text,
             [f"{k}={v}" for k, v in model.constants.items()], model.activation_text, module_name(model)]
    text = model.structure_hash(__version__) + "\n" + json.dumps(shown)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def load_module(model: Model) -> ModuleType:
    """The generated module for ``model``: from this process, the cache, or freshly generated.

    The cache is keyed by :func:`source_key` and the generator's fingerprint, so neither
    another model's text nor a changed template or printer is ever served.
    """
    key, structure = source_key(model), model.structure_hash(__version__)
    if key in _LOADED:
        return _LOADED[key]
    path = cache_dir() / f"{key}-{generator_fingerprint()}" / f"{module_name(model)}.py"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(render(model), encoding="utf-8")
        tmp.replace(path)
    module = load_file(path, f"symhopf_generated_{key}")
    if getattr(module, "STRUCTURE_HASH", None) != structure:
        raise RuntimeError(f"cached module {path} does not match structure {structure}")
    _LOADED[key] = module
    return module


def load_file(path: Path, name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# ---------------------------------------------------------------- contexts
METHODS = [("_f", ["x", "a"], "f", "f(x, a)"),
           ("_Df_apply", ["x", "a", "u"], "Df", "D_x f(x, a) u"),
           ("_f_a", ["x", "a"], "f_a", "d f / d a at (x, a)"),
           ("_Df_a_apply", ["x", "a", "u"], "Df_a", "(d/da D_x f(x, a)) u"),
           ("_B", ["x", "a", "u", "v"], "B", "B(u, v) = D_x^2 f(x, a)[u, v]"),
           ("_C", ["x", "a", "u", "v", "w"], "C", "C(u, v, w) = D_x^3 f(x, a)[u, v, w]"),
           ("_f_aa", ["x", "a"], "f_aa", "d^2 f / d a^2 at (x, a)"),
           ("_Df_aa_apply", ["x", "a", "u"], "Df_aa", "(d^2/da^2 D_x f(x, a)) u"),
           ("_B_a", ["x", "a", "u", "v"], "B_a", "d/da B(u, v)")]


def _size_code(dim: sp.Basic) -> str:
    return "1" if dim == 1 else "self.n" if dim == N else f"self.size_{dim}"


def _fixed_matrices(e: sp.Basic) -> set[sp.Basic]:
    """The identities and matrices of ones ``e`` computes with (a zero term is 0 times ones; not
    those inside the definition of a Precomputed matrix, which is data)."""
    out, walk = set(), sp.preorder_traversal(e)
    if isinstance(e, ZeroMatrix):       # a zero formula is printed as 0 * (an argument)
        return out
    for t in walk:
        if isinstance(t, Precomputed):
            walk.skip()
        elif isinstance(t, (Identity, OneMatrix)):
            out.add(t)
        elif isinstance(t, ZeroMatrix):     # printed as 0 * ones
            out.add(OneMatrix(*t.shape))
    return out


def _rnn_context(d: Derivation) -> dict:
    model, vf = d.model, d.model.formula
    data = [Data(f"d_{name}", name, not isinstance(sym, MatrixSymbol)) for name, sym in vf.data.items()]
    names: dict[sp.Basic, str] = {d.parameter: "a", **{d.symbols[k]: k for k in "xuvw"}}
    names.update({sym: f"self.d_{name}" for name, sym in vf.data.items()})
    for k, (name, sym) in enumerate(vf.precomputed.items()):   # read by name: "(R1 - R1.T + R2)"
        data.append(Data(f"pre_{k}", name, False))
        names[sym] = f"self.pre_{k}"
    sizes = [Size("n" if dim == N else f"size_{dim}", f"d_{name}", axis)
             for dim, (name, axis, _) in vf.dims.items()]
    fixed: list[Fixed] = [Fixed("eye_n", "eye", "self.n", "self.n")]
    names[Identity(N)] = "self.eye_n"
    for f in d.formulas:
        for m in sorted(_fixed_matrices(f.expr), key=sp.default_sort_key):
            if m not in names:
                rows, cols = (str(s) for s in m.shape)
                if isinstance(m, Identity):
                    fixed.append(Fixed(f"eye_{rows}", "eye", _size_code(m.shape[0]), _size_code(m.shape[0])))
                else:
                    fixed.append(Fixed(f"ones_{rows}" if cols == "1" else f"ones_{rows}_{cols}", "ones",
                                       _size_code(m.shape[0]), _size_code(m.shape[1])))
                names[m] = "self." + fixed[-1].attr
    methods = {}
    directions = {d.symbols[k] for k in "uvw"}
    y = sp.Symbol("y")
    forms = {(name, k): form for name, derivs in d.functions.items() for k, expr in enumerate(derivs) if k
             for form in [value_form(derivs[0], expr, Z, y)] if form is not None}
    arb = ArbPrinter(directions=directions, value_forms=set(forms))
    for printer, key in ((arb, "ball_methods"), (FloatPrinter(), "float_methods")):
        methods[key] = [Function(name, args, print_matrix_expr(printer, d[formula], names, args[-1] if args[-1] != "a" else "x"), doc)
                        for name, args, formula, doc in METHODS]
    scalars = {}
    for printer, prefix in ((ArbPrinter(), "ball"), (FloatPrinter(), "float")):
        scalars[f"{prefix}_scalars"] = [
            Function(f"{prefix}_{act_function(name, k)}", ["z"], print_scalar_function(printer, expr, Z),
                     f"{name}{chr(39) * k}(z) = {sp.sstr(expr)}")
            for name, derivs in d.functions.items() for k, expr in enumerate(derivs)]
    scalars["ball_value_scalars"] = [
        Function(f"ball_{act_function(name, k)}_y", ["y"], print_scalar_function(ArbPrinter(), form, y, "y"),
                 f"{name}{chr(39) * k}(z) = {sp.sstr(form)} with y = {name}(z)")
        for (name, k), form in forms.items()]
    if model.architecture is not None:
        title = f"Prover for the {model.architecture.name} RNN family"
        description = [f"Architecture: {model.architecture.summary}",
                       f"Activation: s(z) = {sp.sstr(model.activation)}", ""]
    else:
        title = "Prover for an RNN given by a vector formula"
        description = [f"Elementwise {name}(z) = {sp.sstr(g)}" for name, g in vf.functions.items()] + [""]
    description += [f"{f.name} = {f.text()}" for f in d.formulas]
    return dict(title=title, description=description, data=data, sizes=sizes, fixed=fixed,
                **methods, **scalars)


def _ode_context(d: Derivation) -> dict:
    model, syms = d.model, d.symbols
    n = model.n
    xs, us, vs = syms["x"], syms["u"], syms["v"]
    base = {d.parameter: "a", **{s: f"x{i}" for i, s in enumerate(xs)}}
    base.update({s: f"u{i}" for i, s in enumerate(us)})
    base.update({s: f"v{i}" for i, s in enumerate(vs)})
    plan = [("_f", ["x", "a"], "f", None, ["x"]),
            ("_Df_apply", ["x", "a", "u"], "Df", "u", ["x"]),
            ("_f_a", ["x", "a"], "f_a", None, ["x"]),
            ("_Df_a_apply", ["x", "a", "u"], "Df_a", "u", ["x"]),
            ("_B", ["x", "a", "u", "v"], "B_u", "v", ["x", "u"]),
            ("_C", ["x", "a", "u", "v", "w"], "C_uv", "w", ["x", "u", "v"]),
            ("_f_aa", ["x", "a"], "f_aa", None, ["x"]),
            ("_Df_aa_apply", ["x", "a", "u"], "Df_aa", "u", ["x"]),
            ("_B_a", ["x", "a", "u", "v"], "B_a", "v", ["x", "u"])]
    docs = {name: doc for name, _, _, doc in METHODS}
    methods = {}
    for printer, key, lib, unpack in ((ArbPrinter(), "ball_methods", "_b", "{v}.entries()"),
                                      (FloatPrinter(), "float_methods", "_fl", "{v}[:, 0]")):
        fns = []
        for name, args, formula, apply_to, unpacked in plan:
            m = d[formula]
            lines = [f"{', '.join(f'{v}{i}' for i in range(n))}{',' if n == 1 else ''} = {unpack.format(v=v)}"
                     for v in unpacked]
            cse_lines, codes = print_entries(printer, list(m), base)
            lines += cse_lines
            value = f"{lib}.mat({m.rows}, {m.cols}, [{', '.join(codes)}])"
            lines.append(f"return {lib}.mm({value}, {apply_to})" if apply_to else f"return {value}")
            fns.append(Function(name, args, lines, docs[name]))
        methods[key] = fns
    description = [f"Model: {model.name}; variables ({', '.join(model.variables)}), parameter {model.parameter}"]
    description += [f"  {v}' = {t}" for v, t in zip(model.variables, model.rhs_text)]
    description += [f"  constants: {', '.join(f'{k} = {v}' for k, v in model.constants.items())}"] if model.constants else []
    description += ["", "Variables x0, x1, ... are " + ", ".join(model.variables) + " in this order."]
    return dict(title=f"Prover for the ODE model {model.name}", description=description, n=n, **methods)
