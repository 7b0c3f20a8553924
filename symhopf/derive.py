"""Derivation: SymPy derives every formula a proof uses, and shows them.

For ``x' = f(x, a)``: f, the Jacobian Df, the parameter derivatives f_a and
D_a Df, the multilinear forms ``B(u, v) = D^2 f(x, a)[u, v]`` and
``C(u, v, w) = D^3 f(x, a)[u, v, w]``, and the first Lyapunov coefficient
(hopf-math.md, Kuznetsov's normalisation)

    l1 = Re(<p, C(q,q,qbar)> - 2 <p, B(q, A^{-1} B(q,qbar))>
            + <p, B(qbar, (2 i w I - A)^{-1} B(q,q))>) / (2 w),
    mu' = Re <p, (D_a A) q + B(q, x'(a))>,  x'(a) = -A^{-1} f_a.

RNN architectures are derived *structurally* (matrix expressions in a
symbolic dimension n, see :mod:`symhopf.calculus`), so derivation time does
not depend on n; general ODEs are derived componentwise.
"""
from __future__ import annotations

import json
import functools
from dataclasses import dataclass, field

import sympy as sp
from sympy.matrices.expressions import Identity, MatrixExpr, MatrixSymbol

from sympy.printing.str import StrPrinter

from .calculus import Act, derivative, max_act_order
from .formula import N
from .model import Z, Model

L1_TEXT = ("l1 = Re(<p, C(q,q,qbar)> - 2 <p, B(q, A^{-1} B(q,qbar))> "
           "+ <p, B(qbar, (2 i w I - A)^{-1} B(q,q))>) / (2 w)")
MU_TEXT = "mu'(a*) = Re <p, (D_a A) q + B(q, x'(a*))>,  x'(a*) = -A^{-1} f_a"
NORMALISATION = "kuznetsov: <q,q>=1, <p,q>=1, <u,v>=conj(u)^T v"


def vector_form(exprs: list[sp.Basic], nested_only: bool = True) -> tuple[list[tuple[MatrixSymbol, sp.Basic]],
                                                                          list[sp.Basic]]:
    """Name the pre-activations: every argument ``X`` of an entrywise activation ``s^(k)(X)`` becomes a
    vector ``z_j`` (innermost first, so ``z_2 = (a I + W_2) s(z_1) + b_2``); returns the definitions
    ``[(z_j, X_j)]`` and the expressions with them substituted. ``nested_only``: only when some
    activation's argument holds another activation (a multilayer net); else nothing is renamed."""
    current = list(exprs)
    if nested_only and not any(a.arg.atoms(Act) for e in current for a in e.atoms(Act)):
        return [], current
    defs: list[tuple[MatrixSymbol, sp.Basic]] = []
    while True:
        inner = {a.arg for e in current for a in e.atoms(Act) if not isinstance(a.arg, MatrixSymbol)
                 and all(isinstance(b.arg, MatrixSymbol) for b in a.arg.atoms(Act))}
        if not inner:
            return defs, current
        for arg in sorted(inner, key=sp.default_sort_key):
            z = MatrixSymbol(f"z_{len(defs) + 1}", *arg.shape)
            defs.append((z, arg))
            current = [e.xreplace({arg: z}) for e in current]


@functools.lru_cache(maxsize=1 << 14)
def _len(e: sp.Basic) -> int:
    """Printed length (characters of the plain text form)."""
    return len(sp.sstr(e))


def _vector_parts(e: sp.Basic) -> list[sp.Basic]:
    return [sub for sub in sp.preorder_traversal(e) if isinstance(sub, MatrixExpr)
            and not isinstance(sub, (MatrixSymbol, Act)) and sub.shape[1] == 1]


