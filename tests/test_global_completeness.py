"""Issue 16: global completeness over box x range (proof/global_.py): proved for the done-when
systems, refused where a branch is missing, and re-checkable from the certificate."""
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

import symhopf.api as api
from symhopf.api import prove, summary
from symhopf.model import Model
from symhopf.search import find_candidates
from symhopf.system import System

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def _prove_global(model: Model, budget: int, monkeypatch):
    monkeypatch.setenv("SYMHOPF_GLOBAL_BUDGET", str(budget))
    return prove(model)


@pytest.mark.parametrize("name, n_points, budget", [("brusselator", 1, 40000), ("fitzhugh_nagumo3", 2, 10000),
                                                    ("leaky3_bias", 1, 10000)])
def test_global_completeness_proved(name, n_points, budget, monkeypatch):
    model = Model.from_toml(EXAMPLES / f"{name}.toml")
    cert = _prove_global(model, budget, monkeypatch)
    g = cert.global_completeness
    assert g["proved"], g["reason"]
    assert sum(p.status == "proved" for p in cert.hopf_points) == n_points
    assert all(b["completeness"]["proved"] for b in cert.branches)
    # exact box and range, as the search recorded them: re-checkable from the certificate
    assert g["range"] == [str(v) for v in model.range]
    assert [[Fraction(lo), Fraction(hi)] for lo, hi in g["box"]] == \
        [[Fraction(lo), Fraction(hi)] for lo, hi in zip(*cert.search["box"])]
    assert "every Hopf point with x in [" in summary(cert) and "is listed" in summary(cert)


def test_lorenz_three_branches_global(monkeypatch):
    """Lorenz, rho in [20, 30] (pitchfork at rho = 1 outside): the origin and C+-, in a box holding C+-."""
    model = Model.from_toml(EXAMPLES / "lorenz.toml")
    model.search.box = (np.array([-12.0, -12.0, -1.0]), np.array([12.0, 12.0, 31.0]))
    cert = _prove_global(model, 20000, monkeypatch)
    assert len(cert.branches) == 3 and all(b["completeness"]["proved"] for b in cert.branches)
    assert [p.status for p in cert.hopf_points] == ["proved", "proved"]
    assert cert.global_completeness["proved"], cert.global_completeness["reason"]
    assert cert.global_completeness["box"] == [["-12", "12"], ["-12", "12"], ["-1", "31"]]


def test_crippled_search_gets_no_global_statement(monkeypatch):
    """Two disjoint branches x = 0 and x = 3, each with a Hopf point at a = 0 (mu = (x - 1) a in the
    normal form, no other equilibria). A search told to miss the second one must not get the global
    statement."""
    model = Model.ode(["x", "y", "z"], ["x*(x - 3)", "(x - 1)*a*y - z - y*(y**2 + z**2)",
                                        "y + (x - 1)*a*z - z*(y**2 + z**2)"], "a", range=["-1/2", "1/2"],
                      search={"box": [[-1, 4], [-2, 2], [-2, 2]]})
    system = System.from_model(model)
    full = find_candidates(system)
    assert len(full.branches) == 2
    real = api.find_candidates

    def crippled(system, **kw):
        r = real(system, **kw)
        r.branches = [b for b in r.branches if abs(b.x[0][0]) < 1]
        r.candidates = [c for c in r.candidates if abs(c.x[0]) < 1]
        return r

    monkeypatch.setattr(api, "find_candidates", crippled)
    cert = _prove_global(model, 20000, monkeypatch)
    assert len(cert.branches) == 1
    assert not cert.global_completeness["proved"]
    why = cert.global_completeness["reason"]
    assert why == "budget of 20000 boxes exhausted" \
        or ("nor glued to a branch proved complete" in why and "around (x, a) = (3," in why)   # at the missed branch
    assert "no global statement" in summary(cert)
    monkeypatch.setattr(api, "find_candidates", real)
    cert = _prove_global(model, 20000, monkeypatch)
    assert len(cert.branches) == 2 and cert.global_completeness["proved"], cert.global_completeness["reason"]


def test_refused_in_one_line_beyond_the_dimension(monkeypatch):
    W = np.diag([-1.0] * 7) + np.diag([1.0] * 6, 1) - np.diag([1.0] * 6, -1)
    cert = _prove_global(Model.rnn("leaky", weights=W, bias=[0.1] * 7, range=[0, 1]), 1000, monkeypatch)
    assert cert.global_completeness["proved"] is False
    assert cert.global_completeness["reason"] == "global completeness not attempted: implemented for n <= 6"


def test_budget_stops_the_check_deterministically(monkeypatch):
    model = Model.from_toml(EXAMPLES / "brusselator.toml")
    g1 = _prove_global(model, 50, monkeypatch).global_completeness
    g2 = _prove_global(model, 50, monkeypatch).global_completeness
    assert not g1["proved"] and g1["reason"] == "budget of 50 boxes exhausted" and g1 == g2


def test_global_budget_option(tmp_path):
    """--global-budget 0 skips the check and says so; a negative budget is one line, exit 2."""
    import subprocess
    import sys
    exe = Path(sys.executable).with_name("symhopf")
    model = EXAMPLES / "brusselator.toml"
    r = subprocess.run([str(exe), "prove", str(model), "--quiet", "--global-budget", "0"],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    assert "  no global statement (every Hopf point in a box): global completeness not attempted: " \
           "its budget is 0 boxes" in r.stdout.splitlines()
    r = subprocess.run([str(exe), "prove", str(model), "--global-budget", "-1"],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 2 and r.stderr.strip() == \
        "symhopf: error: --global-budget: expected a number of boxes >= 0, got -1"


def test_default_skips_n_above_3_and_budget_counts_exactly(monkeypatch):
    """Without a budget the check is not run for n > 3 (it says so); an exhausted budget of B boxes
    records exactly B boxes examined."""
    monkeypatch.delenv("SYMHOPF_GLOBAL_BUDGET", raising=False)
    cert = prove(Model.from_toml(EXAMPLES / "asymmetric4.toml"))
    g = cert.global_completeness
    assert not g["proved"] and g["reason"] == ("global completeness not attempted by default for n > 3 "
                                               "(--global-budget BOXES runs it for n <= 6)")
    cert = prove(Model.from_toml(EXAMPLES / "asymmetric4.toml"), global_budget=37)
    g = cert.global_completeness
    assert g["reason"] == "budget of 37 boxes exhausted" and g["boxes"] == 37 and g["budget"] == 37


def test_verify_lists_a_proved_global_statement_as_not_checked(tmp_path, monkeypatch):
    """x' = a - x^2 on a in [-1, 1]: two half-branches from the fold, no Hopf point; the global
    statement is proved, and `symhopf verify` says it does not re-check it."""
    from symhopf.checker import verify
    monkeypatch.setenv("SYMHOPF_GLOBAL_BUDGET", "5000")
    model = Model.ode(["x"], ["a - x**2"], "a", range=[-1, 1])
    cert = prove(model)
    assert cert.global_completeness["proved"], cert.global_completeness["reason"]
    path = tmp_path / "c.json"
    path.write_text(cert.to_json())
    v = verify(path)
    assert v.ok and any(u.startswith("global completeness: every Hopf point with x in the box") for u in v.unchecked)
