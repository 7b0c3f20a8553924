"""The LaTeX proof report of ``symhopf prove --report``: a careful proof appendix.

``write_report(certificate, model, derivation, path)`` renders
``templates/report.tex.jinja`` (a standalone ``article``) or, with
``appendix=True``, a ``\\section`` to ``\\input`` into a paper (whose preamble
then needs ``amsmath, amssymb, amsthm, booktabs, graphicx, longtable, array``).
The content follows Formulation -> Approximation -> Bounds -> Conclusion:
the model as written, the derived formulas (SymPy's LaTeX), the theorems the
points were proved with (``proof.theorem``: the existence theorem of
:mod:`symhopf.proof.existence` with its norms, bounds and the spectral
separation argument; the verified-diagonalisation theorem of
:mod:`symhopf.proof.family` for constant branches), one ``theorem`` per proved
Hopf point whose proof names its theorem with the numbers of its hypothesis
(:func:`theorem_sentence`), the table of the candidates found and the software
versions. The scope is stated: the candidates lie on the equilibrium branches
the float search found, and branches it missed are not covered.

Every number printed from the certificate is either its exact decimal string
(enclosures in the theorems) or that string rounded *outward* (short
enclosures in tables, upper bounds rounded up, radii and separations rounded
down), so every printed statement stays true; the numbers under a theorem are
rounded to as many digits as its hypothesis needs to hold in the printed
numbers themselves (:func:`fit_digits`). Long numbers are split into
groups of five digits with a thin space and a permitted line break.

``compile_pdf(tex)`` runs latexmk (or pdflatex twice) and never raises.
"""
from __future__ import annotations

import hashlib
import platform
import re
import shutil
import subprocess
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal, localcontext
from fractions import Fraction
from functools import lru_cache
from pathlib import Path
from typing import Any, Sequence

import jinja2
import sympy as sp
from sympy import MatrixSymbol

from .codegen.generate import templates_dir
from .proof.existence import THEOREM as NK
from .proof.family import THEOREM as FAMILY
from .proof.tube import within_box_text

#: packages a paper must load to \input an appendix report
APPENDIX_PACKAGES = "amsmath, amssymb, amsthm, booktabs, graphicx, longtable, array"
#: nets with more neurons than this (or more than one layer) get a hash instead of their weights
MAX_PRINTED_WEIGHTS = 6
#: equilibria with more components than this are abbreviated in the theorems
MAX_PRINTED_COMPONENTS = 6
SHORT_DIGITS = 8
#: the report's forms: one theorem over a table of all points, or one theorem per point
REPORT_STYLES = ("compact", "full")
#: statements a report can leave to another section of the same document (``shared``): key -> label suffixes
SHARED_KEYS = {"def": ("def", "l1", "mu"), "nk": ("nk", "spectrum"), "fam": ("fam",)}
#: displayed formulas longer than this (in printed characters) are split at the terms of a sum
MAX_FORMULA_WIDTH = 54

_TEX_SPECIAL = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_",
                "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}",
                "<": r"\textless{}", ">": r"\textgreater{}", "|": r"\textbar{}"}

_TT_SPECIAL = {**{c: rf"\char{ord(c)}{{}}" for c in "\\{}_^~"}, "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#"}

# ---------------------------------------------------------------- LaTeX text and numbers
def _printable(text: Any) -> str:
    return "".join(c if c.isprintable() else " " for c in str(text))


def tex_escape(text: Any) -> str:
    """User text (names, reasons) safe in LaTeX text mode (and in a % comment line)."""
    return "".join(_TEX_SPECIAL.get(c, c) for c in _printable(text))


def tex_tt_escape(text: Any) -> str:
    r"""User text for ``\texttt``: the typewriter font's own glyphs (an underscore stays ``_`` in the PDF's text)."""
    return "".join(_TT_SPECIAL.get(c, c) for c in _printable(text))


def tex_tt(text: Any) -> str:
    r"""Verbatim-looking ``\texttt`` text that may break after spaces, operators and commas."""
    out = []
    for c in _printable(text):
        out.append(_TT_SPECIAL.get(c, c))
        if c in " ,*+-/)_.":
            out.append(r"\allowbreak{}")
    return r"\texttt{" + "".join(out) + "}"


def _group(digits: str, from_left: bool = True, size: int = 5) -> str:
    if len(digits) <= 2 * size:
        return digits
    if from_left:
        parts = [digits[i:i + size] for i in range(0, len(digits), size)]
    else:
        head = len(digits) % size or size
        parts = [digits[:head]] + [digits[i:i + size] for i in range(head, len(digits), size)]
    return r"\,\allowbreak ".join(parts)


def tex_number(s: str | Decimal | int | Fraction) -> str:
    r"""A decimal string as math-mode LaTeX: digit groups of five, ``\cdot 10^{e}``, line breaks allowed.

    The value is unchanged (trailing zeros of the fraction part are dropped).
    """
    if isinstance(s, Fraction):
        return tex_fraction(s)
    text = str(s).strip()
    m = re.fullmatch(r"([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?", text)
    if not m or not (m.group(2) or m.group(3)):
        return r"\mathrm{" + tex_escape(text) + "}"
    sign, ip, fp, ex = m.group(1), m.group(2) or "0", (m.group(3) or "").rstrip("0"), m.group(4)
    body = _group(ip, from_left=False) + ("." + _group(fp) if fp else "")
    out = ("-" if sign == "-" else "") + body
    if ex is not None and int(ex) != 0:
        out += r"\cdot 10^{" + str(int(ex)) + "}"
    return out


def tex_enclosure(pair: Sequence[str] | None) -> str:
    """``[lo, hi]`` exactly as in the certificate (math mode), or an em dash when absent."""
    if not pair:
        return r"\text{---}"
    return r"[\," + tex_number(pair[0]) + r",\ \allowbreak " + tex_number(pair[1]) + r"\,]"


