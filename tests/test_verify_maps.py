"""``symhopf verify`` on maps: every Neimark-Sacker point re-proved by the checker (checker/maps.py);
certificates of the models of tests/test_maps.py verify, tampered ones are rejected, each with its reason."""
from __future__ import annotations

import copy
import json
import subprocess
import sys
import tempfile
from fractions import Fraction
from functools import lru_cache
from pathlib import Path

import mpmath as mp
import pytest
from test_maps import W3, _rotation, elman3_values, elman_toml, gru, logistic
from test_verify import EXAMPLES, PROVER, rehash

import symhopf
from symhopf.checker import verify
from symhopf.errors import InputError
from symhopf.model import Model


def shifted_rotation() -> Model:
    """x -> (a + 1/2) R x - x^3 (R the rotation with cos = 3/5): NS at a = 1/2 on the constant branch x = 0, whose
    Jacobian (a + 1/2) R is affine but not linear in a (the checker's family theorem does not apply)."""
    return Model.ode(["x", "y"], ["(a + 1/2)*(3*x - 4*y)/5 - x**3", "(a + 1/2)*(4*x + 3*y)/5 - y**3"], "a",
                     range=["0", "1"], map=True, search={"box": ["-0.5", "0.5"]})


_DIR = Path(tempfile.mkdtemp(prefix="symhopf-verify-maps-"))


@lru_cache(maxsize=None)
def _cert(name: str) -> str:
    model = {"logistic": logistic, "rotation": lambda: _rotation("3/5", "4/5"), "shifted": shifted_rotation,
             "rotation_negative": lambda: _rotation("3/5", "4/5", rng=("-3/2", "-1/2")),   # a* = -1, theta* = pi - atan(4/3)
             "resonant": lambda: Model.ode(["x", "y"], ["-a*y - x**3", "a*x - y**3"], "a", range=["0.5", "1.5"], map=True),
             "d_zero": lambda: Model.ode(["x", "y"], ["a*(3*x - 4*y)/5", "a*(4*x + 3*y)/5"], "a",
                                         range=["0.5", "1.5"], map=True),
             "elman3": lambda: elman_toml(_DIR, W3), "gru": lambda: gru(_DIR),
             "minus_one": lambda: Model.ode(["x", "y", "z"], ["a*(3*x - 4*y)/5 - x**3", "a*(4*x + 3*y)/5 - y**3",
                                                                  "-z + z**3"], "a", range=["0.5", "1.5"], map=True,
                                            search={"box": ["-0.5", "0.5"]}),
             "example_delayed_logistic": lambda: Model.from_toml(EXAMPLES / "delayed_logistic.toml"),
             "example_elman3": lambda: Model.from_toml(EXAMPLES / "elman3.toml")}[name]()
    return symhopf.prove(model).to_json()


def cert(name: str) -> dict:
    return json.loads(_cert(name))


def failures(d: dict) -> str:
    v = verify(d)
    assert not v.ok
    return "\n".join(v.failures)


def as_family(d: dict) -> dict:
    """The points at x = 0 restated as a constant-branch family states them: x exact, no start data."""
    for p in d["hopf_points"]:
        if p["status"] == "proved" and all(Fraction(lo) <= 0 <= Fraction(hi) for lo, hi in p["x"]):
            p.update(x=[["0", "0"]] * len(p["x"]), start=None)
            p["proof"]["theorem"] = "verified-diagonalisation"
    return d


# ------------------------------------------------------------------ untampered certificates verify
@pytest.mark.parametrize("name", ["logistic", "rotation", "rotation_negative", "shifted", "elman3", "gru", "resonant", "d_zero",
                                  "example_delayed_logistic", "example_elman3"])
def test_map_certificates_verify(name):
    d = cert(name)
    assert d["embedded_model"] and d["range_exact"] and all(p["kind"] == "neimark-sacker" for p in d["hopf_points"])
    assert (d["embedded_model"]["data"].get("system") or {}).get("map") or d["embedded_model"]["data"]["rnn"]["time"] == "discrete"
    v = verify(d)
    assert v.ok, v.failures
    proved = sum(p["status"] == "proved" for p in d["hopf_points"])
    assert len(v.verified) == proved and proved == (0 if name in ("resonant", "d_zero") else 1)
    for i, p in enumerate(d["hopf_points"]):   # family-proved points (no start data) by the constant-branch route
        if p["status"] == "proved":
            line = next(line for line in v.verified if line.startswith(f"point {i}:"))
            route = "constant branch" if p["proof"]["theorem"] == "verified-diagonalisation" else "Krawczyk box"
            assert route in line, line


