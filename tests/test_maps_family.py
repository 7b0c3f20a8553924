"""The family proof of the NS points of a linear constant branch (symhopf/proof/ns_family.py): Elman nets
x' = tanh(a W x) at x = 0, against independent 50-digit values; completeness of the list; cases that must not be
proved (1:4 resonance, a double NS point, a crossing on or 1e-16 beside a range end); re-check of the theorem."""
from __future__ import annotations

import json
from fractions import Fraction

import mpmath as mp
import numpy as np
import pytest
from recheck import recheck

from symhopf.api import prove, summary
from symhopf.certificate import Certificate
from symhopf.model import Model

mp.mp.dps = 50
FAMILY = "verified-diagonalisation"


def contains(pair, value) -> bool:
    lo, hi = (mp.mpf(s) for s in pair)
    return lo <= value <= hi


def elman(tmp_path, W, rng: str, formula: str = "tanh(a * (W @ x))") -> Model:
    text = W if isinstance(W, str) else "[" + ", ".join("[" + ", ".join(str(v) for v in r) + "]" for r in W) + "]"
    path = tmp_path / "elman.toml"
    path.write_text(f'name = "elman"\n[rnn]\nformula = "{formula}"\nparameter = "a"\ntime = "discrete"\n'
                    f'[rnn.data]\nW = {text}\n[search]\nrange = {rng}\nbox = [-1, 1]\n')
    return Model.from_toml(path)


def expected_points(W: list[list[str]], lo: str, hi: str) -> list[dict]:
    """Every NS point of x' = tanh(a W x) at x = 0 with a in [lo, hi], at 50 digits: for each eigenvalue lam of
    W with a = s / |lam| in the range (s = sign Im lam), the critical multiplier a lam, theta = arg(a lam),
    d|mu|/da = s |lam|, d = (1/2) Re(conj(mu) <p, C(q, q, conj q)>), C(u, v, w) = -2 (aWu)(aWv)(aWw) (tanh''' = -2,
    B = 0), computed with the right and left eigenvectors v, l (W v = lam v, l W = lam l, by two steps of inverse
    iteration at the 50-digit eigenvalue) unnormalised: <p, C(q, q, conj q)> = l C(v, v, conj v) / (l v |v|^2);
    the other multipliers' moduli |a lam_k|."""
    Wm = mp.matrix([[mp.mpf(s) for s in row] for row in W])
    n = Wm.rows
    E = mp.eig(Wm, left=False, right=False)
    ones = mp.matrix([1] * n)
    out = []
    for k, lam in enumerate(E):
        if abs(mp.im(lam)) < mp.mpf(10) ** -30:
            continue
        s = 1 if mp.im(lam) > 0 else -1
        a = s / abs(lam)
        if not mp.mpf(lo) <= a <= mp.mpf(hi):
            continue
        mu = a * lam
        shift = lam * (1 + mp.mpf(10) ** -30)        # an exact eigenvalue would make the solve singular
        v = mp.lu_solve(Wm - shift * mp.eye(n), mp.lu_solve(Wm - shift * mp.eye(n), ones))
        l = mp.lu_solve(Wm.T - shift * mp.eye(n), mp.lu_solve(Wm.T - shift * mp.eye(n), ones))
        assert mp.norm(Wm * v - lam * v) < mp.mpf(10) ** -40 * mp.norm(v)
        assert mp.norm(Wm.T * l - lam * l) < mp.mpf(10) ** -40 * mp.norm(l)
        Wv, Wvb = a * (Wm * v), a * (Wm * mp.matrix([mp.conj(t) for t in v]))
        C = mp.matrix([-2 * Wv[i] * Wv[i] * Wvb[i] for i in range(n)])
        lC = sum(l[i] * C[i] for i in range(n))
        lv = sum(l[i] * v[i] for i in range(n))
        nv2 = sum(abs(v[i]) ** 2 for i in range(n))
        d = mp.re(mp.conj(mu) * lC / (lv * nv2)) / 2
        others = sorted(abs(a * E[i]) for i in range(n) if i != k and abs(E[i] - mp.conj(lam)) > mp.mpf(10) ** -30)
        out.append({"a": a, "theta": mp.arg(mu), "d": d, "dmod": s * abs(lam), "others": others})
    return sorted(out, key=lambda p: p["a"])