def outward(pair: Sequence[str], digits: int = SHORT_DIGITS) -> tuple[str, str]:
    """The enclosure rounded outward to ``digits`` significant digits (still an enclosure)."""
    lo, hi = Decimal(pair[0]), Decimal(pair[1])
    return _round(lo, digits, ROUND_FLOOR), _round(hi, digits, ROUND_CEILING)


def _round(x: Decimal, digits: int, mode: str) -> str:
    if x == 0:
        return "0"
    with localcontext() as ctx:
        ctx.prec, ctx.rounding = digits, mode
        y = +x
    return _plain(y)


def _plain(y: Decimal) -> str:
    """Positional notation for moderate exponents, else mantissa E exponent; no trailing zeros."""
    y = y.normalize()
    exp = y.adjusted()
    if -4 <= exp <= 8:
        text = format(y, "f")
        return text.rstrip("0").rstrip(".") if "." in text else text
    sign, digits, _ = y.as_tuple()
    mant = "".join(map(str, digits))
    mant = mant[0] + ("." + mant[1:] if len(mant) > 1 else "")
    return ("-" if sign else "") + f"{mant}E{exp}"


def tex_short(pair: Sequence[str] | None, digits: int = SHORT_DIGITS) -> str:
    """A short outward-rounded enclosure for tables (math mode)."""
    if not pair:
        return r"\text{---}"
    return tex_enclosure(outward(pair, digits))


def tex_tight(pair: Sequence[str] | None, digits: int = 6) -> str:
    r"""A short outward-rounded enclosure in interval notation: the digits ``lo`` and ``hi`` share,
    then ``lo``'s remaining digits as a subscript and ``hi``'s as a superscript
    (``1.234_{5}^{7}`` is ``[1.2345, 1.2347]``); ``[lo, hi]`` when they share no digit (math mode)."""
    if not pair:
        return r"\text{---}"
    lo, hi = outward(pair, digits)
    if lo == hi:
        return tex_number(lo)
    if Decimal(lo) < 0 < Decimal(hi) or lo.lstrip("-").partition(".")[0] != hi.lstrip("-").partition(".")[0]:
        return tex_enclosure((lo, hi))   # no shared digits: the plain interval
    if "E" in lo + hi or (lo.startswith("-") != hi.startswith("-")) or "0" in (lo, hi):
        return tex_enclosure((lo, hi))
    fl, fh = (len(t.partition(".")[2]) for t in (lo, hi))
    lo_p, hi_p = (t + ("." if "." not in t and max(fl, fh) else "") + "0" * (max(fl, fh) - f)
                  for t, f in ((lo, fl), (hi, fh)))
    if len(lo_p) != len(hi_p):
        return tex_enclosure((lo, hi))
    k = 0
    while k < len(lo_p) and lo_p[k] == hi_p[k]:
        k += 1
    head = lo_p[:k]
    if not any(c.isdigit() and c != "0" for c in head) or head.endswith("."):
        return tex_enclosure((lo, hi))
    return head + "_{" + lo_p[k:] + "}^{" + hi_p[k:] + "}"


def tex_upper(value: str | None, digits: int = 4) -> str:
    """An upper bound rounded up to ``digits`` significant digits (math mode)."""
    if value is None:
        return r"\text{---}"
    return tex_number(_round(Decimal(value), digits, ROUND_CEILING))


def tex_lower(value: str | None, digits: int = 4) -> str:
    """A lower bound rounded down (for radii below which something holds)."""
    if value is None:
        return r"\text{---}"
    return tex_number(_round(Decimal(value), digits, ROUND_FLOOR))


def tex_fraction(q: Fraction) -> str:
    """An exact rational: a finite decimal when it is one (1/10 -> 0.1), else ``p/q``."""
    q = Fraction(q)
    den = q.denominator
    for p in (2, 5):
        while den % p == 0:
            den //= p
    if den == 1:
        with localcontext() as ctx:
            ctx.prec = 200
            return tex_number(_plain(Decimal(q.numerator) / Decimal(q.denominator)))
    sign = "-" if q < 0 else ""
    return rf"{sign}\tfrac{{{abs(q.numerator)}}}{{{q.denominator}}}"


def _sign(pair: Sequence[str] | None) -> int:
    """+1 / -1 when the enclosure excludes 0, else 0."""
    if not pair:
        return 0
    lo, hi = Decimal(pair[0]), Decimal(pair[1])
    return 1 if lo > 0 else -1 if hi < 0 else 0


# ---------------------------------------------------------------- the theorem of each point


def point_theorem(point: Any) -> str:
    """The theorem a point's proof states (``proof.theorem``; for certificates written before that
    key existed, the family proof is recognised by its method)."""
    proof = point.proof or {}
    if proof.get("theorem"):
        return proof["theorem"]
    return FAMILY if str(proof.get("method") or "").startswith("family proof") else NK


def fit_digits(values: dict[str, tuple[str, bool]], holds) -> dict[str, str]:
    """``values`` (name -> (decimal string, round up?)) rounded up or down to the fewest significant
    digits (at least 4) for which ``holds`` (given the rounded values as Fractions) is true, so that
    the printed numbers themselves satisfy the hypothesis; the exact strings when no rounding does."""
    for d in range(4, 41):
        out = {k: _round(Decimal(v), d, ROUND_CEILING if up else ROUND_FLOOR) for k, (v, up) in values.items()}
        if holds({k: Fraction(Decimal(x)) for k, x in out.items()}):
            return out
    return {k: v for k, (v, _) in values.items()}


def _numbers(values: dict[str, tuple[str | None, bool]], holds, proved: bool) -> dict[str, str]:
    """Math-mode numbers for a theorem's table and sentence: for a proved point rounded by
    :func:`fit_digits` (the printed hypothesis holds), else to four digits; a dash when absent."""
    present = {k: v for k, v in values.items() if v[0] is not None}
    if proved and len(present) == len(values):
        out = fit_digits(present, holds)
    else:
        out = {k: _round(Decimal(v), 4, ROUND_CEILING if up else ROUND_FLOOR) for k, (v, up) in present.items()}
    return {k: tex_number(out[k]) if k in out else r"\text{---}" for k in values}


