"""Every statement symhopf prints is true (issue 13, items 5 and 6).

- Each proved point states the theorem it used (``proof.theorem``) with that theorem's numbers,
  and those numbers satisfy its hypothesis exactly (tests/recheck.py; conftest.py re-checks every
  certificate the suite makes). The re-check itself is tested on certificates that must fail.
- The report's theorem sentence, exactly, for a family point and a Newton-Kantorovich point.
- Scope: the summary, certificate and report say "on the k branches found" and how they were sought.
"""
from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path
from types import SimpleNamespace

import pytest
from recheck import recheck, recheck_point, recheck_proof

from symhopf.api import prove, summary
from symhopf.certificate import Certificate, PointRecord
from symhopf.derive import derive
from symhopf.model import Model
from symhopf.report import nk_sentence, render_report, theorem_sentence

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
_RUNS: dict[str, tuple] = {}


def prove_candidate_of(stem: str):
    """A fresh per-point proof (HopfProof) of the first candidate of examples/<stem>.toml."""
    from symhopf.proof.hopf import prove_candidate
    from symhopf.search import find_candidates
    from symhopf.system import System
    system = System.from_model(Model.from_toml(EXAMPLES / f"{stem}.toml"))
    return prove_candidate(system, find_candidates(system).candidates[0])


def run(stem: str, a_range=None) -> tuple[Model, Certificate]:
    """(model, certificate) of examples/<stem>.toml from the real pipeline, once per session."""
    key = f"{stem} {a_range}"
    if key not in _RUNS:
        model = Model.from_toml(EXAMPLES / f"{stem}.toml")
        _RUNS[key] = (model, prove(model, a_range=a_range))
    return _RUNS[key]


# asymmetric4's point as the certificate states it (exact binary64 values, eps rounded up)
FAMILY_PROOF = {
    "method": "family proof ...", "theorem": "verified-diagonalisation", "precision_bits": 53,
    "radius": None, "Y": None, "Z1": None, "Z2": None, "uniqueness_radius": None,
    "disc_centre": ["-0.01358092110526547269255814853750052861869335174560546875",
                    "2.643512056833515533327272351016290485858917236328125"],
    "disc_radius": "3.62312250733633772476532016998944274425325552668741835304899723269045352935791015625E-15",
    "largest_disc_radius": "3.62312250733633772476532016998944274425325552668741835304899723269045352935791015625E-15",
    "disc_separation": "2.576444688371001490168055170215666294097900390625",
    "real_part_separation": "0.1271618422105284251788503979696542955935001373291015625",
    "delta": "3.35212217517326829823326559847121967383165304192604860844539871322922408580780029296875E-15",
    "g": "3.35212217517328801975589612376635496704578511158179043860627643880434334278106689453125E-15",
    "branch_slope": "1", "reference_parameter": "0", "eigenvector_error_bound": "1.40624889938045500E-15"}
NK_PROOF = {"method": "Newton-Kantorovich ...", "theorem": "newton-kantorovich", "precision_bits": 53,
            "radius": "8.8817841970012523E-16", "Y": "3.7278380965397861E-16", "Z1": "8.8099758193816786E-15",
            "Z2": "127.979593396186829", "uniqueness_radius": "0.00088817841970012523", "Z": "1.2E-13"}


def family_point(**proof) -> PointRecord:
    return PointRecord("proved", parameter=["0.013580921105261849", "0.013580921105269096"],
                       omega=["2.643512056833511", "2.643512056833520"], x=[["0", "0"]] * 4,
                       first_lyapunov=["-0.035", "-0.034"], transversality=["0.99", "1.01"],
                       criticality="supercritical", other_eigenvalues_real_part_max=["0.127", "0.128"],
                       proof={**FAMILY_PROOF, **proof})


