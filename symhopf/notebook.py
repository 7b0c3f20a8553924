"""Notebook views of a certificate and its points: HTML and LaTeX (MathJax) tables.

Enclosures are shown rounded outward to 10 significant digits (still enclosures); the
certificate keeps the exact ones. User text (model name, reasons) is escaped.
"""
from __future__ import annotations

import html
from typing import Any, Sequence

from .special import equilibrium_sides

DIGITS = 10
_FIELDS = (("parameter", "parameter"), ("omega", "ω"), ("first_lyapunov", "l1"),
           ("transversality", "μ'"), ("other_eigenvalues_real_part_max", "max Re other"))


def _short(pair: Sequence[str] | None) -> str:
    from .report import outward
    if not pair:
        return "—"
    lo, hi = outward(pair, DIGITS)
    return f"[{lo}, {hi}]"


def _status(p: Any) -> str:
    return p.criticality or "proved" if p.status == "proved" else f"not proved: {p.reason}"


def _row(p: Any) -> list[str]:
    below, above = equilibrium_sides(p)
    return [_short(getattr(p, f)) for f, _ in _FIELDS] + [_status(p), f"{below} / {above}"]


def _header(parameter: str) -> list[str]:
    return [parameter if f == "parameter" else h for f, h in _FIELDS] + ["status", "equilibrium below / above"]


def _html_table(head: list[str], rows: list[list[str]]) -> str:
    th = "".join(f"<th>{html.escape(h)}</th>" for h in head)
    trs = "".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in r) + "</tr>" for r in rows)
    return f"<table><thead><tr>{th}</tr></thead><tbody>{trs}</tbody></table>"


def certificate_html(cert: Any) -> str:
    """A heading (model, range, counts) and one row per Hopf point."""
    proved = sum(p.status == "proved" for p in cert.hopf_points)
    from .api import exact_text
    lo, hi = (exact_text(v) for v in cert.range)
    head = ["", *_header(cert.parameter)]
    rows = [[f"H{k}", *_row(p)] for k, p in enumerate(cert.hopf_points, 1)]
    return (f"<p><b>{html.escape(cert.model)}</b>: {len(cert.hopf_points)} Hopf candidate(s) for "
            f"{html.escape(cert.parameter)} in [{html.escape(lo)}, {html.escape(hi)}] on the "
            f"{len(cert.branches)} branch(es) found, {proved} proved</p>" + _html_table(head, rows))


def point_html(p: Any) -> str:
    """One point as a two-column table."""
    return _html_table(["", ""], [[h, c] for h, c in zip(_header("parameter"), _row(p))])


def _tex_text(s: str) -> str:
    from .report import tex_escape
    return r"\text{" + tex_escape(s) + "}"


def _tex_cell(pair: Sequence[str] | None) -> str:
    """MathJax has no ``\\allowbreak`` and no ``---`` ligature."""
    from .report import tex_short
    return tex_short(pair, DIGITS).replace(r"\allowbreak ", "").replace(r"\text{---}", r"\text{–}")


def _tex_row(p: Any) -> list[str]:
    below, above = equilibrium_sides(p)
    return [_tex_cell(getattr(p, f)) for f, _ in _FIELDS] + [_tex_text(_status(p)), _tex_text(f"{below} / {above}")]


_TEX_HEAD = [r"\omega", r"\ell_1", r"\mu'", r"\max\operatorname{Re}\lambda_{\text{other}}", r"\text{status}",
             r"\text{equilibrium below / above}"]


def certificate_latex(cert: Any) -> str:
    """A MathJax ``array``: one row per Hopf point."""
    from .report import _param_tex
    head = ["", _param_tex(cert.parameter) + "^*", *_TEX_HEAD]
    rows = [" & ".join([f"H_{{{k}}}", *_tex_row(p)]) for k, p in enumerate(cert.hopf_points, 1)]
    return ("$$\\begin{array}{" + "l" * len(head) + "}\n" + " & ".join(head) + r" \\ \hline" + "\n"
            + " \\\\\n".join(rows) + "\n\\end{array}$$")


def point_latex(p: Any) -> str:
    """A MathJax ``array`` of one point: name and value per line."""
    head = [r"a^*", *_TEX_HEAD]
    rows = [f"{h} & {c}" for h, c in zip(head, _tex_row(p))]
    return "$$\\begin{array}{ll}\n" + " \\\\\n".join(rows) + "\n\\end{array}$$"
