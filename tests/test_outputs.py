"""Paper-ready outputs (issue 18): special-point table and CSV, --strict, --json -, python -m symhopf,
the public API names, notebook reprs, enclosure objects, the compact report and its provenance."""
from __future__ import annotations

import csv
import hashlib
import io
import json
import re
import shutil
import subprocess
import sys
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import pytest

import symhopf
from symhopf import report
from symhopf.api import exact_text, prove, summary
from symhopf.certificate import Certificate, PointRecord
from symhopf.cli import main
from symhopf.derive import derive
from symhopf.enclosure import Enclosure
from symhopf.special import COLUMNS, equilibrium_sides, product, special_points, to_csv

ROOT = Path(__file__).resolve().parents[1]
EX = ROOT / "examples"
_CACHE: dict = {}


def cert_of(stem: str):
    if stem not in _CACHE:
        model = symhopf.Model.from_toml(EX / f"{stem}.toml")
        _CACHE[stem] = (model, prove(model))
    return _CACHE[stem]


def point(status="proved", l1=("-0.5", "-0.4"), mu=("0.1", "0.2"), other=("-1", "-0.5"), a=("1", "1.1")):
    return PointRecord(status=status, reason="" if status == "proved" else "why", parameter=list(a),
                       omega=["1", "2"], first_lyapunov=list(l1), transversality=list(mu),
                       other_eigenvalues_real_part_max=list(other) if other else None,
                       criticality=("supercritical" if l1[1].startswith("-") else "subcritical")
                       if status == "proved" else None)


# ------------------------------------------------------------------ the public API
def test_public_api_names_stay_functions_after_importing_the_submodules():
    import symhopf.api  # noqa: F401  (imported the submodules symhopf.derive, symhopf.codegen, ...)
    from symhopf.derive import derive as derive_function

    derive_module = sys.modules["symhopf.derive"]

    for name in symhopf.__all__:
        assert hasattr(symhopf, name), name
    for name in ("derive", "generate", "load", "prove"):
        assert callable(getattr(symhopf, name)) and not isinstance(getattr(symhopf, name), type(symhopf)), name
    assert derive_module.derive is derive_function and symhopf.derive is not derive_module
    model = symhopf.Model.from_toml(EX / "brusselator.toml")
    assert symhopf.derive(model).to_text() == derive_function(model).to_text()


def test_python_dash_m_symhopf():
    res = subprocess.run([sys.executable, "-m", "symhopf", "--version"], capture_output=True, text=True, cwd=ROOT)
    assert res.returncode == 0 and res.stdout.strip() == f"symhopf {symhopf.__version__}"
    res = subprocess.run([sys.executable, "-m", "symhopf", "prove", "--help"], capture_output=True, text=True)
    assert res.returncode == 0 and "--strict" in res.stdout and "examples:" in res.stdout
    res = subprocess.run([sys.executable, "-m", "symhopf", "prove", "no/such.toml"], capture_output=True, text=True)
    assert res.returncode == 2 and res.stderr.count("\n") == 1


def test_help_has_a_sentence_for_every_option(capsys):
    with pytest.raises(SystemExit):
        main(["prove", "--help"])
    out = capsys.readouterr().out
    for option in ("--json", "--csv", "--report", "--report-style", "--appendix", "--pdf", "--quiet", "--strict",
                   "--range"):
        line = next(ln for ln in out.splitlines() if ln.strip().startswith(option))
        assert len(line.split(option, 1)[1].strip()) > 10 or option == "--report-style", option


# ------------------------------------------------------------------ enclosures and notebook views
def test_enclosure_floats_are_outward_and_strings_exact():
    e = Enclosure(["0.1", "0.30000000000000000001"])
    assert e == ["0.1", "0.30000000000000000001"] and json.dumps(e) == '["0.1", "0.30000000000000000001"]'
    assert Fraction(e.lo) <= Fraction(1, 10) and Fraction(e.hi) >= Fraction("0.30000000000000000001")
    assert e.lo < 0.1 and e.hi > 0.3                      # 0.1 and 0.3 as floats lie inside, not below/above
    assert e.mid == pytest.approx(0.2) and e.lo_exact == "0.1" and e.hi_exact == "0.30000000000000000001"
    assert e.contains("0.3") and not e.contains("0.30000000000000000002") and e.contains(Fraction(1, 5))
    assert Enclosure(["2", "2"]).lo == Enclosure(["2", "2"]).hi == 2.0