def nk_point(**proof) -> PointRecord:
    return PointRecord("proved", parameter=["1.99999999999999911", "2.00000000000000089"],
                       omega=["0.99999999999999911", "1.0000000000000009"], x=[["0.9", "1.1"], ["1.9", "2.1"]],
                       first_lyapunov=["-0.51", "-0.49"], transversality=["0.49", "0.51"],
                       criticality="supercritical", proof={**NK_PROOF, **proof})


# ------------------------------------------------------------------ the re-check catches what it must
def test_recheck_accepts_the_two_theorems_as_stated():
    assert recheck_point(family_point(), (Fraction(-1, 20), Fraction(1, 20))) == []
    assert recheck_point(nk_point(), (Fraction(3, 2), Fraction(5, 2))) == []


def test_recheck_rejects_the_old_family_record():
    """Issue 13 item 5: the family numbers printed as Newton-Kantorovich's (radius = Y = disc radius,
    Z1 = delta, Z2 = eigenvector bound) give p(r) = r (Z1 + Z2 r) > 0."""
    rho = FAMILY_PROOF["disc_radius"]
    old = nk_point(radius=rho, Y=rho, Z1=FAMILY_PROOF["delta"], Z2=FAMILY_PROOF["eigenvector_error_bound"])
    problems = recheck_point(old, (Fraction(3, 2), Fraction(5, 2)))
    assert len(problems) == 1 and "p(r)" in problems[0] and "is not < 0" in problems[0]
    assert recheck_point(nk_point(theorem=None), (Fraction(3, 2), Fraction(5, 2))) == [
        "proof.theorem None names no theorem symhopf states"]


@pytest.mark.parametrize("change, why", [
    ({"disc_separation": FAMILY_PROOF["disc_radius"]}, "disc radius < disc separation"),
    ({"real_part_separation": "3E-15"}, "disc radius < real-part separation"),
    ({"delta": "0.5", "g": "1"}, "delta < 1/2"),
    ({"g": FAMILY_PROOF["delta"]}, "g >= delta / (1 - delta)"),
    ({"eigenvector_error_bound": "1.4E-15"}, "eigenvector bound"),
    ({"reference_parameter": "0.0000000000001"}, "parameter enclosure holds"),
    ({"disc_centre": [FAMILY_PROOF["disc_centre"][0], "2.6435120568335"]}, "omega enclosure holds"),
    ({"Z1": "1E-15"}, "Newton-Kantorovich number Z1"),
])
def test_recheck_rejects_a_false_family_hypothesis(change, why):
    problems = recheck_point(family_point(**change), (Fraction(-1, 20), Fraction(1, 20)))
    assert len(problems) == 1 and why in problems[0], problems


def test_recheck_compares_with_the_exact_range():
    """An enclosure 1e-17 below 3/10 is outside [3/10, 1], although float(3/10) is below it."""
    p = nk_point()
    p.parameter = ["0.29999999999999999", "0.3000000001"]
    cert = SimpleNamespace(model="m", range=[Fraction(3, 10), Fraction(1)], hopf_points=[p])
    assert float(p.parameter[0]) >= 0.3
    problems = recheck(cert)
    assert len(problems) == 1 and "not inside the exact range" in problems[0]
    p.parameter = ["0.3", "0.3000000001"]
    assert recheck(cert) == []


def test_every_certificate_a_test_makes_is_rechecked(_recheck_certificates):
    """The conftest hook records every certificate made in a test; one read from JSON is left to a
    checker (this one is false, and the hook must not fail the test for it)."""
    made = _recheck_certificates.certificates
    good = Certificate("m", "a", [Fraction(-1, 20), Fraction(1, 20)], [family_point()])
    bad = json.loads(good.to_json())
    bad["hopf_points"][0]["proof"]["delta"] = "0.5"
    read = Certificate.from_dict(bad)
    assert made == [good, read] and recheck(good) == [] and recheck(read)


