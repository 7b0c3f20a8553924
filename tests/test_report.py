"""The LaTeX proof report: numbers, escaping, the Hopf side logic, and real compiles.

Certificates come from the real pipeline (``symhopf.api.prove``). The compile
tests need pdflatex (and pdftotext from poppler-utils to read the text back);
they are skipped, with the reason, when those are not installed.
"""
from __future__ import annotations

import re
import shutil
import subprocess
from decimal import Decimal
from pathlib import Path

import pytest

from symhopf import report
from symhopf.api import prove
from symhopf.certificate import PointRecord
from symhopf.derive import derive
from symhopf.model import Model, random_weights
from symhopf.report import (compile_pdf, consequence, outward, render_report, tex_enclosure, tex_escape,
                            tex_number, write_report)
from symhopf.system import System

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
W4 = [["0.1", "1.4", "-0.6", "-1.6"], ["-1.3", "0.2", "0.5", "0.4"],
      ["0.7", "-0.4", "-0.2", "1.2"], ["1.5", "-0.3", "-1.1", "0.05"]]

needs_latex = pytest.mark.skipif(shutil.which("pdflatex") is None,
                                 reason="pdflatex not installed (apt-get install texlive-latex-base "
                                        "texlive-latex-recommended latexmk)")
needs_pdftotext = pytest.mark.skipif(shutil.which("pdftotext") is None,
                                     reason="pdftotext not installed (apt-get install poppler-utils)")


# ------------------------------------------------------------------ models and certificates
def brusselator(name: str = "brusselator") -> Model:
    m = Model.from_toml(EXAMPLES / "brusselator.toml")
    m.name = name
    return m


def rnn4() -> Model:
    return Model.rnn("asymmetric", weights=[[Decimal(v) for v in row] for row in W4], parameter="alpha",
                     range=["-1/2", "1/2"], name="rnn_4d")


def rnn50() -> Model:
    return Model.rnn("asymmetric", weights=random_weights(50, 80), parameter="alpha",
                     range=["-1/20", "0"], name="rnn_50")


_CACHE: dict[str, tuple] = {}


def proved(key: str, make) -> tuple:
    """(model, certificate, system) from the real pipeline, once per session."""
    if key not in _CACHE:
        model = make()
        cert = prove(model)
        _CACHE[key] = (model, cert, System.from_model(model))
    return _CACHE[key]


# ------------------------------------------------------------------ helpers
def plain(tex_math: str) -> str:
    """Undo tex_number's typesetting: the decimal string it came from."""
    s = tex_math.replace(r"\,\allowbreak ", "")
    m = re.fullmatch(r"(.*?)(?:\\cdot 10\^\{(-?\d+)\})?", s)
    return m.group(1) + (f"E{m.group(2)}" if m.group(2) else "")


def pdf_text(pdf: Path) -> str:
    """The PDF's text with all whitespace removed and the math minus as '-'."""
    out = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    return re.sub(r"\s+", "", out).replace("\u2212", "-")


def printed(s: str) -> str:
    """How an enclosure end point from the certificate appears in pdftotext's text."""
    d = Decimal(s)
    text = tex_number(s)
    mant = plain(text).split("E")[0]
    if "E" in plain(text):
        return mant + "·10" + str(int(plain(text).split("E")[1]))
    assert Decimal(mant) == d
    return mant


def overfull_widths(log: Path) -> list[float]:
    return [float(w) for w in re.findall(r"Overfull \\hbox \(([\d.]+)pt too wide\)", log.read_text(errors="replace"))]


def check_report_text(pdf: Path, cert) -> str:
    text = pdf_text(pdf)
    proved_idx = [k for k, p in enumerate(cert.hopf_points, 1) if p.status == "proved"]
    found = re.findall(r"Theorem\d+\(HopfbifurcationH(\d+)in", text)
    assert sorted(map(int, found)) == proved_idx        # one theorem per proved point
    for p in cert.hopf_points:
        if p.status != "proved":
            continue
        for pair in (p.parameter, p.omega, p.first_lyapunov, p.transversality):
            for end in pair:
                assert printed(end) in text, end
        assert p.criticality in text
    return text


# ------------------------------------------------------------------ unit tests (no LaTeX needed)
def test_numbers_keep_their_value_and_break():
    for s in ["1.99999999999999888", "-2.9220465714997078E-63", "0.999999999999999888977697537484345957636833",
              "129.56832861641889", "0", "-0.05", "12345678901234.5", "1.0000E+5"]:
        tex = tex_number(s)
        assert Decimal(plain(tex)) == Decimal(s)
    long = tex_number("0.999999999999999888977697537484345957636833")
    assert long.count(r"\allowbreak") >= 6              # a 42-digit fraction breaks in groups of five
    assert tex_number("0.123") == "0.123"               # short numbers stay as they are
    assert r"\cdot 10^{-63}" in tex_number("-2.9220465714997078E-63")
    enc = tex_enclosure(["-0.0150741587959782", "-0.0150741587959771"])
    assert enc.startswith(r"[\,-0.01507") and r",\ \allowbreak -0.01507" in enc