def test_point_records_hold_enclosures_and_json_is_unchanged():
    _, cert = cert_of("brusselator")
    p = cert.hopf_points[0]
    assert isinstance(p.parameter, Enclosure) and all(isinstance(t, Enclosure) for t in p.x)
    assert p.parameter.lo <= 2 <= p.parameter.hi and p.omega.contains(1)
    d = json.loads(cert.to_json())
    assert d["hopf_points"][0]["parameter"] == list(p.parameter)
    back = Certificate.from_json(cert.to_json())
    assert back.to_json() == cert.to_json() and isinstance(back.hopf_points[0].omega, Enclosure)


def test_notebook_reprs():
    _, cert = cert_of("brusselator")
    h = cert._repr_html_()
    assert h.startswith("<p><b>brusselator</b>") and h.count("<tr>") == 1 + len(cert.hopf_points)
    assert "[1.999999999, 2.000000001]" in h and "supercritical" in h and "stable / unstable" in h
    tex = cert._repr_latex_()
    assert tex.startswith("$$\\begin{array}") and tex.endswith("\\end{array}$$") and "allowbreak" not in tex
    assert r"b^*" in tex and r"[\,1.999999999,\ 2.000000001\,]" in tex
    p = cert.hopf_points[0]
    assert "<table>" in p._repr_html_() and p._repr_latex_().count(r"\\") == 6
    odd = Certificate(model="<script>&", parameter="a", range=[0, 1], hopf_points=[])
    assert "<script>" not in odd._repr_html_() and "&lt;script&gt;&amp;" in odd._repr_html_()


# ------------------------------------------------------------------ special points and CSV
def test_equilibrium_sides_and_product():
    assert equilibrium_sides(point()) == ("stable", "unstable")              # mu' > 0, others < 0
    assert equilibrium_sides(point(mu=("-2", "-1"))) == ("unstable", "stable")
    assert equilibrium_sides(point(other=("0.1", "0.2"))) == ("unstable", "unstable")
    assert equilibrium_sides(point(other=None)) == ("stable", "unstable")   # n = 2
    assert equilibrium_sides(point(status="not_proved")) == ("?", "?")
    assert product(["-0.5", "-0.4"], ["1", "2"]) == ["-1.0000000000000000", "-0.40000000000000000"]
    lo, hi = product(["-0.3", "0.2"], ["-3", "7"])
    assert Decimal(lo) == Decimal("-2.1") and Decimal(hi) == Decimal("1.4")


@pytest.mark.false_certificates      # made-up points without proofs, for the table's logic only
def test_generalized_hopf_candidates_need_l1_and_mu_to_change_sign():
    """Consecutive points with mu' of one sign are different pairs crossing: no GH candidate."""
    same = Certificate(model="m", parameter="a", range=[0, 3], hopf_points=[
        point(a=("1", "1.1")), point(l1=("0.1", "0.2"), a=("2", "2.1"))],
        branches=[{"id": 0, "hopf_points": [0, 1], "folds": [1.5]}])
    rows = special_points(same)
    assert [r.type for r in rows] == ["H", "H", "LP"]
    back = Certificate(model="m", parameter="a", range=[0, 3], hopf_points=[
        point(a=("1", "1.1")), point(l1=("0.1", "0.2"), mu=("-1", "-0.5"), a=("2", "2.1"))],
        branches=[{"id": 0, "hopf_points": [1, 0], "folds": []}])
    gh = [r for r in special_points(back) if r.type == "GH?"]
    assert len(gh) == 1 and gh[0].parameter == ["1", "2.1"] and "H1 and H2" in gh[0].note
    unproved = Certificate(model="m", parameter="a", range=[0, 3], hopf_points=[
        point(a=("1", "1.1")), point(status="not_proved", l1=("0.1", "0.2"), mu=("-1", "-0.5"))],
        branches=[{"id": 0, "hopf_points": [0, 1], "folds": []}])
    assert not [r for r in special_points(unproved) if r.type == "GH?"]