@pytest.mark.parametrize("name", ["rotation", "rotation_negative", "elman3"])
def test_constant_branch_points_verify_by_the_family_theorem(name):
    v = verify(as_family(cert(name)))
    assert v.ok, v.failures
    assert len(v.verified) == 1 and "constant branch: one verified eigen-decomposition" in v.verified[0]


def test_the_checker_computes_d_and_the_transversality_of_the_delayed_logistic_map():
    """d = -1, d|mu|/da = 1/2 exactly (docs/maps.md): windows of width 1e-7 around them verify, windows
    1e-7 beside them do not."""
    d = cert("logistic")
    p = d["hopf_points"][0]
    for key, true in (("first_lyapunov", Fraction(-1)), ("transversality", Fraction(1, 2))):
        good, bad = copy.deepcopy(d), copy.deepcopy(d)
        good["hopf_points"][0][key] = [str(true - Fraction(1, 10**7)), str(true + Fraction(1, 10**7))]
        bad["hopf_points"][0][key] = [str(true + Fraction(1, 10**7)), str(true + Fraction(2, 10**7))]
        assert verify(good).ok
        assert "does not contain the checker's enclosure" in failures(bad)
    assert p["criticality"] == "supercritical"


@pytest.mark.parametrize("family", [False, True])
def test_the_checker_encloses_the_50_digit_values_of_elman3(family):
    """Windows of half-width 1e-12 around the 50-digit a*, theta*, d, d|mu|/da and other modulus (test_maps)
    verify, per point and by the family route; each window moved by 2e-12 (off the true value) fails."""
    values = dict(zip(("parameter", "theta", "first_lyapunov", "transversality", "other"), elman3_values()))
    eps = Fraction(1, 10**12)

    def stated(shift: Fraction = Fraction(0)) -> dict:
        d = cert("elman3")
        d = as_family(d) if family else d
        p = d["hopf_points"][0]
        for key, v in values.items():
            v = Fraction(mp.nstr(v, 40)) + (shift if key == target else 0)
            window = [str(v - eps), str(v + eps)]
            p.update({"other_multipliers_modulus": [window]} if key == "other" else {key: window})
        return d

    target = None
    assert verify(stated()).ok, verify(stated()).failures
    for target in values:
        why = failures(stated(2 * eps))
        assert any(s in why for s in ("not contain the checker's", "0 multiplier(s) of the branch match")), (target, why)


# ------------------------------------------------------------------ tampered certificates are rejected
def test_theta_changed():
    d = cert("logistic")
    lo, hi = (Fraction(t) for t in d["hopf_points"][0]["theta"])
    d["hopf_points"][0]["theta"] = [str(hi + (hi - lo)), str(hi + 2 * (hi - lo))]      # just beside pi/3
    assert "point 0: theta: stated [" in failures(d)


def test_d_sign_changed():
    d = cert("logistic")
    lo, hi = d["hopf_points"][0]["first_lyapunov"]
    d["hopf_points"][0]["first_lyapunov"] = [hi.lstrip("-"), lo.lstrip("-")]
    d["hopf_points"][0]["criticality"] = "subcritical"
    assert "point 0: NS coefficient d: stated [0.99999999" in failures(d)


def test_criticality_changed():
    d = cert("logistic")
    d["hopf_points"][0]["criticality"] = "subcritical"
    assert "point 0: criticality stated 'subcritical', but d is negative" in failures(d)


def test_d_enclosure_containing_zero_is_not_a_claim_that_d_is_nonzero():
    d = cert("logistic")
    d["hopf_points"][0]["first_lyapunov"] = ["-2", "1"]
    assert "point 0: NS coefficient d: stated [-2, 1] does not exclude 0" in failures(d)


def test_parameter_enclosure_shifted():
    d = cert("logistic")
    d["hopf_points"][0]["parameter"] = ["2.00000000001", "2.00000000002"]
    assert "point 0: parameter: stated [" in failures(d)


def test_family_parameter_shifted():
    d = as_family(cert("rotation"))
    d["hopf_points"][0]["parameter"] = ["1.0000000001", "1.0000000002"]       # a* = 1 exactly
    assert "point 0: 0 multiplier(s) of the branch match the stated point" in failures(d)