def nk_numbers(point: Any) -> dict[str, str]:
    """Y, Z1, Z2 rounded up and r rounded down so that the printed p(r) = Y + (Z1 + Z2 r - 1) r < 0 holds."""
    proof = point.proof or {}
    return _numbers({"Y": (proof.get("Y"), True), "Z1": (proof.get("Z1"), True), "Z2": (proof.get("Z2"), True),
                     "r": (proof.get("radius"), False)},
                    lambda q: q["Y"] + (q["Z1"] + q["Z2"] * q["r"] - 1) * q["r"] < 0, point.status == "proved")


def family_numbers(point: Any) -> dict[str, str]:
    """delta, g, the disc radius rho and eps rounded up, the separations sigma, tau rounded down, so that
    the printed delta < 1/2, rho < sigma and rho < tau hold (tau absent for n = 2: a dash)."""
    proof = point.proof or {}
    vals = {"delta": (proof.get("delta"), True), "g": (proof.get("g"), True), "rho": (proof.get("disc_radius"), True),
            "sigma": (proof.get("disc_separation"), False), "eps": (proof.get("eigenvector_error_bound"), True)}
    tau = proof.get("real_part_separation")
    if tau is not None:
        vals["tau"] = (tau, False)
    out = _numbers(vals, lambda q: (q["delta"] < Fraction(1, 2) and q["rho"] < q["sigma"]
                                    and ("tau" not in q or q["rho"] < q["tau"])), point.status == "proved")
    out.setdefault("tau", r"\text{---}")
    return out


def nk_sentence(point: Any, L: str) -> str:
    """The first sentence of a Newton-Kantorovich point's proof: its theorem and the numbers of its hypothesis."""
    v, bits = nk_numbers(point), (point.proof or {}).get("precision_bits")
    return (rf"Theorem~\ref{{{L}-nk}} applies to \eqref{{{L}-G}} with $Y \le {v['Y']}$, $Z_1 \le {v['Z1']}$, "
            rf"$Z_2 \le {v['Z2']}$ and $r = {v['r']}$, for which $p(r) = Y + (Z_1 + Z_2 r - 1)\,r < 0$ holds exactly "
            rf"in these numbers (bounds computed in ball arithmetic at {bits} bits).")


def family_sentence(point: Any, L: str, P: str) -> str:
    """The first sentence of a family point's proof: its theorem and the numbers of its hypotheses."""
    proof = point.proof
    v = family_numbers(point)
    re, im = (_round(Decimal(t), 6, ROUND_FLOOR) for t in proof["disc_centre"])
    centre = tex_number(re) + (" - " if im.startswith("-") else " + ") + tex_number(im.lstrip("-"))
    sep = (rf", real-part separation $\tau_k \ge {v['tau']} > \rho_k$"
           if proof.get("real_part_separation") is not None else "")
    return (rf"Theorem~\ref{{{L}-fam}} applies to the constant branch $x_0 = x^*$ with $c = "
            rf"{tex_number(proof['branch_slope'])}$ and ${{{P}}}_r = {tex_number(proof['reference_parameter'])}$: "
            rf"$\delta \le {v['delta']} < 1/2$, $g \le {v['g']}$, and the disc of centre "
            rf"$\lambda_k \approx {centre}\,i$ has radius $\rho_k \le {v['rho']}$, disc separation "
            rf"$\sigma_k \ge {v['sigma']} > \rho_k${sep} and eigenvector error bound "
            rf"$\varepsilon_k \le {v['eps']}$ (exact values in the JSON certificate).")


_NEEDED = {FAMILY: ("disc_centre", "disc_radius", "disc_separation", "delta", "g", "eigenvector_error_bound",
                    "branch_slope", "reference_parameter"), NK: ("Y", "Z1", "Z2", "radius")}


def theorem_sentence(point: Any, L: str, P: str) -> str:
    """The sentence of a proved point's proof that names its theorem and the numbers satisfying its hypothesis
    (a certificate written before points stated their theorem lacks them: then it says so)."""
    theorem = point_theorem(point)
    if any((point.proof or {}).get(k) is None for k in _NEEDED.get(theorem, ("theorem",))):
        return (r"This certificate does not record the numbers of the theorem this point was proved with "
                r"(it predates \texttt{proof.theorem}); run \texttt{symhopf prove} again to state them.")
    return family_sentence(point, L, P) if theorem == FAMILY else nk_sentence(point, L)