def common_terms(exprs: list[sp.Basic], min_length: int = 24, name: str = "d", max_length: int = 110
                 ) -> tuple[list[tuple[MatrixSymbol, sp.Basic]], list[sp.Basic]]:
    """Name the vector subexpressions that occur more than once (across all ``exprs``) and print
    longer than ``min_length`` characters, longest first, as ``d_1, d_2, ...``; then, while a formula
    or definition prints longer than ``max_length``, its longest vector part of at most that length
    (and more than a quarter of it). Each definition uses only earlier names; returns the definitions
    and the expressions with them substituted (equal to the given ones once the names are expanded)."""
    from collections import Counter

    current, defs = list(exprs), []
    while True:
        counts: Counter = Counter()
        for e in current:
            for sub in sp.preorder_traversal(e):
                if isinstance(sub, MatrixExpr) and not isinstance(sub, (MatrixSymbol, Act)) and sub.shape[1] == 1:
                    counts[sub] += 1
        repeated = [sub for sub, k in counts.items() if k > 1 and _len(sub) > min_length]
        if not repeated:
            break
        sub = max(repeated, key=lambda t: (_len(t), sp.default_sort_key(t)))
        d = MatrixSymbol(f"{name}_{len(defs) + 1}", *sub.shape)
        defs.append((d, sub))
        current = [e.xreplace({sub: d}) for e in current]
        defs = [(w, v.xreplace({sub: d}) if w != d else v) for w, v in defs]
    while True:
        long = [e for e in current + [v for _, v in defs] if _len(e) > max_length]
        parts = [sub for e in long for sub in _vector_parts(e)[1:] if max_length // 4 < _len(sub) <= max_length]
        if not parts:
            return _in_order(defs, current, name)
        sub = max(parts, key=lambda t: (_len(t), sp.default_sort_key(t)))
        d = MatrixSymbol(f"{name}_{len(defs) + 1}", *sub.shape)
        current = [e.xreplace({sub: d}) for e in current]
        defs = [(w, v.xreplace({sub: d})) for w, v in defs] + [(d, sub)]


def _in_order(defs: list[tuple[MatrixSymbol, sp.Basic]], exprs: list[sp.Basic], name: str
              ) -> tuple[list[tuple[MatrixSymbol, sp.Basic]], list[sp.Basic]]:
    """The definitions renumbered so that each uses only earlier names."""
    names = {w for w, _ in defs}
    placed: list[tuple[MatrixSymbol, sp.Basic]] = []
    while len(placed) < len(defs):
        done = {w for w, _ in placed}
        placed += [(w, v) for w, v in defs if w not in done and (v.free_symbols & names) <= done][:1]
    tmp = {w: MatrixSymbol(f"_{name}{k}", *w.shape) for k, (w, _) in enumerate(placed, 1)}
    new = {tmp[w]: MatrixSymbol(f"{name}_{k}", *w.shape) for k, (w, _) in enumerate(placed, 1)}

    def rename(e: sp.Basic) -> sp.Basic:
        return e.xreplace(tmp).xreplace(new)
    return [(rename(w), rename(v)) for w, v in placed], [rename(e) for e in exprs]


class FormulaPrinter(StrPrinter):
    """Plain text with ``o`` for the entrywise (Hadamard) product."""

    def _print_HadamardProduct(self, expr) -> str:
        return " o ".join(self.parenthesize(a, 50) for a in expr.args)

    def _print_MatMul(self, expr) -> str:
        """``c*A @ B @ x``: ``@`` for the matrix product, as in the formula language."""
        coeff, mats = expr.as_coeff_matrices()
        text = " @ ".join(self.parenthesize(m, 50) for m in mats)
        sign = ""
        if sp.sympify(coeff).could_extract_minus_sign():
            sign, coeff = "-", -coeff
        return sign + (text if coeff == 1 else self.parenthesize(coeff, 50) + "*" + text)


@dataclass
class Formula:
    """One derived formula: a name, its meaning and the SymPy object."""

    name: str
    meaning: str
    expr: sp.Basic

    def text(self) -> str:
        return FormulaPrinter().doprint(self.expr)

    def latex(self) -> str:
        return sp.latex(self.expr).replace("qbar", r"\bar{q}")


@dataclass
class Derivation:
    """All formulas for one model. ``formulas`` is ordered for display."""

    model: Model
    parameter: sp.Symbol
    formulas: list[Formula] = field(default_factory=list)
    #: RNN: the activation and its derivatives s^(k)(z), k = 0..3
    activation_derivatives: list[sp.Expr] = field(default_factory=list)
    #: RNN: symbols of the state, directions and data in the formulas
    symbols: dict[str, sp.Basic] = field(default_factory=dict)
    #: RNN: every elementwise function g (``s`` included) and the derivatives g^(k)(z) used
    functions: dict[str, list[sp.Expr]] = field(default_factory=dict)

    def __getitem__(self, name: str) -> sp.Basic:
        for f in self.formulas:
            if f.name == name:
                return f.expr
        raise KeyError(name)

    # ---------------------------------------------------------------- views
    def to_text(self) -> str:
        lines = [f"model {self.model.name}: {self._summary()}", f"parameter: {self.model.parameter}", ""]
        for name, derivs in self.functions.items():
            lines += [f"{name}{chr(39) * k}(z) = {sp.sstr(d)}" for k, d in enumerate(derivs)]
        if self.functions:
            lines.append("")
        for f in self.formulas:
            lines.append(f"{f.name} = {f.text()}")
            lines.append(f"    ({f.meaning})")
        lines += ["", L1_TEXT, MU_TEXT, f"normalisation: {NORMALISATION}"]
        return "\n".join(lines) + "\n"

    def to_latex(self) -> str:
        """An ``align*`` of every formula; nested layers (multilayer nets) in vector form, through the
        pre-activations ``z_k`` (:func:`vector_form`), so that no line grows with the depth."""
        rows = [rf"{_latex_function(name)}^{{({k})}}(z) &= {sp.latex(d)}"
                for name, derivs in self.functions.items() for k, d in enumerate(derivs)]
        defs, exprs = vector_form([f.expr for f in self.formulas])
        if defs:
            terms, exprs = common_terms(exprs)
            defs += terms
        rows += [rf"{sp.latex(z)} &= {sp.latex(e)}" for z, e in defs]
        rows += [rf"{_latex_name(f.name)} &= " + sp.latex(e).replace("qbar", r"\bar{q}")
                 for f, e in zip(self.formulas, exprs)]
        rows.append(r"\ell_1 &= \frac{1}{2\omega}\operatorname{Re}\Big(\langle p, C(q,q,\bar q)\rangle"
                    r" - 2\langle p, B(q, A^{-1}B(q,\bar q))\rangle"
                    r" + \langle p, B(\bar q, (2i\omega I - A)^{-1}B(q,q))\rangle\Big)")
        rows.append(r"\mu'(a^*) &= \operatorname{Re}\langle p, (D_a A)\, q + B(q, x'(a^*))\rangle,"
                    r"\quad x'(a^*) = -A^{-1} f_a")
        return "\\begin{align*}\n" + " \\\\\n".join(rows) + "\n\\end{align*}\n"

    def to_json(self) -> str:
        doc = {
            "model": self.model.name,
            "kind": self.model.kind,
            "summary": self._summary(),
            "parameter": self.model.parameter,
            "n": self.model.n,
            "activation_derivatives": [{"order": k, "text": sp.sstr(d), "latex": sp.latex(d)}
                                       for k, d in enumerate(self.activation_derivatives)],
            "functions": [{"name": name, "order": k, "text": sp.sstr(d), "latex": sp.latex(d)}
                          for name, derivs in self.functions.items() for k, d in enumerate(derivs)],
            "formulas": [{"name": f.name, "meaning": f.meaning, "text": f.text(), "latex": f.latex()}
                         for f in self.formulas],
            "first_lyapunov": L1_TEXT,
            "transversality": MU_TEXT,
            "normalisation": NORMALISATION,
        }
        return json.dumps(doc, indent=2)

    def _repr_latex_(self) -> str:
        return "$$" + self.to_latex().replace("align*", "aligned") + "$$"

    def _summary(self) -> str:
        m = self.model
        if m.kind == "rnn" and m.architecture is not None:
            return f"{m.architecture.summary}, act(z) = {sp.sstr(m.activation)}"
        if m.kind == "rnn":
            return f"x' = {FormulaPrinter().doprint(m.formula.expr)}, structured (vector formula)"
        return "x' = f(x, a), componentwise"


def derive(model: Model) -> Derivation:
    """Derive f, Df, f_a, D_a Df, B, C for ``model`` (structured for RNNs)."""
    return _derive_rnn(model) if model.kind == "rnn" else _derive_ode(model)


def _derive_rnn(model: Model) -> Derivation:
    """The structured derivation of the model's vector formula (sizes symbolic: cost flat in n)."""
    vf = model.formula
    a, x, f = vf.parameter, vf.x, vf.expr
    taken = {"x", *vf.data}

    def direction(name: str) -> MatrixSymbol:
        """u, v, w, renamed (u_, ...) when a data array has that name: a data vector u of size n
        would otherwise be the very same SymPy object as the direction u."""
        while name in taken:
            name += "_"
        taken.add(name)
        return MatrixSymbol(name, N, 1)

    u, v, w = (direction(s) for s in "uvw")
    symbols: dict[str, sp.Basic] = {**vf.data, "x": x, "u": u, "v": v, "w": w}
    if model.architecture is not None:   # presets: E_k is I where the formula says I (report)
        for k in model.architecture.suffixes(model.layers):
            W = vf.data["W" + k]
            symbols.setdefault("E" + k, Identity(W.shape[1]))
    df = derivative(f, x, u)
    b_form = derivative(df, x, v)
    c_form = derivative(b_form, x, w)
    fa = derivative(f, a, sp.Integer(1))
    dfa = derivative(df, a, sp.Integer(1))
    faa = derivative(fa, a, sp.Integer(1))
    dfaa = derivative(dfa, a, sp.Integer(1))
    b_a = derivative(b_form, a, sp.Integer(1))
    exprs = (f, df, b_form, c_form, fa, dfa, faa, dfaa, b_a)
    functions = {name: [sp.diff(g, Z, k) for k in range(max(max_act_order(e, name) for e in exprs) + 1)]
                 for name, g in vf.functions.items()}
    formulas = [
        Formula("f", "the vector field f(x, a)", f),
        Formula("Df", "the Jacobian applied to u: D_x f(x, a) u", df),
        Formula("f_a", "the parameter derivative d f / d a", fa),
        Formula("Df_a", "d/da of the Jacobian, applied to u", dfa),
        Formula("B", "B(u, v) = D_x^2 f(x, a)[u, v]", b_form),
        Formula("C", "C(u, v, w) = D_x^3 f(x, a)[u, v, w]", c_form),
        *_second_parameter_derivatives(faa, dfaa, b_a),
    ]
    return Derivation(model, a, formulas, functions.get("s", []), symbols, functions)


def _second_parameter_derivatives(faa: sp.Basic, dfaa: sp.Basic, b_a: sp.Basic) -> list[Formula]:
    """What the existence proof's second-derivative bound Z2 needs besides B and C."""
    return [Formula("f_aa", "the second parameter derivative d^2 f / d a^2", faa),
            Formula("Df_aa", "d^2/da^2 of the Jacobian (applied to u for nets)", dfaa),
            Formula("B_a", "d/da of B (of B(u, .) for ODEs)", b_a)]


def _derive_ode(model: Model) -> Derivation:
    a = sp.Symbol(model.parameter, real=True)
    xs = [sp.Symbol(v, real=True) for v in model.variables]
    consts = {sp.Symbol(k, real=True): sp.Rational(q.numerator, q.denominator) for k, q in model.constants.items()}
    n = model.n
    f = sp.Matrix([e.xreplace(consts) for e in model.rhs])
    jac = f.jacobian(xs)
    us = sp.symbols(f"u1:{n + 1}", real=True) if n > 1 else (sp.Symbol("u1", real=True),)
    vs = sp.symbols(f"v1:{n + 1}", real=True) if n > 1 else (sp.Symbol("v1", real=True),)
    # B(u, .) and C(u, v, .) as matrices: h -> B(u, h), h -> C(u, v, h)
    b_u = sp.Matrix(n, n, lambda i, k: sp.expand(sum(sp.diff(jac[i, k], xs[j]) * us[j] for j in range(n))))
    c_uv = sp.Matrix(n, n, lambda i, k: sp.expand(sum(sp.diff(b_u[i, k], xs[j]) * vs[j] for j in range(n))))
    formulas = [
        Formula("f", "the vector field f(x, a)", f),
        Formula("Df", "the Jacobian D_x f(x, a)", jac),
        Formula("f_a", "the parameter derivative d f / d a", f.diff(a)),
        Formula("Df_a", "d/da of the Jacobian", jac.diff(a)),
        Formula("B_u", "the matrix of h -> B(u, h) = D_x^2 f(x, a)[u, h]", b_u),
        Formula("C_uv", "the matrix of h -> C(u, v, h) = D_x^3 f(x, a)[u, v, h]", c_uv),
        *_second_parameter_derivatives(f.diff(a, 2), jac.diff(a, 2), b_u.diff(a)),
    ]
    symbols = {"x": xs, "u": list(us), "v": list(vs), "constants": consts}
    return Derivation(model, a, formulas, [], symbols)


def _latex_function(name: str) -> str:
    return name if len(name) == 1 else r"\operatorname{" + name.replace("_", r"\_") + "}"


def _latex_name(name: str) -> str:
    return {"f": "f", "Df": r"D_x f\,u", "f_a": "f_a", "Df_a": r"D_a D_x f\,u", "B": "B(u,v)",
            "C": "C(u,v,w)", "B_u": r"B(u,\cdot)", "C_uv": r"C(u,v,\cdot)", "f_aa": "f_{aa}",
            "Df_aa": r"D_a^2 D_x f", "B_a": r"D_a B"}.get(name, name)