def test_a_one_to_four_resonant_point_claimed_proved():
    """x -> a R(pi/2) x - x^3: theta = pi/2 exactly. The prover says not proved (1:4); flipped to proved with
    claims that would otherwise pass, the checker refuses; with a theta that excludes pi/2, Krawczyk's theta
    does not lie in it."""
    d = cert("resonant")
    p = d["hopf_points"][0]
    assert p["status"] == "not_proved" and "1:4" in p["reason"]
    p.update(status="proved", first_lyapunov=["-2", "-0.1"], transversality=["0.5", "2"],
             criticality="supercritical", other_multipliers_modulus=[])
    assert "point 0: strong resonance 1:4 not excluded: the stated theta" in failures(d)
    p.update(theta=["1.5708", "1.5709"], x=[["-1e-3", "1e-3"]] * 2, parameter=["0.999", "1.001"])   # pi/2 = 1.570796...
    # the prover keeps no start data for a point of the linear constant branch: give the Krawczyk route its start
    shifted = cert("shifted")["hopf_points"][0]["start"]
    p["start"] = {"centre": [*shifted["centre"][:2], "1", "1.5707963267948966", *shifted["centre"][4:]],
                  "phase": shifted["phase"]} if shifted else None
    why = failures(d)
    assert "point 0: theta: stated [1.5708" in why or "point 0: Krawczyk test fails" in why, why
    d = as_family(d)
    d["hopf_points"][0]["theta"] = ["1.5", "1.6"]
    assert "point 0: strong resonance 1:4 not excluded" in failures(d)


def test_d_zero_claimed_proved():
    """A linear map a R x: d = 0. Flipped to proved with a small positive d, the checker's enclosure (around 0)
    does not lie in it."""
    d = cert("d_zero")
    p = d["hopf_points"][0]
    assert p["status"] == "not_proved" and "d enclosure contains 0" in p["reason"]
    p.update(status="proved", first_lyapunov=["1e-20", "1e-10"], criticality="subcritical", other_multipliers_modulus=[])
    why = "point 0: NS coefficient d: stated [9.9999999999999995e-21, 1e-10] does not contain the checker's enclosure"
    assert why in failures(d) and why in failures(as_family(d))


def test_a_multiplier_minus_one_claimed_proved():
    """z -> -z + z^3: a third multiplier -1 at every a. Flipped to proved (with moduli that exclude 1), the
    checker's own disc of -1 has a modulus enclosure containing 1."""
    d = cert("minus_one")
    p = d["hopf_points"][0]
    assert p["status"] == "not_proved" and "unit circle" in p["reason"]
    p.update(status="proved", first_lyapunov=["-2", "-0.01"], transversality=["0.5", "2"], criticality="supercritical",
             other_multipliers_modulus=[["1.0000001", "2"]])
    assert "point 0: another multiplier may lie on the unit circle" in failures(d)


def test_ns_point_outside_the_range():
    """The delayed logistic NS point is r = 2; the range now ends 1e-16 before it (model and certificate agree)."""
    d = cert("logistic")
    end = "19999999999999999/10000000000000000"
    d["embedded_model"]["data"]["search"]["range"] = d["range_exact"] = ["3/2", end]
    d["range"] = [1.5, float(Fraction(end))]
    assert "point 0: parameter enclosure [" in failures(rehash(d))


def test_start_dropped():
    d = cert("logistic")
    d["hopf_points"][0]["start"] = None
    assert "point 0: no start data (Newton centre and phase vector) for the Krawczyk test" in failures(d)


def test_start_dropped_on_a_moving_branch_is_not_rescued_by_claiming_a_constant_branch():
    d = cert("gru")
    d["hopf_points"][0].update(start=None, x=[["0", "0"]] * 3)
    assert "point 0: F(x0, a) = x0 on the whole range is not established exactly" in failures(d)


def test_family_theorem_needs_a_jacobian_linear_in_the_parameter():
    d = cert("shifted")
    assert verify(d).ok
    assert "point 0: D_x F(x0, a) = a M (linear in a) is not established exactly" in failures(as_family(d))


def test_unknown_theorem_without_start_is_not_accepted():
    d = cert("logistic")
    d["hopf_points"][0].update(start=None)
    d["hopf_points"][0]["proof"]["theorem"] = "oracle"
    assert ("point 0: the certificate's theorem 'oracle' is not one the checker knows; its own re-proof failed: "
            "no start data") in failures(d)
    d = cert("logistic")
    d["hopf_points"][0]["proof"]["theorem"] = "oracle"
    v = verify(d)
    assert v.ok and "theorem 'oracle' is not one the checker knows: re-proved by the checker's own route" in v.verified[0]


def test_other_multiplier_moduli_checked():
    d = cert("elman3")
    p = d["hopf_points"][0]
    assert len(p["other_multipliers_modulus"]) == 1
    for other, why in (([], "0 enclosure(s) stated for 1 other multiplier(s)"),
                       ([["0.9", "1.1"]], "the stated [0.90000000000000002, 1.1000000000000001] contains 1"),
                       ([["0", "0.01"]], "do not contain the checker's, one each"),
                       (None, "0 enclosure(s) stated")):
        bad = copy.deepcopy(d)
        bad["hopf_points"][0]["other_multipliers_modulus"] = other
        assert why in failures(bad), other