# ---------------------------------------------------------------- jinja2
@lru_cache(maxsize=None)
def latex_environment() -> jinja2.Environment:
    """The one strict jinja2 environment for LaTeX templates (LaTeX-safe delimiters)."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(templates_dir())),
        block_start_string="((*", block_end_string="*))",
        variable_start_string="(((", variable_end_string=")))",
        comment_start_string="((=", comment_end_string="=))",
        undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True,
        keep_trailing_newline=True, autoescape=False)
    env.filters.update(e=tex_escape, tt=tex_tt, num=tex_number, enc=tex_enclosure, short=tex_short,
                       upper=tex_upper, lower=tex_lower)
    return env


# ---------------------------------------------------------------- context
def _param_tex(name: str) -> str:
    return sp.latex(sp.Symbol(name))


def _label(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-") or "model"


def _data_hash(model: Any) -> str:
    """SHA-256 (first 16 hex digits) of every weight, bias and direction entry, exact as p/q."""
    h = hashlib.sha256()
    for key in sorted(model.data):
        arr = model.data[key]
        h.update(f"{key}{arr.shape}:".encode())
        h.update(",".join(f"{q.numerator}/{q.denominator}" for q in arr.fractions()).encode())
    return h.hexdigest()[:16]


def _matrix_tex(arr: Any) -> str:
    fr = list(arr.fractions())
    if len(arr.shape) == 1:
        rows = [[q] for q in fr]
    else:
        c = arr.shape[1]
        rows = [fr[i:i + c] for i in range(0, len(fr), c)]
    if arr.exact is None:  # binary floats: shortest repr, stated as such
        vals = arr.values.ravel().tolist()
        cells = [[tex_number(repr(float(v))) for v in vals[i:i + len(rows[0])]]
                 for i in range(0, len(vals), len(rows[0]))]
    else:
        cells = [[tex_fraction(q) for q in row] for row in rows]
    return r"\begin{bmatrix}" + r"\\ ".join(" & ".join(r) for r in cells) + r"\end{bmatrix}"


def _model_context(model: Any, P: str) -> dict[str, Any]:
    ctx: dict[str, Any] = {"kind": model.kind, "n": model.n}
    if model.kind == "ode":
        names = {v: sp.Symbol(v, real=True) for v in model.variables}
        ctx["ode"] = {
            "equations": [(sp.latex(names[v]), sp.latex(e)) for v, e in zip(model.variables, model.rhs)],
            "written": [(tex_tt_escape(v), tex_tt(t)) for v, t in zip(model.variables, model.rhs_text)],
            "constants": [(sp.latex(sp.Symbol(k)), tex_fraction(q)) for k, q in sorted(model.constants.items())],
            "variables": ", ".join(sp.latex(names[v]) for v in model.variables),
        }
        ctx["rnn"] = ctx["formula"] = None
        return ctx
    if model.architecture is None:
        ctx["ode"] = ctx["rnn"] = None
        ctx["formula"] = _formula_context(model)
        return ctx
    ctx["formula"] = None
    arch = model.architecture
    suffixes = arch.suffixes(model.layers)
    shown = model.layers == 1 and model.n <= MAX_PRINTED_WEIGHTS
    data = []
    for s in suffixes:
        W, b, E = model.data["W" + s], model.data["b" + s], model.data["E" + s]
        item = {"suffix": s, "shape": "\\times".join(map(str, W.shape)),
                "W": _matrix_tex(W) if shown else None,
                "b": _matrix_tex(b) if shown else None,
                "b_zero": all(q == 0 for q in b.fractions()),
                "E_identity": model.direction_is_identity(s),
                "E": _matrix_tex(E) if shown and not model.direction_is_identity(s) else None,
                "binary": W.exact is None}
        data.append(item)
    ctx["ode"] = None
    ctx["rnn"] = {"architecture": tex_tt_escape(arch.name), "summary": tex_tt(arch.summary),
                  "activation": sp.latex(model.activation), "activation_written": tex_tt(model.activation_text),
                  "layers": model.layers, "dims": ", ".join(map(str, model.dims)),
                  "layers_data": data, "shown": shown, "hash": _data_hash(model)}
    return ctx


def _formula_context(model: Any) -> dict[str, Any]:
    """A net given by a vector formula: the formula as written, its functions and named data."""
    vf = model.formula
    shown = model.n <= MAX_PRINTED_WEIGHTS and all(arr.values.size <= MAX_PRINTED_WEIGHTS ** 2
                                                   for arr in model.data.values())
    data = []
    for name, arr in model.data.items():
        scalar = arr.shape == ()
        data.append({"name": sp.latex(sp.Symbol(name)),
                     "shape": "scalar" if scalar else r"\times".join(map(str, arr.shape)),
                     "value": (tex_fraction(next(iter(arr.fractions()))) if scalar else _matrix_tex(arr)) if shown else None,
                     "binary": arr.exact is None})
    return {"written": tex_tt(vf.text), "data": data, "shown": shown, "hash": _data_hash(model),
            "functions": [(_function_tex(name), sp.latex(g)) for name, g in vf.functions.items()],
            "sizes": ", ".join(rf"{sp.latex(dim)} = {value}" for dim, (_, _, value) in vf.dims.items())}


def _function_tex(name: str) -> str:
    return name if len(name) == 1 else r"\operatorname{" + tex_escape(name) + "}"


def _derivation_context(model: Any, derivation: Any, P: str) -> dict[str, Any]:
    rnn = model.kind == "rnn"
    a = derivation.parameter
    subs = {}
    m_defs = []
    if rnn and model.architecture is not None:
        for s in model.architecture.suffixes(model.layers):
            W, E = derivation.symbols["W" + s], derivation.symbols["E" + s]
            M = MatrixSymbol("M" + s, *W.shape)
            subs[W + a * E] = M
            m_defs.append(rf"M{'_{' + s + '}' if s else ''} = W{'_{' + s + '}' if s else ''} + {P}\,"
                          + ("I" if isinstance(E, sp.Identity) else f"E{'_{' + s + '}' if s else ''}"))
    labels = ({"f": "f(x)", "Df": r"D_x f(x)\,u", "f_a": rf"\partial_{{{P}}} f(x)",
               "Df_a": rf"\partial_{{{P}}} D_x f(x)\,u", "B": "B(u,v)", "C": "C(u,v,w)",
               "f_aa": rf"\partial_{{{P}}}^2 f(x)", "Df_aa": rf"\partial_{{{P}}}^2 D_x f(x)\,u",
               "B_a": rf"\partial_{{{P}}} B(u,v)"} if rnn else
              {"f": "f(x)", "Df": r"D_x f(x)", "f_a": rf"\partial_{{{P}}} f(x)", "Df_a": rf"\partial_{{{P}}} D_x f(x)",
               "B_u": r"\bigl[h\mapsto B(u,h)\bigr]", "C_uv": r"\bigl[h\mapsto C(u,v,h)\bigr]",
               "f_aa": rf"\partial_{{{P}}}^2 f(x)", "Df_aa": rf"\partial_{{{P}}}^2 D_x f(x)",
               "B_a": rf"\partial_{{{P}}}\bigl[h\mapsto B(u,h)\bigr]"})
    from .derive import common_terms, vector_form

    defs, exprs = vector_form([f.expr.xreplace(subs) if subs else f.expr for f in derivation.formulas])
    if defs:                      # nested layers: the repeated directional derivatives named too
        terms, exprs = common_terms(exprs)
        defs += terms
    vector_defs = [(sp.latex(z), split_sum_latex(e, MAX_FORMULA_WIDTH - 4)) for z, e in defs]
    system = sp.latex(derivation.formulas[0].expr.xreplace(subs) if subs else derivation.formulas[0].expr)
    formulas = []
    for f, expr in zip(derivation.formulas, exprs):
        label = labels.get(f.name, r"\mathrm{" + tex_escape(f.name) + "}")
        formulas.append({"label": label,
                         "latex": split_sum_latex(expr, MAX_FORMULA_WIDTH - _visible_len(label)).replace(
                             "qbar", r"\bar{q}"),
                         "meaning": tex_escape(f.meaning)})
    acts = [(k, sp.latex(d)) for k, d in enumerate(derivation.activation_derivatives)]
    functions = [(_function_tex(name), k, sp.latex(d)) for name, derivs in derivation.functions.items()
                 for k, d in enumerate(derivs)]
    return {"formulas": formulas, "activation_derivatives": acts, "functions": functions, "M_defs": m_defs, "vector_defs": vector_defs,
            "system": system,
            "directions": (r"u, v, w \in \mathbb{C}^{n}" if rnn else
                           r",\ ".join(f"{d} = (" + ", ".join(sp.latex(s) for s in derivation.symbols.get(d, [])) + ")"
                                      for d in ("u", "v")))}


def _visible_len(latex: str) -> int:
    """Rough printed width of a LaTeX formula in characters."""
    s = re.sub(r"\\(left|right)\b", "", latex)
    s = re.sub(r"\\[a-zA-Z]+", "X", s)
    return len(re.sub(r"[{}\s]", "", s))


def split_sum_latex(expr: Any, width: int = MAX_FORMULA_WIDTH) -> str:
    r"""SymPy's LaTeX of ``expr``; a long sum is split into align rows (``\\ &\quad + ...``)."""
    whole = sp.latex(expr)
    if _visible_len(whole) <= width or not isinstance(expr, (sp.Add, sp.MatAdd)):
        return whole
    terms: list[Any] = []
    stack = list(expr.args)
    while stack:
        t = stack.pop(0)
        if isinstance(t, (sp.Add, sp.MatAdd)):
            stack[:0] = list(t.args)
        else:
            terms.append(t)
    rows: list[str] = []
    for term in terms:
        t = sp.latex(term)
        piece = t if not rows else (" " + t if t.startswith("-") else " + " + t)
        if rows and _visible_len(rows[-1] + piece) > width:
            rows.append(piece.strip() if piece.strip().startswith("-") else "+ " + t)
        elif rows:
            rows[-1] += piece
        else:
            rows.append(t)
    return " \\\\\n  &\\quad ".join(rows)