def test_outward_rounding_is_still_an_enclosure():
    pair = ["-0.064140970061149869", "-0.064140970061148647"]
    lo, hi = outward(pair, 8)
    assert Decimal(lo) <= Decimal(pair[0]) and Decimal(hi) >= Decimal(pair[1])
    assert (lo, hi) == ("-0.064140971", "-0.06414097")
    lo, hi = outward(["1.02703469216646743E-15", "2.5E-15"], 3)
    assert Decimal(lo) <= Decimal("1.02703469216646743E-15") and Decimal(hi) == Decimal("2.5E-15")
    assert report.tex_upper("5.1351734608323165E-16") == r"5.136\cdot 10^{-16}"     # upper bound rounded up
    assert report.tex_lower("0.00102703469216646783") == "0.001027"                # radius rounded down


def test_escaping_of_user_text():
    assert tex_escape("my_model #1 & 50% {x}") == r"my\_model \#1 \& 50\% \{x\}"
    assert tex_escape("a\\b~^") == r"a\textbackslash{}b\textasciitilde{}\textasciicircum{}"
    assert report.tex_tt("x**2*y") == r"\texttt{x*\allowbreak{}*\allowbreak{}2*\allowbreak{}y}"
    assert report.tex_tt_escape("rnn_4d {a}\n") == r"rnn\char95{}4d \char123{}a\char125{} "


@pytest.mark.parametrize("l1, mu, side, kind", [
    (-1, 1, ">", "supercritical"), (-1, -1, "<", "supercritical"),
    (1, 1, "<", "subcritical"), (1, -1, ">", "subcritical")])
def test_side_of_the_periodic_orbits(l1, mu, side, kind):
    """Orbits exist for sign(a - a*) = -sign(l1 mu') (hopf-math.md); the pair is unstable where sign = sign(mu')."""
    enc = {1: ["0.5", "0.6"], -1: ["-0.6", "-0.5"]}
    p = PointRecord("proved", first_lyapunov=enc[l1], transversality=enc[mu],
                    other_eigenvalues_real_part_max=["-1", "-0.5"])
    c = consequence(p)
    assert c["orbit_side"] == side and c["kind"] == kind
    assert c["pair_unstable_side"] == (">" if mu > 0 else "<")
    if kind == "supercritical":     # stable orbits on the side where the equilibrium is unstable
        assert c["orbit_side"] == c["pair_unstable_side"] and c["stability"].startswith("orbitally asymptotically stable")
    else:
        assert c["orbit_side"] == c["pair_stable_side"] and c["stability"].startswith("unstable")
    p.other_eigenvalues_real_part_max = ["0.1", "0.2"]
    assert "positive real part" in consequence(p)["stability"]


def test_render_structure_and_appendix():
    model, cert, _ = proved("bru", brusselator)
    tex = render_report(cert, model, derive(model))
    assert tex.startswith("%") and r"\documentclass" in tex and tex.rstrip().endswith(r"\end{document}")
    order = [tex.index(s) for s in (r"\section{Formulation}", r"\section{Approximation}", r"\section{Bounds}",
                                    r"\section{Conclusion}")]
    assert order == sorted(order)
    assert tex.count(r"\begin{theorem}[Hopf bifurcation") == sum(p.status == "proved" for p in cert.hopf_points)
    assert "a - (b + 1)*x + x*" in tex.replace(r"\allowbreak{}", "")        # the rhs as the user wrote it
    assert r"\partial_{b}^2 f(x)" in tex or r"\partial_{b} f(x)" in tex
    app = render_report(cert, model, derive(model), appendix=True)
    assert r"\documentclass" not in app and r"\begin{document}" not in app
    assert app.count(r"\section{") == 1 and r"\subsection{Formulation}" in app


def test_big_net_prints_hash_not_weights():
    model, cert, _ = proved("rnn50", rnn50)
    tex = render_report(cert, model, derive(model))
    assert r"\begin{bmatrix}" not in tex and report._data_hash(model) in tex
    assert r"x^*_{50}" in tex and r"x^*_{10}" not in tex                   # x* abbreviated