def check_against(cert: Certificate, expected: list[dict]) -> None:
    """The zero branch lists exactly the expected points, all proved by the family theorem, enclosures holding the
    50-digit values, and its list is proved complete."""
    zero = [b for b in cert.branches if b["completeness"]["method"] and "linear constant" in b["completeness"]["method"]]
    assert len(zero) == 1, summary(cert)
    pts = sorted((cert.hopf_points[i] for i in zero[0]["hopf_points"]), key=lambda p: Fraction(p.parameter[0]))
    assert len(pts) == len(expected) > 0
    for p, e in zip(pts, expected):
        assert p.status == "proved" and p.proof["theorem"] == FAMILY, p.reason
        assert contains(p.parameter, e["a"]) and contains(p.theta, e["theta"])
        assert contains(p.first_lyapunov, e["d"]) and contains(p.transversality, e["dmod"])
        assert p.criticality == ("supercritical" if e["d"] < 0 else "subcritical")
        assert all(contains(x, 0) and Fraction(x[0]) == Fraction(x[1]) == 0 for x in p.x)
        got = sorted(p.other_multipliers_modulus, key=lambda m: Fraction(m[0]))
        assert len(got) == len(e["others"]) and all(contains(m, v) for m, v in zip(got, e["others"]))
    assert zero[0]["completeness"]["proved"] and zero[0]["completeness"]["reason"].startswith("proved")
    assert recheck(cert) == []


W3 = [["0.5", "-1.2", "0.3"], ["1.0", "0.2", "-0.4"], ["0.1", "0.6", "0.3"]]


def test_elman_n3_family_proof_against_50_digits(tmp_path):
    cert = prove(elman(tmp_path, W3, "[0.2, 2.0]"))
    check_against(cert, expected_points(W3, "0.2", "2.0"))
    p = cert.hopf_points[0]
    assert set(p.proof) >= {"disc_centre", "disc_radius", "disc_separation", "modulus_separation", "delta", "g",
                            "eigenvector_error_bound", "parameter_sign"}
    assert p.proof["Y"] is None and p.proof["radius"] is None


def test_elman_n3_negative_parameters(tmp_path):
    """a in [-2, -0.2]: the pair crosses at a = -1/|lam|, theta = pi - arg lam, d|mu|/da = -|lam|."""
    cert = prove(elman(tmp_path, W3, "[-2.0, -0.2]"))
    exp = expected_points(W3, "-2.0", "-0.2")
    assert len(exp) == 1 and exp[0]["dmod"] < 0
    check_against(cert, exp)


def test_elman_n50_family_every_point_against_50_digits(tmp_path):
    W = np.round(np.random.default_rng(1).normal(size=(50, 50)) / np.sqrt(50), 3)
    text = [[f"{v:.3f}" for v in r] for r in W]
    cert = prove(elman(tmp_path, "[" + ", ".join("[" + ", ".join(r) + "]" for r in text) + "]", "[0.5, 1.5]"))
    exp = expected_points(text, "0.5", "1.5")
    assert len(exp) == 13
    check_against(cert, exp)


# ------------------------------------------------------------------ what must not be proved
def _zero_branch(cert: Certificate):
    zero = [b for b in cert.branches if b["completeness"]["method"] and "linear constant" in b["completeness"]["method"]]
    assert len(zero) == 1, summary(cert)
    return zero[0], [cert.hopf_points[i] for i in zero[0]["hopf_points"]]


def test_one_to_four_resonance_is_not_proved_and_the_list_not_complete(tmp_path):
    """W with the pair +-2i (theta = pi/2 at a = 1/2) and a real eigenvalue: strong resonance 1:4."""
    cert = prove(elman(tmp_path, [["0", "-2", "0"], ["2", "0", "0.1"], ["0", "0", "0.5"]], "[0.2, 1.0]"))
    b, pts = _zero_branch(cert)
    assert len(pts) == 1 and pts[0].status == "not_proved" and "1:4" in pts[0].reason
    assert not b["completeness"]["proved"] and "not a proved" in b["completeness"]["reason"]
    assert recheck(cert) == []


def test_near_one_to_four_is_proved(tmp_path):
    """theta = atan2(2, 1e-9) = pi/2 - 5e-10: no resonance, proved (the check is not a blunt tolerance)."""
    cert = prove(elman(tmp_path, [["0.000000001", "-2", "0"], ["2", "0.000000001", "0"], ["0", "0", "0.5"]],
                       "[0.2, 1.0]"))
    b, pts = _zero_branch(cert)
    assert [p.status for p in pts] == ["proved"] and b["completeness"]["proved"]
    assert mp.mpf(pts[0].theta[1]) < mp.pi / 2