def consequence(point: Any) -> dict[str, str]:
    """The side of a* where the orbits exist and their stability (hopf-math.md).

    The orbits exist for sign(a - a*) = -sign(l1 mu'); the critical pair has
    Re lambda(a) > 0 for sign(a - a*) = sign(mu').
    """
    s_l1, s_mu = _sign(point.first_lyapunov), _sign(point.transversality)
    side = -s_l1 * s_mu
    others = _sign(point.other_eigenvalues_real_part_max)
    no_others = point.other_eigenvalues_real_part_max is None
    unstable_side = ">" if s_mu > 0 else "<"
    stable_side = "<" if s_mu > 0 else ">"
    out = {"orbit_side": ">" if side > 0 else "<", "pair_unstable_side": unstable_side,
           "pair_stable_side": stable_side}
    if s_l1 < 0:
        out["kind"] = "supercritical"
        if no_others or others < 0:
            out["stability"] = ("orbitally asymptotically stable; they exist where the equilibrium is "
                                "unstable, and the equilibrium is asymptotically stable on the other side")
        else:
            out["stability"] = ("attracting within the two-dimensional centre manifold, but unstable in "
                                "the full phase space (another eigenvalue has positive real part)")
    else:
        out["kind"] = "subcritical"
        if no_others or others < 0:
            out["stability"] = ("unstable (repelling within the centre manifold); they coexist with the "
                                "asymptotically stable equilibrium")
        else:
            out["stability"] = ("unstable (repelling within the centre manifold, and another eigenvalue "
                                "has positive real part)")
    return out


def _x_rows(point: Any) -> tuple[list[tuple[int, str]], int, str | None]:
    """(shown components, number omitted, upper bound of the widest enclosure among all)."""
    xs = point.x or []
    n = len(xs)
    shown = xs if n <= MAX_PRINTED_COMPONENTS else xs[:MAX_PRINTED_COMPONENTS - 2]
    rows = [(i + 1, tex_enclosure(t)) for i, t in enumerate(shown)]
    widest = max((Decimal(t[1]) - Decimal(t[0]) for t in xs), default=None)
    with localcontext() as ctx:
        ctx.prec = 60
        widest_s = None if widest is None else _round(widest, 3, ROUND_CEILING)
    return rows, n - len(shown), widest_s