def test_compile_pdf_without_latex_says_so(tmp_path, monkeypatch):
    tex = tmp_path / "r.tex"
    tex.write_text(r"\documentclass{article}\begin{document}x\end{document}")
    monkeypatch.setattr(report.shutil, "which", lambda name: None)
    ok, msg = compile_pdf(tex)
    assert not ok and "no LaTeX installed" in msg
    assert compile_pdf(tmp_path / "missing.tex")[0] is False


# ------------------------------------------------------------------ real compiles
@needs_latex
@needs_pdftotext
def test_brusselator_report_compiles_with_theorem_and_numbers(tmp_path):
    model, cert, system = proved("bru", brusselator)
    assert [p.status for p in cert.hopf_points] == ["proved"]
    path = write_report(cert, model, derive(model), tmp_path / "bru.tex", system=system)
    ok, msg = compile_pdf(path)
    assert ok, msg
    text = check_report_text(Path(msg), cert)
    assert "supercritical" in text and "b>b*" in text.replace("∗", "*")     # l1 < 0, mu' = 1/2 > 0: orbits for b > b*
    if report.figure_available():
        assert (tmp_path / "bru-diagram.pdf").is_file() and "Figure1:" in text
    else:
        assert "matplotlibisnotinstalled" in text


@needs_latex
@needs_pdftotext
def test_rnn_report_compiles_with_theorem_per_point(tmp_path):
    model, cert, system = proved("rnn4", rnn4)
    assert sum(p.status == "proved" for p in cert.hopf_points) >= 2
    path = write_report(cert, model, derive(model), tmp_path / "rnn.tex", system=system)
    ok, msg = compile_pdf(path)
    assert ok, msg
    text = check_report_text(Path(msg), cert)
    assert "subcritical" in text and "supercritical" in text
    assert overfull_widths(path.with_suffix(".log")) == []


@needs_latex
def test_escaped_model_name_compiles(tmp_path):
    model, cert, _ = proved("bru", brusselator)
    odd = brusselator("my_model #1 & 50% {x}")
    cert2 = type(cert).from_dict({**cert.to_dict(), "model": odd.name})
    path = write_report(cert2, odd, derive(odd), tmp_path / "odd.tex")
    ok, msg = compile_pdf(path)
    assert ok, msg


@needs_latex
def test_fifty_neuron_report_and_appendix_compile(tmp_path):
    model, cert, system = proved("rnn50", rnn50)
    n_proved = sum(p.status == "proved" for p in cert.hopf_points)
    assert n_proved >= 1
    path = write_report(cert, model, derive(model), tmp_path / "net50.tex", system=system)
    ok, msg = compile_pdf(path)
    assert ok, msg
    assert max(overfull_widths(path.with_suffix(".log")), default=0) < 20     # long enclosures broke
    if shutil.which("pdftotext"):
        check_report_text(Path(msg), cert)
    # the \section variant, \input into a paper with its own theorem environment
    write_report(cert, model, derive(model), tmp_path / "appendix.tex", appendix=True,
                 figure=tmp_path / "net50-diagram.pdf" if report.figure_available() else None)
    paper = tmp_path / "paper.tex"
    paper.write_text("\\documentclass{article}\n\\usepackage{" + report.APPENDIX_PACKAGES + "}\n"
                     "\\newtheorem{theorem}{Theorem}[section]\n\\begin{document}\n\\section{Introduction}\n"
                     "Main text.\n\\appendix\n\\input{appendix}\n\\end{document}\n")
    ok, msg = compile_pdf(paper)
    assert ok, msg
    assert max(overfull_widths(paper.with_suffix(".log")), default=0) < 20
    if shutil.which("pdftotext"):
        text = pdf_text(Path(msg))
        assert "AComputer-assistedproofofHopfbifurcationsinrnn_50" in text
        assert len(re.findall(r"TheoremA\.\d+\(HopfbifurcationH\d+", text)) == n_proved


def bautin() -> Model:
    """l1 = 0 at the Hopf point b = 0 (degenerate): the pipeline reports it as not proved."""
    return Model.ode(["x", "y"], ["b*x - y + x*(x**2 + y**2)**2", "x + b*y + y*(x**2 + y**2)**2"], "b",
                     range=["-1/2", "1/3"], name="bautin")


def test_not_proved_candidates_are_listed_with_reason(tmp_path):
    model, cert, _ = proved("bautin", bautin)
    assert cert.hopf_points and all(p.status == "not_proved" for p in cert.hopf_points)
    tex = render_report(cert, model, derive(model))
    assert r"\begin{theorem}[Hopf bifurcation" not in tex and "No Hopf point was proved" in tex
    assert tex_escape(cert.hopf_points[0].reason) in tex and "not proved" in tex
    if shutil.which("pdflatex"):
        ok, msg = compile_pdf(write_report(cert, model, derive(model), tmp_path / "bautin.tex"))
        assert ok, msg