def test_csv_file(tmp_path, capsys):
    out = tmp_path / "pts.csv"
    assert main(["prove", str(EX / "brusselator.toml"), "--csv", str(out), "--quiet"]) == 0
    rows = list(csv.DictReader(io.StringIO(out.read_text())))
    assert tuple(rows[0]) == COLUMNS and len(rows) == 1
    r = rows[0]
    assert r["type"] == "H" and r["label"] == "H1" and r["branch"] == "0" and r["status"] == "proved"
    assert Decimal(r["parameter_lo"]) <= 2 <= Decimal(r["parameter_hi"])
    assert Decimal(r["omega_l1_lo"]) <= Decimal("-0.5") <= Decimal(r["omega_l1_hi"])     # omega = 1, l1 = -1/2
    assert (r["criticality"], r["orbits_side"], r["equilibrium_below"], r["equilibrium_above"]) == (
        "supercritical", ">", "stable", "unstable")
    printed = capsys.readouterr().out
    assert "special points" in printed and "H1" in printed and "branch points (BP) are not sought" in printed


def test_csv_path_checked_before_the_proof(tmp_path, capsys, monkeypatch):
    """--csv into a missing directory: one line, exit 2, before any proof runs (prove is never called)."""
    import symhopf.api as api
    monkeypatch.setattr(api, "prove", lambda *a, **k: pytest.fail("the proof ran before the output check"))
    out = tmp_path / "missing" / "pts.csv"
    assert main(["prove", str(EX / "brusselator.toml"), "--csv", str(out), "--quiet"]) == 2
    err = capsys.readouterr().err.strip()
    assert err == f"symhopf: error: --csv {out}: directory {out.parent} does not exist"


def test_csv_of_a_certificate_matches_its_enclosures():
    _, cert = cert_of("lorenz")
    rows = list(csv.DictReader(io.StringIO(to_csv(special_points(cert)))))
    hs = [r for r in rows if r["type"] == "H"]
    assert len(hs) == len(cert.hopf_points)
    for r, p in zip(hs, cert.hopf_points):
        assert [r["parameter_lo"], r["parameter_hi"]] == list(p.parameter)
        assert [r["l1_lo"], r["l1_hi"]] == list(p.first_lyapunov)
        lo, hi = (Fraction(Decimal(v)) for v in (r["omega_l1_lo"], r["omega_l1_hi"]))
        (o0, o1), (l0, l1) = p.omega.fractions(), p.first_lyapunov.fractions()
        assert lo <= min(o0 * l0, o0 * l1, o1 * l0, o1 * l1) and hi >= max(o0 * l0, o0 * l1, o1 * l0, o1 * l1)


# ------------------------------------------------------------------ --strict and --json -
def test_strict_exits_1_when_something_is_not_proved(tmp_path, capsys):
    assert main(["prove", str(EX / "brusselator.toml"), "--strict", "--quiet"]) == 0
    bautin = tmp_path / "bautin.toml"     # l1 = 0 at the Hopf point: never proved
    bautin.write_text('name = "bautin"\n[system]\nvariables = ["x", "y"]\nparameter = "b"\n'
                      'rhs = ["b*x - y + x*(x**2 + y**2)**2", "x + b*y + y*(x**2 + y**2)**2"]\n'
                      '[search]\nrange = ["-1/2", "1/3"]\n')
    assert main(["prove", str(bautin), "--quiet"]) == 0
    assert main(["prove", str(bautin), "--quiet", "--strict"]) == 1
    assert "not proved" in capsys.readouterr().out


def test_json_to_stdout_keeps_stdout_pure(capsys):
    assert main(["prove", str(EX / "brusselator.toml"), "--json", "-", "--quiet"]) == 0
    out, err = capsys.readouterr()
    d = json.loads(out)
    assert d["model"] == "brusselator" and "special points" in err and "brusselator: 1 Hopf" in err


