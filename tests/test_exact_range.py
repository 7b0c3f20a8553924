"""Proved points and crossings are compared with the exact range (Fractions), never a rounded hull."""
from fractions import Fraction

from flint import arb

from symhopf.api import prove
from symhopf.certificate import interval
from symhopf.model import Model
from symhopf.runtime.arbtools import in_range, number_text


def shifted_circle(r: str, a_range) -> Model:
    """Hopf normal form shifted to a = r: a constant branch x = 0 with one crossing at a = r."""
    return Model.ode(["x", "y"], ["(a - r)*x - y - x*(x**2 + y**2)", "x + (a - r)*y - y*(x**2 + y**2)"], "a",
                     constants={"r": r}, range=list(a_range))


def brusselator(a_range) -> Model:
    return Model.ode(["x", "y"], ["a - (b+1)*x + x**2*y", "b*x - x**2*y"], "b", constants={"a": 1},
                     range=list(a_range))


def _proved_inside(cert, lo: Fraction, hi: Fraction) -> None:
    for p in cert.hopf_points:
        if p.status == "proved":
            plo, phi = interval(p.parameter)
            assert lo <= plo and phi <= hi, p.parameter


def test_crossing_just_below_the_range_is_neither_proved_nor_counted():
    # the crossing is at r = 0.29999999999999998889...: below 3/10, so no Hopf point in [0.3, 1]
    cert = prove(shifted_circle("5404319552844595/18014398509481984", ["0.3", 1]))
    assert [p.status for p in cert.hopf_points] == ["not_proved"]
    assert "lies outside the range [0.3, 1]" in cert.hopf_points[0].reason
    (br,) = cert.branches
    assert br["completeness"]["proved"], br["completeness"]["reason"]
    assert br["completeness"]["reason"].startswith("0 crossing(s)")


def test_crossing_at_an_undecidable_range_end_blocks_completeness():
    cert = prove(shifted_circle("1/3", ["0.33333333333333333334", 1]))
    assert all(p.status == "not_proved" for p in cert.hopf_points)
    assert all("meets an end of the range [0.33333333333333333334, 1]" in p.reason for p in cert.hopf_points)
    (br,) = cert.branches
    assert not br["completeness"]["proved"]
    assert "meets an end of the range [0.33333333333333333334, 1]" in br["completeness"]["reason"]


def test_crossing_7e_9_outside_the_range_does_not_block_completeness():
    cert = prove(shifted_circle("0.299999993", ["0.3", 20]))
    assert not any(p.status == "proved" for p in cert.hopf_points)
    (br,) = cert.branches
    assert br["completeness"]["proved"], br["completeness"]["reason"]


def test_crossing_inside_near_the_end_is_proved_and_complete():
    cert = prove(shifted_circle("0.300000007", ["0.3", 20]))
    assert [p.status for p in cert.hopf_points] == ["proved"]
    _proved_inside(cert, Fraction("0.3"), Fraction(20))
    assert cert.branches[0]["completeness"]["proved"]


def test_per_point_proof_outside_the_range_is_not_proved():
    # Brusselator: Hopf point at b = 2 exactly, just below the range [2 + 1e-16, 3]
    lo = Fraction("2.0000000000000001")
    cert = prove(brusselator([lo, 3]))
    assert cert.hopf_points and all(p.status == "not_proved" for p in cert.hopf_points)
    assert "the range [2.0000000000000001, 3]" in cert.hopf_points[0].reason
    cert = prove(brusselator(["1.5", 3]))
    assert [p.status for p in cert.hopf_points] == ["proved"]
    _proved_inside(cert, Fraction("1.5"), Fraction(3))


def test_in_range_is_exact_and_undecided_at_the_ends():
    third = arb(1) / 3
    assert in_range(third, Fraction(1, 4), 1) is True
    assert in_range(third, Fraction("0.33333333333333333334"), 1) is None
    assert in_range(arb(0.3), Fraction(3, 10), 1) is False     # the double 0.3 is below 3/10
    assert in_range(arb(0.3), 0.3, 1) is True
    assert in_range(arb("nan"), 0, 1) is None
    assert number_text(Fraction(1, 3)) == "1/3" and number_text(Fraction("-0.125")) == "-0.125"