def test_double_ns_point_is_not_proved(tmp_path):
    """Two pairs of equal modulus 2 (1.2 +- 1.6i and 1.6 +- 1.2i, different angles): both cross at a = 1/2, where
    four multipliers lie on the unit circle; neither is a simple NS point, the list is not complete."""
    W = [["1.2", "-1.6", "0", "0"], ["1.6", "1.2", "0", "0"], ["0", "0", "1.6", "-1.2"], ["0", "0", "1.2", "1.6"]]
    cert = prove(elman(tmp_path, W, "[0.2, 1.0]"))
    b, pts = _zero_branch(cert)
    assert len(pts) == 2 and all(p.status == "not_proved" and "unit circle" in p.reason for p in pts)
    assert all(p.status == "not_proved" for p in cert.hopf_points)
    assert not b["completeness"]["proved"]


R = [["1.2", "-1.6", "0"], ["1.6", "1.2", "0"], ["0", "0", "0.5"]]      # 1.2 +- 1.6i: |lam| = 2 exactly, a* = 1/2


@pytest.mark.parametrize("lo", ["0.5", "0.5000000000000001", "0.4999999999999999", "0.50000000000001",
                                "0.49999999999999"])
def test_crossing_on_or_beside_the_range_end(tmp_path, lo):
    """a* = 1/2 exactly (exact decimal weights). On the end: undecided, not proved, list not complete. 1e-16
    outside or inside: either decided (outside: no point, complete; inside: proved, complete) or undecided (not
    proved, not complete); never proved outside the range nor complete with an undecided crossing. 1e-14
    outside or inside: decided (the enclosure of a* is ~3e-16 wide)."""
    cert = prove(elman(tmp_path, R, f"[{lo}, 1.0]"))
    b, pts = _zero_branch(cert)
    proved = [p for p in cert.hopf_points if p.status == "proved"]
    assert all(Fraction(lo) <= Fraction(p.parameter[0]) for p in proved)
    if lo == "0.5":
        assert len(pts) == 1 and not proved and "end of the range" in pts[0].reason
        assert not b["completeness"]["proved"]
    elif lo == "0.5000000000000001":
        assert not proved
        assert b["completeness"]["proved"] == (pts == []), b["completeness"]["reason"]
    elif lo == "0.4999999999999999":
        assert len(pts) == 1
        assert b["completeness"]["proved"] == (pts[0].status == "proved")
        assert pts[0].status == "proved" or "end of the range" in pts[0].reason
    elif lo == "0.50000000000001":
        assert pts == [] and not proved and b["completeness"]["proved"]
    else:
        assert [p.status for p in pts] == ["proved"] and b["completeness"]["proved"]
        assert contains(pts[0].parameter, mp.mpf(1) / 2)
    assert recheck(cert) == []


def test_quadratic_term_falls_back_to_the_per_point_proof(tmp_path):
    """tanh(a W x) + (a W x)^2 / 100: B != 0 at x = 0, so the family theorem (B = 0) does not apply: the point is proved
    by the Krawczyk test and the list is not claimed complete, with the reason."""
    cert = prove(elman(tmp_path, W3, "[0.2, 2.0]", formula="tanh(a * (W @ x)) + (a * (W @ x))**2 / 100"))
    assert [p.proof["theorem"] for p in cert.hopf_points if p.status == "proved"] == ["krawczyk"]
    assert not any(b["completeness"]["proved"] for b in cert.branches)
    assert any("B = 0" in b["completeness"]["reason"] for b in cert.branches)


def test_recheck_catches_false_family_numbers(tmp_path):
    cert = prove(elman(tmp_path, W3, "[0.2, 2.0]"))
    good = json.loads(cert.to_json())
    assert recheck(Certificate.from_dict(good)) == []
    p = good["hopf_points"][0]
    a_lo, a_hi = (Fraction(v) for v in p["parameter"])
    t_lo, t_hi = (Fraction(v) for v in p["theta"])
    m_lo, m_hi = (Fraction(v) for v in p["transversality"])
    for path, value, why in (
            (("parameter",), [str(float((a_lo + a_hi) / 2)), p["parameter"][1]], "parameter enclosure"),
            (("theta",), [p["theta"][0], str(float((t_lo + t_hi) / 2))], "theta enclosure"),
            (("transversality",), [str(float((m_lo + m_hi) / 2)), p["transversality"][1]], "transversality"),
            (("proof", "modulus_separation"), "1e-17", "modulus separation"),
            (("proof", "disc_separation"), "1e-17", "disc separation"),
            (("proof", "delta"), "0.6", "delta < 1/2"),
            (("proof", "parameter_sign"), -1, "parameter sign"),
            (("proof", "Y"), "0", "Krawczyk number"),
            (("other_multipliers_modulus",), [], "n - 2 other moduli")):
        bad = json.loads(cert.to_json())
        target = bad["hopf_points"][0]
        for k in path[:-1]:
            target = target[k]
        target[path[-1]] = value
        assert any(why in w for w in recheck(Certificate.from_dict(bad))), path


