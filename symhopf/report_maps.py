"""The LaTeX report of a map's certificate: Neimark–Sacker theorem, the Krawczyk theorem and (when a point uses
it) the family theorem of a linear constant branch, each branch's completeness, one theorem per proved point
("invariant closed curve") naming the theorem its proof uses, the reasons for the others (docs/maps.md).

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
    family = proof.get("theorem") == "verified-diagonalisation"
    return {"k": k, "proved": p.status == "proved", "family": family, "reason": tex_escape(p.reason), "approx": mid,
            "parameter": tex_enclosure(p.parameter), "theta": tex_enclosure(p.theta),
            "d": tex_enclosure(p.first_lyapunov), "mu": tex_enclosure(p.transversality),
            "x": [tex_enclosure(t) for t in p.x or []], "crit_text": f"({p.criticality}, since $d {'<' if p.criticality == 'supercritical' else '>'} 0$)",
            "others": "" if family else r",\ ".join(tex_enclosure(m) for m in p.other_multipliers_modulus or []),
            "n_others": len(p.other_multipliers_modulus or []),
            **{key: tex_number(proof[src]) if proof.get(src) else "" for key, src in
               (("Y", "Y"), ("Z", "Z"), ("r", "radius"), ("rho", "disc_radius"), ("sigma", "disc_separation"),
                ("tau", "modulus_separation"), ("delta", "delta"))},
            "centre": r",\ ".join(tex_number(t) for t in proof.get("disc_centre") or []),
            "sign": "" if proof.get("parameter_sign", 1) == 1 else "-"}


def render_map_report(cert: Any, model: Any, appendix: bool = False, certificate_file: str | None = None) -> str:
    """The LaTeX source of the report (or appendix) of a map's certificate (``certificate_file``: its JSON
    file, for the ``symhopf verify`` command the report prints)."""
    branches = []
    for b in cert.branches:
        sp_ = ", ".join(f"{tex_escape(s['kind'])} near {s['parameter']:.6g}" for s in b.get("special_points", []))
        c = b.get("completeness", {})
        branches.append({"id": b["id"], "special": f" Special points (float, not proved): {sp_}." if sp_ else "",
                         "complete": bool(c.get("proved")), "reason": tex_escape(c.get("reason", ""))})
    lo, hi = (Fraction(v) for v in cert.range)
    points = [_point(k, p) for k, p in enumerate(cert.hopf_points)]
    return latex_environment().get_template("report_maps.tex.jinja").render(
        name=tex_escape(cert.model), version=tex_escape(cert.symhopf_version), appendix=appendix,
        P=sp.latex(sp.Symbol(model.parameter)), n=model.n, formulas=_formulas(model),
        range_lo=tex_fraction(lo), range_hi=tex_fraction(hi), n_branches=len(cert.branches), branches=branches,
        points=points, any_family=any(p["family"] for p in points),
        verify_command=tex_tt(f"symhopf verify {certificate_file}") if certificate_file else
        r"\texttt{symhopf verify FILE.json} on the certificate of \texttt{symhopf prove --json FILE.json}")


def write_map_report(cert: Any, model: Any, path: str | Path, appendix: bool = False,
                     certificate_file: str | None = None) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_map_report(cert, model, appendix, certificate_file), encoding="utf-8")
    return path