def test_every_proved_point_the_prover_returns_is_rechecked(_recheck_certificates):
    """The hook records every HopfProof made in a test; recheck_proof finds a false one."""
    hp = prove_candidate_of("brusselator")
    assert hp in _recheck_certificates.proofs and hp.proved and recheck_proof(hp) == []
    hp.proof = {**hp.proof, "Y": hp.proof["radius"]}          # p(r) = r (Z1 + Z2 r) > 0: false as stated
    assert len(recheck_proof(hp)) == 1
    hp.status = "not_proved"                                   # (and not left proved for the hook)


@pytest.mark.false_certificates
def test_a_false_certificate_made_on_purpose_can_be_exempted():
    bad = Certificate("m", "a", [Fraction(-1, 20), Fraction(1, 20)], [family_point(delta="0.5")])
    assert recheck(bad) == ["m point 0: verified-diagonalisation: hypothesis delta < 1/2 fails",
                            "m point 0: verified-diagonalisation: hypothesis g >= delta / (1 - delta) fails"]


# ------------------------------------------------------------------ real runs: stated theorem, exact numbers
def test_family_point_states_the_diagonalisation_theorem():
    _, cert = run("asymmetric4")
    (p,) = [p for p in cert.hopf_points if p.status == "proved"]
    assert p.proof["theorem"] == "verified-diagonalisation"
    assert all(p.proof[k] is None for k in ("radius", "Y", "Z", "Z1", "Z2", "uniqueness_radius"))
    assert {"disc_centre", "disc_radius", "disc_separation", "real_part_separation", "largest_disc_radius", "delta",
            "g", "eigenvector_error_bound", "branch_slope", "reference_parameter"} <= set(p.proof)
    assert recheck(cert) == []
    back = json.loads(cert.to_json())["hopf_points"][0]["proof"]
    assert back["theorem"] == "verified-diagonalisation" and back["disc_radius"] == p.proof["disc_radius"]


def test_nk_point_states_the_nk_theorem():
    _, cert = run("brusselator")
    (p,) = cert.hopf_points
    assert p.status == "proved" and p.proof["theorem"] == "newton-kantorovich"
    assert "disc_radius" not in p.proof and recheck(cert) == []


def test_brusselator_point_just_outside_the_range_is_not_proved():
    _, cert = run("brusselator", (Fraction(2) + Fraction(1, 10 ** 16), Fraction(3)))
    (p,) = cert.hopf_points
    assert p.status == "not_proved" and "the range" in p.reason
    assert recheck(cert) == []


# ------------------------------------------------------------------ the report's theorem sentence, exactly
def test_theorem_sentence_of_a_family_point():
    assert theorem_sentence(family_point(), "L", r"\alpha") == (
        r"Theorem~\ref{L-fam} applies to the constant branch $x_0 = x^*$ with $c = 1$ and ${\alpha}_r = 0$: "
        r"$\delta \le 3.353\cdot 10^{-15} < 1/2$, $g \le 3.353\cdot 10^{-15}$, and the disc of centre "
        r"$\lambda_k \approx -0.013581 + 2.64351\,i$ has radius $\rho_k \le 3.624\cdot 10^{-15}$, disc separation "
        r"$\sigma_k \ge 2.576 > \rho_k$, real-part separation $\tau_k \ge 0.1271 > \rho_k$ and eigenvector error "
        r"bound $\varepsilon_k \le 1.407\cdot 10^{-15}$ (exact values in the JSON certificate).")


def test_theorem_sentence_without_the_numbers_of_its_theorem():
    """A certificate written before points stated their theorem (the old family record) says so."""
    old = family_point()
    old.proof = {"method": "family proof on a verified constant branch ...", "radius": "1E-15", "Y": "1E-15",
                 "Z1": "1E-15", "Z2": "1E-15"}
    assert "does not record the numbers of the theorem" in theorem_sentence(old, "L", "a_{1}")
    assert "${a_{1}}_r = 0$" in theorem_sentence(family_point(), "L", "a_{1}")     # no double subscript