def _point_context(k: int, p: Any, L: str, P: str) -> dict[str, Any]:
    proof = p.proof or {}
    theorem = point_theorem(p)
    rows, omitted, widest = _x_rows(p)
    d: dict[str, Any] = {
        "index": k, "status": p.status, "proved": p.status == "proved",
        "reason": tex_escape(p.reason) if p.reason else "",
        "parameter": p.parameter, "omega": p.omega, "first_lyapunov": p.first_lyapunov,
        "transversality": p.transversality, "criticality": p.criticality,
        "other": p.other_eigenvalues_real_part_max,
        "x_rows": rows, "x_omitted": omitted, "x_widest": widest, "n": len(p.x or []),
        "x_last": tex_enclosure(p.x[-1]) if omitted else "",
        "theorem": theorem, "uniqueness_radius": proof.get("uniqueness_radius"),
        "precision": proof.get("precision_bits"),
        "time": p.time_seconds,
    }
    if theorem == FAMILY:
        d["fam"] = family_numbers(p)
    else:
        d.update(zip(("Y", "Z1", "Z2", "radius"), nk_numbers(p).values()))
    if d["proved"]:
        d["sentence"] = theorem_sentence(p, L, P)
        d["consequence"] = consequence(p)
        d["other_sign"] = _sign(p.other_eigenvalues_real_part_max)
    return d


def versions() -> list[tuple[str, str]]:
    """Software versions of the environment writing the report."""
    import flint
    import numpy

    from . import __version__
    out = [("symhopf", __version__), ("python-flint", getattr(flint, "__version__", "?")),
           ("SymPy", sp.__version__), ("NumPy", numpy.__version__),
           ("Python", platform.python_version())]
    try:
        import matplotlib
        out.append(("matplotlib", matplotlib.__version__))
    except ImportError:
        pass
    return out


def _compact_row(k: int, p: Any) -> dict[str, Any]:
    """A proved point's row of the compact table: short outward-rounded enclosures, the orbits' side and
    stability, and the equilibrium's stability below and above the parameter (symhopf.special)."""
    from .special import equilibrium_sides

    c = consequence(p)
    below, above = equilibrium_sides(p)
    stable = c["kind"] == "supercritical" and c["stability"].startswith("orbitally asymptotically stable")
    return {"index": k, "parameter": tex_tight(p.parameter, 8), "omega": tex_tight(p.omega, 8),
            "l1": tex_tight(p.first_lyapunov, 4), "mu": tex_tight(p.transversality, 4),
            "other": tex_tight(p.other_eigenvalues_real_part_max, 4) if p.other_eigenvalues_real_part_max
            else r"	ext{---}",
            "side": c["orbit_side"], "orbits": "s" if stable else "u",
            "kind": "super" if c["kind"] == "supercritical" else "sub",
            "equilibrium": rf"{below[0]}\,/\,{above[0]}", "theorem": "NK" if point_theorem(p) == NK else "D"}


def _provenance_context(prov: dict[str, Any] | None) -> dict[str, Any] | None:
    """The provenance paragraph's strings (symhopf.provenance), escaped."""
    if not prov:
        return None
    r = prov.get("random")
    return {"command": tex_tt(prov["command"]) if prov.get("command") else None,
            "version": tex_escape(prov.get("version", "")), "date": tex_escape(prov.get("date", "")),
            "model_file": tex_tt(prov["model_file"]) if prov.get("model_file") else None,
            "sha": _hex(prov.get("model_sha256", "")),
            "weights_sha": _hex(prov.get("weights_sha256", "")),
            "random": r and {"generator": tex_tt(r["generator"]).replace(".", r".\allowbreak{}"), "n": tex_escape(r["n"]),
                             "seed": tex_escape(r["seed"]), "perturbation": tex_escape(r["perturbation"])},
            "certificate": tex_tt(prov["certificate"]) if prov.get("certificate") else None}


def _hex(digest: str) -> str:
    """A hex digest for ``\\texttt``, breakable after every 16 digits."""
    digest = re.sub(r"[^0-9a-fA-F]", "", digest)
    return r"\allowbreak{}".join(digest[i:i + 16] for i in range(0, len(digest), 16))


def _family_branches(certificate: Any) -> list[dict[str, Any]]:
    """The constant branches' shared numbers c, P_r, g, with the rows proved on each (compact form)."""
    groups: dict[tuple[str, str], dict[str, Any]] = {}
    for k, p in enumerate(certificate.hopf_points, 1):
        proof = p.proof or {}
        if p.status != "proved" or point_theorem(p) != FAMILY or proof.get("branch_slope") is None:
            continue
        g = groups.setdefault((proof["branch_slope"], proof["reference_parameter"]),
                              {"c": tex_number(proof["branch_slope"]), "Pr": tex_number(proof["reference_parameter"]),
                               "rows": []})
        g["rows"].append(k)
    return list(groups.values())
def _global_tex(g: dict, P: str) -> str:
    """One sentence: the global completeness statement (exact box and range), or why there is none."""
    if not g:
        return ""
    if not g["proved"]:
        return "No global statement (every Hopf point in a box) is made: " + tex_escape(g["reason"]) + "."
    box = r"\times".join(f"[{tex_fraction(Fraction(lo))}, {tex_fraction(Fraction(hi))}]" for lo, hi in g["box"])
    lo, hi = (tex_fraction(Fraction(v)) for v in g["range"])
    return (f"Global completeness is proved (interval branch and bound over ${box}\\times[{lo}, {hi}]$, "
            f"{g['boxes']} boxes, each free of equilibria or holding only points of the branches above): "
            f"every Hopf point with $x\\in {box}$ and ${P}\\in[{lo}, {hi}]$ is listed.")