def test_report_names_the_family_theorem_and_completeness_and_compiles(tmp_path):
    import shutil

    from symhopf.report import compile_pdf
    from symhopf.report_maps import write_map_report
    model = elman(tmp_path, W3, "[0.2, 2.0]")
    cert = prove(model)
    text = write_map_report(cert, model, tmp_path / "e.tex").read_text()
    assert r"\label{thm:family}" in text and r"Theorem~\ref{thm:family} with the disc centre" in text
    assert "proved complete (Theorem~\\ref{thm:family})" in text
    assert "invariant closed curve" in text and "periodic orbit" not in text
    assert r"Theorem~\ref{thm:krawczyk} with" not in text
    rho = cert.hopf_points[0].proof["disc_radius"]
    assert rho.split("E")[0][:12] in text.replace(r"\,\allowbreak ", "")
    if shutil.which("pdflatex"):
        ok, message = compile_pdf(tmp_path / "e.tex")
        assert ok, message


def test_repeated_eigenvalue_pair_is_not_proved_and_not_complete(tmp_path):
    """W = diag(R, R): the pair 1.2 +- 1.6i twice (discs with the same centre: not isolated). Neither the family
    nor the per-point proof may call the crossing at a = 1/2 a simple NS point; the list is not complete."""
    W = [["1.2", "-1.6", "0", "0"], ["1.6", "1.2", "0", "0"], ["0", "0", "1.2", "-1.6"], ["0", "0", "1.6", "1.2"]]
    cert = prove(elman(tmp_path, W, "[0.2, 1.0]"))
    assert not any(p.status == "proved" for p in cert.hopf_points), summary(cert)
    zero = [b for b in cert.branches if "overlaps another disc" in b["completeness"]["reason"]]
    assert len(zero) == 1 and not zero[0]["completeness"]["proved"]


from hypothesis import given, settings, strategies as st  # noqa: E402


@settings(max_examples=25, deadline=None, derandomize=True, database=None)
@given(st.lists(st.integers(-20, 20), min_size=9, max_size=9), st.sampled_from([("0.2", "2"), ("-2", "-0.2"), ("-1.5", "1.5")]))
def test_property_every_crossing_listed_and_proved_points_hold_50_digit_values(tmp_path_factory, entries, rng):
    """Random 3 x 3 W (entries k/10): the zero branch's list has exactly one entry per complex eigenvalue lam with
    sign(Im lam)/|lam| strictly inside the range (50-digit mpmath; a crossing within 1e-30 of an end is skipped);
    every proved entry holds the 50-digit (a, theta, d); 'complete' only when every entry is proved."""
    from symhopf.proof import ns_family
    from symhopf.system import System
    W = [[f"{entries[3 * i + j] / 10:.1f}" for j in range(3)] for i in range(3)]
    lo, hi = rng
    model = elman(tmp_path_factory.mktemp("w"), W, f"[{lo}, {hi}]")
    system = System.from_model(model)
    br = ns_family.structure(system, np.zeros(3), model.range)
    if not br.ok:
        assert "diagonalisation" in br.reason     # e.g. a defective W; the structure itself always holds
        return
    out = ns_family.prove_branch(system, br)
    Wm = mp.matrix([[mp.mpf(v) for v in r] for r in W])
    E = mp.eig(Wm, left=False, right=False)
    near_end = any(abs(abs(mp.sign(mp.im(e)) / abs(e)) - abs(mp.mpf(b))) < mp.mpf(10) ** -30
                   for e in E if abs(mp.im(e)) > mp.mpf(10) ** -30 for b in (lo, hi))
    if near_end:            # a crossing on a range end (e.g. |lam| = 1/2 exactly): never complete
        assert not out.completeness["proved"]
        return
    if out.completeness["reason"].startswith("not proved: eigenvalue disc"):
        return              # overlapping discs (e.g. a double eigenvalue): nothing claimed
    exp = expected_points(W, lo, hi)
    assert len(out.points) == len(exp)
    for p, e in zip(sorted(out.points, key=lambda p: float(p.parameter.mid())), exp):
        assert contains(_pair(p.parameter), e["a"])
        if p.proved:
            assert contains(_pair(p.theta), e["theta"]) and contains(_pair(p.first_lyapunov), e["d"])
    assert out.completeness["proved"] == all(p.proved for p in out.points)


def _pair(x):
    from symhopf.certificate import enclosure
    return enclosure(x)