def test_summary_prints_the_range_exactly_and_the_equilibrium_sides(tmp_path):
    assert exact_text(Fraction("1.999999999")) == "1.999999999" and exact_text(Fraction(-1, 3)) == "-1/3"
    assert exact_text(Fraction(3)) == "3" and exact_text(Fraction(1, 1024)) == "0.0009765625"
    model = symhopf.Model.from_toml(EX / "brusselator.toml")
    cert = prove(model, a_range=(Fraction("1.999999999"), Fraction(3)))
    text = summary(cert)
    assert "for b in [1.999999999, 3]" in text.splitlines()[0]
    assert "(supercritical); equilibrium stable below, unstable above" in text


# ------------------------------------------------------------------ the compact report
def tight_interval(tex: str) -> tuple[Fraction, Fraction]:
    """Read back report.tex_tight: ``head_{lo}^{hi}`` or ``[\\,lo,\\ \\allowbreak hi\\,]``."""
    from test_report import plain
    m = re.fullmatch(r"(.*)_\{(\d+)\}\^\{(\d+)\}", tex)
    if m:
        return Fraction(Decimal(m.group(1) + m.group(2))), Fraction(Decimal(m.group(1) + m.group(3)))
    m = re.fullmatch(r"\[\\,(.*),\\ \\allowbreak (.*)\\,\]", tex)
    if m:
        return tuple(Fraction(Decimal(plain(g))) for g in m.groups())
    return Fraction(Decimal(plain(tex))), Fraction(Decimal(plain(tex)))


@pytest.mark.parametrize("pair", [("-0.14632936851", "-0.14632936850"), ("6.350429720", "6.350429721"),
                                  ("1.9999999999", "2.0000000001"), ("-0.1", "0.2"), ("5", "5"),
                                  ("0.000012345671", "0.000012345679"), ("0.99999999", "1.0000001"),
                                  ("-7.5260458575e-5", "-7.5260458574e-5"), ("123.4567", "123.4568")])
@pytest.mark.parametrize("digits", [4, 8])
def test_tight_enclosures_contain_the_exact_one(pair, digits):
    lo, hi = tight_interval(report.tex_tight(pair, digits))
    assert lo <= Fraction(Decimal(pair[0])) and hi >= Fraction(Decimal(pair[1])) and lo <= hi
    assert report.tex_tight(("1.2345", "1.2367"), 5) == "1.23_{45}^{67}"


def test_compact_report_states_one_theorem_over_all_points():
    model, cert = cert_of("paper_n6")
    tex = report.render_report(cert, model, derive(model), style="compact")
    proved = [p for p in cert.hopf_points if p.status == "proved"]
    assert len(proved) >= 2
    assert tex.count(r"\begin{theorem}[Hopf bifurcations in") == 1 and r"\begin{theorem}[Hopf bifurcation $" not in tex
    assert tex.count(r"\begin{theorem}[verified diagonalisation") + tex.count(r"\begin{theorem}[Newton") == 1
    rows = re.findall(r"^\$H_\{(\d+)\}\$ & \$(.*?)\$ & \$(.*?)\$ & \$(.*?)\$ & \$(.*?)\$ & \$(.*?)\$ & "
                      r"(?:\w+ & )?\$([<>])\$ & (sub|super), ([su]) & ([su?])\\,/\\,([su?]) \\\\$", tex, re.M)
    assert [int(r[0]) for r in rows] == [k for k, p in enumerate(cert.hopf_points, 1) if p.status == "proved"]
    for r in rows:
        p = cert.hopf_points[int(r[0]) - 1]
        for cell, pair in zip(r[1:6], (p.parameter, p.omega, p.first_lyapunov, p.transversality,
                                       p.other_eigenvalues_real_part_max)):
            lo, hi = tight_interval(cell)
            assert lo <= pair.fractions()[0] and hi >= pair.fractions()[1], (cell, pair)
        c = report.consequence(p)
        assert r[6] == c["orbit_side"] and r[7] == c["kind"][:len(r[7])]
        assert (r[9], r[10]) == tuple(s[0] for s in equilibrium_sides(p))
    # the numbers of each theorem's hypothesis are in its table, as in the full form
    for p in proved:
        nums = report.family_numbers(p) if report.point_theorem(p) == report.FAMILY else report.nk_numbers(p)
        assert all(v in tex for v in nums.values() if "---" not in v)
    assert "Completeness, branch by branch" in tex and "branches it missed are not covered" in tex


