"""The LaTeX report of a map's certificate: Neimark–Sacker theorem, Krawczyk theorem, one theorem per
proved point ("invariant closed curve"), the reasons for the others (docs/maps.md).

Every number is the certificate's own decimal string (tex_number does not round), so each printed
hypothesis holds for the printed numbers; user text goes through the LaTeX escapers of report.py.
"""
from __future__ import annotations

from fractions import Fraction
from pathlib import Path
from typing import Any

import sympy as sp

from .report import latex_environment, tex_enclosure, tex_escape, tex_fraction, tex_number, tex_tt


def _formulas(model: Any) -> list[str]:
    if model.kind == "rnn":
        return [r"$F = $ " + tex_tt(model.formula.text)]
    return [f"$F_{{{i + 1}}} = $ " + tex_tt(f"{v}_next = {t}") for i, (v, t) in enumerate(zip(model.variables, model.rhs_text))]


def _point(k: int, p: Any) -> dict[str, Any]:
    proof = p.proof or {}
    mid = "?" if not p.parameter else f"{float((Fraction(p.parameter[0]) + Fraction(p.parameter[1])) / 2):.6g}"
    return {"k": k, "proved": p.status == "proved", "reason": tex_escape(p.reason), "approx": mid,
            "parameter": tex_enclosure(p.parameter), "theta": tex_enclosure(p.theta),
            "d": tex_enclosure(p.first_lyapunov), "mu": tex_enclosure(p.transversality),
            "x": [tex_enclosure(t) for t in p.x or []], "crit_text": f"({p.criticality}, since $d {'<' if p.criticality == 'supercritical' else '>'} 0$)",
            "others": r",\ ".join(tex_enclosure(m) for m in p.other_multipliers_modulus or []),
            **{key: tex_number(proof[src]) if proof.get(src) else "" for key, src in
               (("Y", "Y"), ("Z", "Z"), ("r", "radius"))}}


def render_map_report(cert: Any, model: Any, appendix: bool = False, certificate_file: str | None = None) -> str:
    """The LaTeX source of the report (or appendix) of a map's certificate (``certificate_file``: its JSON
    file, for the ``symhopf verify`` command the report prints)."""
    branches = []
    for b in cert.branches:
        sp_ = ", ".join(f"{tex_escape(s['kind'])} near {s['parameter']:.6g}" for s in b.get("special_points", []))
        branches.append({"id": b["id"], "special": f" Special points (float, not proved): {sp_}." if sp_ else ""})
    lo, hi = (Fraction(v) for v in cert.range)
    return latex_environment().get_template("report_maps.tex.jinja").render(
        name=tex_escape(cert.model), version=tex_escape(cert.symhopf_version), appendix=appendix,
        P=sp.latex(sp.Symbol(model.parameter)), n=model.n, formulas=_formulas(model),
        range_lo=tex_fraction(lo), range_hi=tex_fraction(hi), n_branches=len(cert.branches), branches=branches,
        points=[_point(k, p) for k, p in enumerate(cert.hopf_points)],
        verify_command=tex_tt(f"symhopf verify {certificate_file}") if certificate_file else
        r"\texttt{symhopf verify FILE.json} on the certificate of \texttt{symhopf prove --json FILE.json}")


def write_map_report(cert: Any, model: Any, path: str | Path, appendix: bool = False,
                     certificate_file: str | None = None) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_map_report(cert, model, appendix, certificate_file), encoding="utf-8")
    return path