def test_embedded_model_changed():
    d = cert("elman3")
    d["embedded_model"]["data"]["rnn"]["data"]["W"][0][1] = "-11/10"
    assert "embedded model: its SHA-256 is" in failures(copy.deepcopy(d))
    why = failures(rehash(d))   # elman3's points are family-proved: the changed M has no multiplier at the point
    assert "point 0: 0 multiplier(s) of the branch match the stated point" in why, why
    d = cert("logistic")
    d["embedded_model"]["data"]["system"]["rhs"][0] = "r*x*(1 - y) + x**3/1000"
    assert "point 0:" in failures(rehash(d))


def test_map_flag_dropped_from_the_embedded_model():
    d = cert("logistic")
    del d["embedded_model"]["data"]["system"]["map"]
    assert "point 0: a neimark-sacker point, but the embedded model is an ODE" in failures(rehash(d))


def test_kind_changed():
    d = cert("logistic")
    d["hopf_points"][0].update(kind="hopf", omega=d["hopf_points"][0]["theta"])
    assert "point 0: a hopf point, but the embedded model is a map" in failures(d)
    d["hopf_points"][0].update(kind="flip")
    with pytest.raises(InputError, match="kind 'flip' is not re-checked by this checker"):
        verify(d)


def test_duplicated_ns_point():
    d = cert("logistic")
    d["hopf_points"].append(copy.deepcopy(d["hopf_points"][0]))
    assert "points 0 and 1: their parameter, omega and x enclosures all meet" in failures(d)


# ------------------------------------------------------------------ the command
def test_verify_command_on_a_map_loads_no_prover_module(tmp_path):
    good, bad = tmp_path / "dl.json", tmp_path / "bad.json"
    good.write_text(_cert("logistic"))
    d = cert("logistic")
    d["hopf_points"][0]["theta"] = ["1.5", "1.6"]
    bad.write_text(json.dumps(d))
    code = ("import sys; from symhopf.cli import main; rc = main(['verify', sys.argv[1]]); "
            f"print([m for m in sys.modules if m.startswith({PROVER!r})]); sys.exit(rc)")
    r = subprocess.run([sys.executable, "-c", code, str(good)], capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "verified  point 0: Neimark-Sacker" in r.stdout and r.stdout.strip().splitlines()[-1] == "[]"
    r = subprocess.run([sys.executable, "-m", "symhopf", "verify", str(bad)], capture_output=True, text=True)
    assert r.returncode == 1 and "FAILED    point 0: strong resonance 1:4 not excluded" in r.stdout


def test_map_report_prints_the_verify_command(tmp_path):
    from symhopf.report import tex_tt
    model, cert_path, tex = tmp_path / "dl.toml", tmp_path / "dl.json", tmp_path / "dl.tex"
    model.write_text('name = "dl"\n[system]\nvariables = ["x", "y"]\nparameter = "r"\nrhs = ["r*x*(1 - y)", "x"]\n'
                     'map = true\n[search]\nrange = [1.5, 2.5]\nbox = [0, 1]\n')
    r = subprocess.run([sys.executable, "-m", "symhopf", "prove", str(model), "--json", str(cert_path), "--report",
                        str(tex), "--quiet"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert tex_tt(f"symhopf verify {cert_path}") in tex.read_text()
    r = subprocess.run([sys.executable, "-m", "symhopf", "verify", str(cert_path)], capture_output=True, text=True)
    assert r.returncode == 0 and "every checked claim re-verified" in r.stdout


def test_other_moduli_are_matched_one_to_one():
    """Moduli 0.2 and 0.5 against stated [0, 0.6] and [0.1, 0.3]: only the assignment 0.5 -> [0, 0.6] works
    (a first-fit one would fail); two stated enclosures that hold only 0.2 do not cover 0.5."""
    from flint import acb, arb

    from symhopf.checker.maps import NSPoint, other_moduli
    from symhopf.checker.theorems import Failed
    E = [acb(0.9, 0.1), acb(0.9, -0.1), acb(0.2, 0), acb(0.5, 0)]
    p = NSPoint(a=(0, 1), theta=(1, 2), x=[], d=None, mu=None, criticality=None, centre=None, phase=None,
                other=[(Fraction(0), Fraction(6, 10)), (Fraction(1, 10), Fraction(3, 10))])
    other_moduli(E, (0, 1), arb(1), p)
    p.other = [(Fraction(1, 10), Fraction(3, 10))] * 2
    with pytest.raises(Failed, match="one each"):
        other_moduli(E, (0, 1), arb(1), p)