def test_compact_report_lists_not_proved_candidates_with_reason():
    from test_report import bautin
    model = bautin()
    cert = prove(model)
    tex = report.render_report(cert, model, derive(model), style="compact")
    assert "No Hopf point was proved" in tex and report.tex_escape(cert.hopf_points[0].reason) in tex


def test_full_report_never_says_width_at_most_zero():
    from test_report import proved, rnn50
    model, cert, _ = proved("rnn50", rnn50)
    tex = report.render_report(cert, model, derive(model), style="full")
    assert "width at most\n$0$" not in tex and "width at most $0$" not in tex


def _pdftools() -> bool:
    return all(shutil.which(t) for t in ("pdflatex", "pdfinfo", "pdffonts", "pdftotext"))


@pytest.mark.skipif(not _pdftools(), reason="needs pdflatex and poppler-utils")
def test_paper_n50_compact_pdf(tmp_path):
    """The issue's acceptance: at most 6 pages, no Type 3 font, the command and the model hash inside."""
    tex = tmp_path / "n50.tex"
    argv = ["prove", str(EX / "paper_n50.toml"), "--json", str(tmp_path / "n50.json"), "--report", str(tex),
            "--pdf", "--quiet"]
    assert main(argv) == 0
    pdf = tex.with_suffix(".pdf")
    pages = int(re.search(r"Pages:\s+(\d+)", subprocess.run(["pdfinfo", pdf], capture_output=True,
                                                             text=True).stdout).group(1))
    assert pages <= 6
    fonts = subprocess.run(["pdffonts", pdf], capture_output=True, text=True).stdout
    assert "Type 3" not in fonts and "Type 1" in fonts
    lines = subprocess.run(["pdftotext", pdf, "-"], capture_output=True, text=True).stdout.splitlines()
    text = "".join("".join(ln.split()) for ln in lines if not ln.strip().isdigit())     # no page numbers
    sha = hashlib.sha256((EX / "paper_n50.toml").read_bytes()).hexdigest()
    assert sha in text and "seed80" in text and "symhopfverify" in text
    assert "symhopfprove" + str(EX / "paper_n50.toml").replace(" ", "").replace("-", "") in text.replace("-", "")
    assert "??" not in text
    assert not re.findall(r"Overfull \\hbox \((\d+\.\d+)pt", tex.with_suffix(".log").read_text(errors="replace"))


# ------------------------------------------------------------------ long formulas in vector form
def _expand(defs, e):
    for z, v in reversed(defs):
        e = e.xreplace({z: v})
    return e


def test_vector_form_names_expand_back_to_the_formulas():
    from symhopf.derive import common_terms, vector_form
    model = symhopf.Model.from_toml(EX / "paper_multilayer.toml")
    exprs = [f.expr for f in derive(model).formulas]
    defs, short = vector_form(exprs)
    assert [str(z) for z, _ in defs] == ["z_1", "z_2", "z_3"]
    terms, shorter = common_terms(short)
    names = [z for z, _ in defs + terms]
    for k, (z, v) in enumerate(defs + terms):          # each definition uses only earlier names
        assert not (v.free_symbols & set(names[k:])), z
    for e, s in zip(exprs, shorter):
        assert _expand(defs + terms, s) == e
    assert max(len(str(s)) for s in shorter) < 200
    single = [f.expr for f in derive(symhopf.Model.from_toml(EX / "paper_n4.toml")).formulas]
    assert vector_form(single) == ([], single)           # one layer: nothing renamed


@pytest.mark.skipif(shutil.which("pdflatex") is None, reason="needs pdflatex")
def test_multilayer_derive_latex_compiles(tmp_path, capsys):
    assert main(["derive", str(EX / "paper_multilayer.toml"), "--format", "latex"]) == 0
    (tmp_path / "f.tex").write_text(capsys.readouterr().out)
    (tmp_path / "doc.tex").write_text("\\documentclass{article}\\usepackage{amsmath,amssymb}\\allowdisplaybreaks\n"
                                      "\\begin{document}\n\\input{f.tex}\n\\end{document}\n")
    ok, msg = report.compile_pdf(tmp_path / "doc.tex")
    assert ok, msg