def report_context(certificate: Any, model: Any, derivation: Any, appendix: bool = False,
                   figure: str | None = None, figure_note: str = "", style: str = "full",
                   provenance: dict[str, Any] | None = None, shared: dict[str, str] | None = None,
                   certificate_file: str | None = None) -> dict[str, Any]:
    """Everything the template shows (all strings already LaTeX); ``style``: "full" (a theorem per
    point) or "compact" (one theorem over a table of all points); ``shared``: for the keys of
    :data:`SHARED_KEYS`, the label of the section of the same document that states them (an
    appendix ``\\input`` after it refers to it instead of stating them again; :func:`stated`);
    ``certificate_file``: the JSON certificate's path, for the ``symhopf verify`` command the report prints."""
    if style not in REPORT_STYLES:
        raise ValueError(f"report style {style!r}: expected one of {', '.join(REPORT_STYLES)}")
    shared = shared if appendix else None          # a standalone report states everything itself
    P = _param_tex(certificate.parameter)
    L = "symhopf-" + _label(certificate.model)
    points = [_point_context(k, p, L, P) for k, p in enumerate(certificate.hopf_points, 1)]
    sought = getattr(certificate, "search", None) or {}
    precisions = sorted({p["precision"] for p in points if p["precision"]})
    lo, hi = (Fraction(Decimal(str(r))) if not isinstance(r, Fraction) else r for r in
              (model.range if model.range is not None else certificate.range))
    return {
        "appendix": appendix,
        "name": tex_tt_escape(certificate.model),
        "label": L,
        "P": P,
        "range": (tex_fraction(lo), tex_fraction(hi)),
        "model": _model_context(model, P),
        "derivation": _derivation_context(model, derivation, P),
        "normalisation": tex_tt(certificate.normalisation),
        "points": points,
        "proved": [p for p in points if p["proved"]],
        "nk_points": [p for p in points if p["theorem"] != FAMILY],
        "family_points": [p for p in points if p["theorem"] == FAMILY],
        "search": sought and {"branches": len(certificate.branches), "seeds": len(sought.get("seed_parameters", [])),
                              "guesses": len(sought.get("guesses", [])),
                              "samples": sought.get("samples_per_seed_parameter", "?")},
        "global_statement": _global_tex(getattr(certificate, "global_completeness", None) or {}, P),
        "global_proved": bool((getattr(certificate, "global_completeness", None) or {}).get("proved")),
        "cert_version": tex_escape(certificate.symhopf_version),
        "versions": [(tex_escape(a), tex_escape(b)) for a, b in versions()],
        "precisions": precisions,
        "figure": figure,
        "figure_note": figure_note,
        "figure2": None,
        "component": None,
        "packages": APPENDIX_PACKAGES,
        "style": style,
        "rows": [_compact_row(k, p) for k, p in enumerate(certificate.hopf_points, 1) if p.status == "proved"],
        "x_widest": _x_widest(certificate),
        "family_branches": _family_branches(certificate),
        "provenance": _provenance_context(provenance),
        "shared": {k: shared.get(k) for k in SHARED_KEYS} if shared else dict.fromkeys(SHARED_KEYS),
        "shared_aliases": [(f"{L}-{suffix}", f"{shared[k]}-{suffix}") for k, suffixes in SHARED_KEYS.items()
                           for suffix in suffixes if shared and shared.get(k)],
        "completeness": _completeness_context(certificate),
        "verify_command": (tex_tt(f"symhopf verify {certificate_file}") if certificate_file else
                           r"\texttt{symhopf verify FILE.json} on the certificate of \texttt{symhopf prove --json FILE.json}"),
    }


def _x_widest(certificate: Any) -> str | None:
    """Upper bound (3 digits) of the widest enclosure of any proved point's x* ("0": all exact)."""
    widths = [Decimal(t[1]) - Decimal(t[0]) for p in certificate.hopf_points if p.status == "proved"
              for t in (p.x or [])]
    if not widths:
        return None
    with localcontext() as ctx:
        ctx.prec = 60
        return _round(max(widths), 3, ROUND_CEILING)


def _completeness_context(certificate: Any) -> list[dict[str, Any]]:
    """Each branch found: kind, its Hopf points, and whether (with the method) or why not its list is
    proved complete; the scope (this branch, this range) is stated by the template, ``within``: "within the
    search box (it leaves the box at ...)" for a branch proved complete up to where it leaves the box."""
    return [{"id": b["id"], "kind": tex_escape(b.get("kind", "")),
             "points": [i + 1 for i in b.get("hopf_points", []) if certificate.hopf_points[i].status == "proved"],
             "unproved": [i + 1 for i in b.get("hopf_points", []) if certificate.hopf_points[i].status != "proved"],
             "proved": bool(b.get("completeness", {}).get("proved")),
             "within": tex_escape(within_box_text(b.get("completeness", {}).get("ends") or [],
                                                  certificate.parameter)),
             "method": tex_escape(b.get("completeness", {}).get("method") or ""),
             "reason": tex_escape(b.get("completeness", {}).get("reason") or "")} for b in certificate.branches]


# ---------------------------------------------------------------- writing and compiling
def render_report(certificate: Any, model: Any, derivation: Any, appendix: bool = False,
                  figure: str | None = None, figure_note: str = "", style: str = "full",
                  provenance: dict[str, Any] | None = None, eigenvalue_figure: str | None = None,
                  shared: dict[str, str] | None = None, component: int | None = None,
                  certificate_file: str | None = None) -> str:
    """The LaTeX source (``figure``: the graphics path as \\includegraphics should see it; ``style`` and
    ``provenance``: see :func:`write_report`)."""
    ctx = report_context(certificate, model, derivation, appendix, figure, figure_note, style, provenance, shared,
                         certificate_file)
    ctx["figure2"], ctx["component"] = eigenvalue_figure, component
    return latex_environment().get_template("report.tex.jinja").render(**ctx)


def figure_path_for(tex_path: str | Path, kind: str = "diagram") -> Path:
    """Where :func:`write_report` puts a figure: ``<stem>-diagram.pdf`` (the bifurcation diagram) or
    ``<stem>-eigenvalues.pdf`` (the real parts of the eigenvalues) next to the .tex."""
    tex_path = Path(tex_path)
    stem = re.sub(r"[^A-Za-z0-9_-]+", "-", tex_path.stem) or "report"
    return tex_path.with_name(f"{stem}-{kind}.pdf")