def test_theorem_sentence_of_an_nk_point():
    assert theorem_sentence(nk_point(), "L", "b") == (
        r"Theorem~\ref{L-nk} applies to \eqref{L-G} with $Y \le 3.728\cdot 10^{-16}$, $Z_1 \le 8.81\cdot 10^{-15}$, "
        r"$Z_2 \le 128$ and $r = 8.881\cdot 10^{-16}$, for which $p(r) = Y + (Z_1 + Z_2 r - 1)\,r < 0$ holds exactly "
        r"in these numbers (bounds computed in ball arithmetic at 53 bits).")


def test_theorem_sentence_prints_enough_digits_for_the_hypothesis():
    """p(r) = 0.2400001 - 0.5 * 0.4800003 < 0, but not with Y rounded up and r rounded down to 4-6 digits."""
    p = nk_point(Y="0.2400001", Z1="0.5", Z2="0", radius="0.48000030")
    assert "$Y \\le 0.2400001$" in nk_sentence(p, "L") and "$r = 0.4800003$" in nk_sentence(p, "L")


def test_report_states_each_points_theorem():
    model, cert = run("asymmetric4")
    tex = render_report(cert, model, derive(model))
    assert r"\begin{theorem}[verified diagonalisation on a constant branch]" in tex
    assert "Newton--Kantorovich" not in tex and "p(r) < 0" not in tex
    assert theorem_sentence(cert.hopf_points[0], "symhopf-asymmetric4", r"\alpha") in tex
    model, cert = run("brusselator")
    tex = render_report(cert, model, derive(model))
    assert r"\begin{theorem}[Newton--Kantorovich, radii polynomial]" in tex and "verified diagonalisation" not in tex
    assert theorem_sentence(cert.hopf_points[0], "symhopf-brusselator", "b") in tex


# ------------------------------------------------------------------ scope: the branches found, how they were sought
def test_summary_says_on_the_branches_found():
    _, cert = run("brusselator")
    lines = summary(cert).splitlines()
    assert lines[0] == "brusselator: 1 Hopf candidate(s) for b in [1.5, 2.5] on the 1 branch found, 1 proved"
    assert lines[1] == ("  branches sought by a float search (not a proof) at 33 values of b, from 0 guess(es), "
                        "the box centre and 64 random box points each; branches it missed are not covered")
    assert lines[2] == "  no global statement (every Hopf point in a box): budget of 200 boxes exhausted"
    assert lines[3] == "  branch 0 (curve): 1 proved Hopf point(s); list of proved Hopf points proved complete for this branch in the range"
    _, cert = run("lorenz")
    k = len(cert.branches)
    assert k > 1 and f"on the {k} branches found" in summary(cert).splitlines()[0]


def test_certificate_records_how_branches_were_sought():
    _, cert = run("brusselator")
    s = json.loads(cert.to_json())["search"]
    assert s["seed_parameters"] == [1.5 + k / 32 for k in range(33)]
    assert s["box"] == [[-10.0, -10.0], [10.0, 10.0]] and s["samples_per_seed_parameter"] == 64
    assert s["guesses"] == [] and s["branches_found"] == len(cert.branches) == 1
    assert "not a proof" in s["method"] and "branches the search did not find are not covered" in s["scope"]


def test_report_says_branches_not_found_are_not_covered():
    model, cert = run("brusselator")
    tex = render_report(cert, model, derive(model))
    assert "on the 1 equilibrium branch it found" in tex
    assert "Equilibrium branches that the search did not find are not covered" in tex
    assert "All Hopf candidates" not in tex


@pytest.mark.parametrize("path", ["README.md", "docs/tutorial.md", "docs/paper.md", "docs/internals.md",
                                  "docs/architectures/ode.md", "docs/architectures/leaky.md",
                                  "docs/architectures/multilayer.md", "docs/architectures/asymmetric.md",
                                  "templates/report.tex.jinja", "symhopf/api.py", "symhopf/cli.py",
                                  "symhopf/__init__.py", "examples/demo.py"])