# ------------------------------------------------------------------ the docs' claims
@pytest.mark.parametrize("doc", ["README.md", "docs/tutorial.md", "docs/architectures/ode.md",
                                 "docs/architectures/leaky.md", "docs/architectures/multilayer.md",
                                 "docs/architectures/asymmetric.md"])
def test_docs_name_only_shipped_examples_and_run_modules_with_the_venv(doc):
    text = (ROOT / doc).read_text()
    for name in re.findall(r"examples/([A-Za-z0-9_]+)\.toml", text):
        assert (EX / f"{name}.toml").is_file(), name
    assert "the format is in `docs/internals.md`" not in text
    assert not re.search(r"(^|\$ )python generated/", text, re.M)          # outside the venv it fails


# ------------------------------------------------------------------ a document of several appendices
def test_appendices_state_shared_theorems_once(tmp_path):
    from test_report import brusselator
    a, b = brusselator("first"), brusselator("second")
    ca, cb = prove(a), prove(b)
    shared = report.stated(ca)
    assert shared == {"def": "symhopf-first", "nk": "symhopf-first"}
    first = report.write_report(ca, a, derive(a), tmp_path / "a.tex", appendix=True, style="compact")
    second = report.write_report(cb, b, derive(b), tmp_path / "b.tex", appendix=True, style="compact", shared=shared)
    ta, tb = first.read_text(), second.read_text()
    assert r"\begin{theorem}[Newton--Kantorovich" in ta and r"\begin{theorem}[Newton--Kantorovich" not in tb
    assert r"\begin{definition}[Hopf point]" not in tb and r"\begin{lemma}[spectral" not in tb
    assert r"\csname r@symhopf-second-nk\expandafter\endcsname\csname r@symhopf-first-nk\endcsname" in tb
    assert "are those of" in tb and r"\begin{theorem}[Hopf bifurcations in" in tb
    # a standalone report states everything, whatever it is given
    alone = report.render_report(cb, b, derive(b), style="compact", shared=shared)
    assert r"\begin{theorem}[Newton--Kantorovich" in alone and "are those of" not in alone
    if shutil.which("pdflatex") and shutil.which("pdftotext"):
        doc = tmp_path / "doc.tex"
        doc.write_text("\\documentclass{article}\n\\usepackage{" + report.APPENDIX_PACKAGES + "}\n\\begin{document}\n"
                       "\\input{a}\n\\input{b}\n\\end{document}\n")
        ok, msg = report.compile_pdf(doc)
        assert ok, msg
        assert "undefined" not in doc.with_suffix(".log").read_text(errors="replace")
        text = subprocess.run(["pdftotext", msg, "-"], capture_output=True, text=True).stdout
        assert "Theorem 2 (Newton–Kantorovich) and Lemma 3 (spectral separation) are those of" in " ".join(text.split())


def test_place_labels_never_overlap():
    """Labels of points closer than a label's width go to different levels; far ones stay low."""
    pts = [(0.0, 0.0), (3.0, 0.0), (6.0, 0.0), (100.0, 0.0), (101.0, 5.0)]
    texts = ["H1", "H2", "H10", "LP", "H3"]
    from symhopf.figure import place_labels
    offs = place_labels(pts, texts, width=4.2, height=7.0, step=9.1)
    boxes = [(x - 2.1 * len(t), x + 2.1 * len(t), y + o, y + o + 7.0) for (x, y), t, o in zip(pts, texts, offs)]
    for i, a in enumerate(boxes):
        for b in boxes[i + 1:]:
            assert a[1] <= b[0] or b[1] <= a[0] or a[3] <= b[2] or b[3] <= a[2], (a, b)
    assert offs[0] == 9.1 and len(set(offs[:3])) == 3


def test_diagram_component_is_checked_before_the_proof(tmp_path, capsys):
    assert main(["prove", str(EX / "brusselator.toml"), "--report", str(tmp_path / "r.tex"),
                 "--diagram-component", "3"]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err == "symhopf: error: --diagram-component: expected 1..2, got 3\n"
    assert main(["prove", str(EX / "brusselator.toml"), "--report", str(tmp_path / "r.tex"), "--quiet",
                 "--diagram-component", "2"]) == 0
    assert "the component $x_{2}$ of the equilibria" in (tmp_path / "r.tex").read_text()