def write_report(certificate: Any, model: Any, derivation: Any, path: str | Path, appendix: bool = False,
                 figure: str | Path | None = None, system: Any = None,
                 branches: Sequence[Any] | None = None, style: str = "full",
                 provenance: dict[str, Any] | None = None, shared: dict[str, str] | None = None,
                 component: int | None = None,
                 certificate_file: str | None = None) -> Path:
    """Write the report to ``path`` and return it.

    ``style``: "full" (one theorem per point, with its equilibrium; the library's default, so
    existing callers keep their reports) or "compact" (one theorem over a table of all points,
    each theorem and lemma stated once: the default of ``symhopf prove --report``, as a paper's
    appendix should not grow by a page per point). ``provenance``: the run's command, version,
    date and model hash (:func:`symhopf.provenance.provenance`), printed when given.

    ``figure``: an existing diagram (PDF) to include; when None and ``system``
    is given, two figures are drawn here next to the .tex, with the search ``branches`` when
    given: the bifurcation diagram (:func:`symhopf.figure.state_diagram`) and the real parts of
    the eigenvalues (:func:`symhopf.figure.bifurcation_diagram`); ``component`` (0-based): the state
    component the diagram plots instead of the norm. Without matplotlib
    the report says that the figure was omitted. The graphics path is written
    relative to the .tex file's directory (compile there, or \\input the appendix
    from a paper in the same directory).
    """
    from .figure import bifurcation_diagram, matplotlib_available, state_diagram

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    note, second = "", None
    if figure is None and system is not None:
        if matplotlib_available():
            figure = state_diagram(system, certificate, figure_path_for(path), branches=branches,
                                   component=component)
            second = bifurcation_diagram(system, certificate, figure_path_for(path, "eigenvalues"),
                                         branches=branches)
        else:
            note = ("The numerical bifurcation diagram is omitted: matplotlib is not installed "
                    "(install the extra \\texttt{symhopf[plot]}).")
    elif figure is None:
        note = ("No numerical bifurcation diagram was drawn for this report." if matplotlib_available() else
                "The numerical bifurcation diagram is omitted: matplotlib is not installed "
                "(install the extra \\texttt{symhopf[plot]}).")
    graphic, graphic2 = (_graphic_path(f, path) for f in (figure, second))
    path.write_text(render_report(certificate, model, derivation, appendix, graphic, note, style, provenance,
                                  graphic2, shared, component, certificate_file), encoding="utf-8")
    return path


def _graphic_path(figure: str | Path | None, tex: Path) -> str | None:
    """The figure's path as \\includegraphics in ``tex`` sees it (relative to its directory when inside)."""
    if figure is None:
        return None
    fig = Path(figure).resolve()
    try:
        graphic = fig.relative_to(tex.parent.resolve()).as_posix()
    except ValueError:
        graphic = fig.as_posix()
    if re.search(r"[\s%#{}\\]", graphic):
        raise ValueError(f"figure path {graphic!r}: LaTeX cannot include a path with spaces or %#{{}}\\")
    return graphic


def stated(certificate: Any, shared: dict[str, str] | None = None) -> dict[str, str]:
    """``shared`` updated with what the report of ``certificate`` states itself (its label for each
    key of :data:`SHARED_KEYS` not in ``shared``): pass it to the next appendix of the document."""
    out = dict(shared or {})
    L = "symhopf-" + _label(certificate.model)
    kinds = {point_theorem(p) for p in certificate.hopf_points}
    for key, needed in (("def", True), ("nk", bool(kinds - {FAMILY})), ("fam", FAMILY in kinds)):
        if needed and key not in out:
            out[key] = L
    return out


def figure_available() -> bool:
    """Whether write_report can draw the diagram (matplotlib installed)."""
    from .figure import matplotlib_available
    return matplotlib_available()


def latex_tools() -> dict[str, str | None]:
    return {t: shutil.which(t) for t in ("latexmk", "pdflatex")}


def compile_pdf(tex_path: str | Path, timeout: float = 180) -> tuple[bool, str]:
    """Compile ``tex_path`` to PDF next to it (latexmk, else pdflatex twice); never raises.

    Returns (ok, message): the PDF path, or why not (no LaTeX installed, the
    first LaTeX error with its log path, a timeout).
    """
    tex_path = Path(tex_path).resolve()
    if not tex_path.is_file():
        return False, f"{tex_path}: no such file"
    tools = latex_tools()
    cwd, name = tex_path.parent, tex_path.name
    if tools["latexmk"] and tools["pdflatex"]:
        runs = [[tools["latexmk"], "-pdf", "-interaction=nonstopmode", "-halt-on-error", "-file-line-error",
                 name]]
    elif tools["pdflatex"]:
        cmd = [tools["pdflatex"], "-interaction=nonstopmode", "-halt-on-error", "-file-line-error", name]
        runs = [cmd, cmd]
    else:
        return False, ("no LaTeX installed (neither latexmk nor pdflatex found); the .tex file "
                       f"{tex_path} was written, compile it yourself or install texlive "
                       "(apt-get install texlive-latex-base texlive-latex-recommended lmodern latexmk)")
    pdf, log = tex_path.with_suffix(".pdf"), tex_path.with_suffix(".log")
    for cmd in runs:
        try:
            res = subprocess.run(cmd, cwd=cwd, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                                 errors="replace", timeout=timeout)
        except subprocess.TimeoutExpired:
            return False, f"{Path(cmd[0]).name} timed out after {timeout:.0f} s on {tex_path}"
        except OSError as exc:
            return False, f"cannot run {cmd[0]}: {exc.strerror}"
        if res.returncode != 0:
            return False, f"{Path(cmd[0]).name} failed on {tex_path}: {_first_error(log, res.stdout)} (see {log})"
    if not pdf.is_file():
        return False, f"no PDF produced for {tex_path} (see {log})"
    return True, str(pdf)


def _first_error(log: Path, stdout: str) -> str:
    text = log.read_text(errors="replace") if log.is_file() else stdout
    for line in text.splitlines():
        if line.startswith("!") or re.match(r"^.+:\d+: ", line):
            return line.strip()
    return "LaTeX error"
