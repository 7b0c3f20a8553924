"""Render, write, cache and load the generated prover module of a model.

Stages (each runs its prerequisites): derive (SymPy) -> render (jinja2 +
printers) -> write (``generated/`` or the cache) -> load (importlib). The
cache is keyed by the model's structure hash (formulas + symhopf version), so
every net of one architecture and activation shares one module: the weights
are data passed in at run time.
"""
from __future__ import annotations

import hashlib
import importlib.util
import os
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from types import ModuleType

import jinja2
import sympy as sp
from sympy.matrices.expressions import Identity, MatrixSymbol, OneMatrix

from .. import __version__
from ..derive import Derivation, N, derive
from ..model import Z, Model
from .printers import (ArbPrinter, FloatPrinter, act_function, print_entries, print_matrix_expr,
                       print_scalar_function)


@dataclass
class Function:
    """One generated function or method: name, arguments, body lines."""

    name: str
    args: list[str]
    lines: list[str]
    doc: str = ""


@dataclass
class Data:
    """One named array or scalar of the model, as the generated constructor reads it."""

    attr: str       # attribute: d_<name> (never an internal name such as B, f, n)
    key: str        # the data dict's key, as a Python literal
    scalar: bool


@dataclass
class Size:
    """A size symbol (n, m1, ...) read from one axis of one data array."""

    attr: str
    data: str       # attribute of the array
    axis: int


@dataclass
class Fixed:
    """An identity or ones matrix of the formula, built once from the sizes."""

    attr: str
    kind: str       # "eye" or "ones"
    rows: str
    cols: str


def templates_dir() -> Path:
    """``templates/`` in a source checkout, ``symhopf/templates`` in a wheel."""
    packaged = Path(__file__).resolve().parent.parent / "templates"
    return packaged if packaged.is_dir() else Path(__file__).resolve().parents[2] / "templates"


@lru_cache(maxsize=None)
def environment() -> jinja2.Environment:
    """The one strict jinja2 environment for code templates."""
    return jinja2.Environment(loader=jinja2.FileSystemLoader(str(templates_dir())),
                              undefined=jinja2.StrictUndefined, trim_blocks=True,
                              lstrip_blocks=True, keep_trailing_newline=True, autoescape=False)


def module_name(model: Model) -> str:
    """A readable module name: architecture and activation for nets, the model name for ODEs."""
    if model.kind == "ode" or model.architecture is None:
        slug = re.sub(r"\W+", "_", model.name).strip("_").lower() or model.kind
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
    return environment().get_template(template).render(**ctx)


def generate(model: Model, out_dir: str | Path = "generated") -> Path:
    """Write the generated module into ``out_dir``; returns its path."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"{module_name(model)}.py"
    path.write_text(render(model))
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


def load_module(model: Model) -> ModuleType:
    """The generated module for ``model``: from this process, the cache, or freshly generated.

    The cache is keyed by the structure hash and the generator's fingerprint, so a
    changed template or printer never serves stale code.
    """
    key = model.structure_hash(__version__)
    if key in _LOADED:
        return _LOADED[key]
    path = cache_dir() / f"{key}-{generator_fingerprint()}" / f"{module_name(model)}.py"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(render(model))
        tmp.replace(path)
    module = load_file(path, f"symhopf_generated_{key}")
    if getattr(module, "STRUCTURE_HASH", None) != key:
        raise RuntimeError(f"cached module {path} does not match structure {key}")
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


def _rnn_context(d: Derivation) -> dict:
    model, vf = d.model, d.model.formula
    data = [Data(f"d_{name}", repr(name), not isinstance(sym, MatrixSymbol)) for name, sym in vf.data.items()]
    names: dict[sp.Basic, str] = {d.parameter: "a", **{d.symbols[k]: k for k in "xuvw"}}
    names.update({sym: f"self.d_{name}" for name, sym in vf.data.items()})
    sizes = [Size("n" if dim == N else f"size_{dim}", f"d_{name}", axis)
             for dim, (name, axis, _) in vf.dims.items()]
    fixed: list[Fixed] = [Fixed("eye_n", "eye", "self.n", "self.n")]
    names[Identity(N)] = "self.eye_n"
    for f in d.formulas:
        for m in sorted(f.expr.atoms(Identity, OneMatrix), key=sp.default_sort_key):
            if m not in names:
                rows, cols = (str(s) for s in m.shape)
                if isinstance(m, Identity):
                    fixed.append(Fixed(f"eye_{rows}", "eye", _size_code(m.shape[0]), _size_code(m.shape[0])))
                else:
                    fixed.append(Fixed(f"ones_{rows}" if cols == "1" else f"ones_{rows}_{cols}", "ones",
                                       _size_code(m.shape[0]), _size_code(m.shape[1])))
                names[m] = "self." + fixed[-1].attr
    methods = {}
    for printer, key in ((ArbPrinter(), "ball_methods"), (FloatPrinter(), "float_methods")):
        methods[key] = [Function(name, args, print_matrix_expr(printer, d[formula], names, args[-1] if args[-1] != "a" else "x"), doc)
                        for name, args, formula, doc in METHODS]
    scalars = {}
    for printer, prefix in ((ArbPrinter(), "ball"), (FloatPrinter(), "float")):
        scalars[f"{prefix}_scalars"] = [
            Function(f"{prefix}_{act_function(name, k)}", ["z"], print_scalar_function(printer, expr, Z),
                     f"{name}{chr(39) * k}(z) = {sp.sstr(expr)}")
            for name, derivs in d.functions.items() for k, expr in enumerate(derivs)]
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