def test_no_full_inventory_wording(path):
    """Nothing reads as "these are all Hopf points in the range" (issue 13 item 6)."""
    text = " ".join((ROOT / path).read_text().split()).lower()
    for phrase in ("every hopf candidate on every", "finds every hopf", "find every hopf", "prove every hopf",
                   "all hopf candidates found", "every equilibrium branch in range", "search every candidate",
                   "every hopf point in the", "every hopf point in range"):
        assert phrase not in text, f"{path}: {phrase!r}"


def test_nk_numbers_keep_the_hypothesis_when_rounding_would_lose_it():
    """Y just below r / 2 (Z1 = 1/2, Z2 = 0): 17 digits, Y up and r down, give p(r) > 0, so the
    certificate prints the exact binary values, for which p(r) < 0 was proved."""
    from flint import arb, ctx

    from symhopf.certificate import proof_record
    with ctx.workprec(200):
        r = (arb(1) / 3).upper()
        Y = (r / 2 - arb(2) ** -100).upper()
        info = {"theorem": "newton-kantorovich", "Y": Y, "Z1": arb(0.5), "Z2": arb(0), "radius": r}
        proof = proof_record(info)
    assert len(proof["radius"]) > 50 and len(proof["Y"]) > 50
    p = nk_point(**{k: proof[k] for k in ("Y", "Z1", "Z2", "radius")})
    assert recheck_point(p, (Fraction(3, 2), Fraction(5, 2))) == []


# ------------------------------------------------------------------ the family record's own isolation check
def _disc_data(lam, rho):
    import numpy as np
    from flint import arb

    from symhopf.proof import family
    lam, n = np.array(lam, complex), len(lam)
    partner = np.arange(n)
    for j in range(n):
        if lam[j].imag > 0:
            partner[j], partner[j + 1] = j + 1, j
    diag = family.Diagonalisation(True, "", lam=lam, rho=np.array(rho, float), delta=1e-15, g=1.1e-15,
                                  partner=partner)
    return family.FamilyData(True, "", c=arb(1), a_r=arb(0), diag=diag)


def test_disc_record_states_lower_bounds_of_the_separations():
    from symhopf.certificate import exact_fraction
    from symhopf.proof.family import disc_record
    rec = disc_record(_disc_data([1j, -1j, -3, -5], [0.01, 0.01, 0.02, 0.03]), 0)
    sigma, tau = Fraction(rec["disc_separation"]), Fraction(rec["real_part_separation"])
    true_sigma = Fraction(2) - Fraction(0.01)                       # to the conjugate disc
    true_tau = Fraction(3) - Fraction(0.02)                         # to the disc at -3
    assert true_sigma * (1 - Fraction(1, 10 ** 15)) <= sigma <= true_sigma
    assert true_tau * (1 - Fraction(1, 10 ** 15)) <= tau <= true_tau
    eps, bound = exact_fraction(rec["eigenvector_error_bound"]), Fraction(0.03) / (sigma - Fraction(0.01) + Fraction(0.03))
    assert bound <= eps <= bound * (1 + Fraction(1, 10 ** 14))


def test_disc_record_rejects_a_disc_covered_by_a_far_larger_one():
    """Discs sorted by centre: (0, 0.01), (0.1, 0.001), (0.5, 10). The big disc covers the pair's disc
    although its centre lies beyond a disc that does not meet it (issue 13 item 3's sweep case): the
    record's exact separation check refuses the point whatever the isolation flags say."""
    from symhopf.proof.family import disc_record
    why = disc_record(_disc_data([1j, -1j, 0.1, 0.5], [0.01, 0.01, 0.001, 10.0]), 0)
    assert why == "spectrum: eigenvalue disc of the pair not isolated (disc radius >= disc separation)"
    why = disc_record(_disc_data([1j, -1j, 0.005], [0.01, 0.01, 0.001]), 0)      # real parts overlap
    assert why == ("spectrum: another eigenvalue may lie on the imaginary axis "
                   "(real-part separation <= disc radius)")
