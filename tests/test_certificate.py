"""Certificate JSON: outward rounding of enclosures and round trip."""
from __future__ import annotations

import json
from fractions import Fraction

import numpy as np
from flint import arb, ctx
from hypothesis import given, settings, strategies as st

from reference_systems import SympySystem
from symhopf.candidate import Candidate
from symhopf.certificate import (NORMALISATION, Certificate, PointRecord, enclosure, exact_fraction,
                                 interval, round_decimal)
from symhopf.proof import prove_candidate


@settings(max_examples=30, deadline=None)
@given(mid=st.floats(-1e30, 1e30, allow_nan=False), rad=st.floats(0, 1e3), prec=st.sampled_from([53, 106, 212]),
       digits=st.integers(3, 40), scale=st.integers(-300, 300))
def test_enclosure_is_outward_and_tight(mid, rad, prec, digits, scale):
    with ctx.workprec(prec):
        x = arb(mid) * arb(2) ** scale / 3 + arb(0, rad) * arb(2) ** scale
        m, r = exact_fraction(x.mid()), exact_fraction(x.rad())
        lo, hi = m - r, m + r                  # the ball's exact end points
        pair = enclosure(x, digits)
    dlo, dhi = interval(pair)
    assert dlo <= lo and hi <= dhi
    assert dhi - dlo <= (hi - lo) + 2 * max(abs(lo), abs(hi)) * Fraction(10) ** (2 - digits)


def test_round_decimal_directions():
    third = Fraction(1, 3)
    assert Fraction(round_decimal(third, 5, False)) < third < Fraction(round_decimal(third, 5, True))
    assert round_decimal(Fraction(5, 2), 5, True) == round_decimal(Fraction(5, 2), 5, False)
    assert Fraction(round_decimal(-third, 5, False)) < -third
    assert enclosure(arb("nan")) is None and enclosure(None) is None


def _brusselator_proof():
    system = SympySystem(["1 - (a + 1)*x0 + x0**2*x1", "a*x0 - x0**2*x1"])
    V = np.linalg.eig(system.flt.Df(np.array([1.0, 2.0]), 2.0))[1][:, 0]
    return prove_candidate(system, Candidate(np.array([1.01, 1.99]), 2.01, 1.01, V))


def test_certificate_round_trip_and_contents():
    hp = _brusselator_proof()
    failed = prove_candidate(SympySystem(["a*x0 - x1", "x0 + a*x1"]),
                             Candidate(np.zeros(2), 0.01, 1.0, np.array([1, -1j]) / np.sqrt(2)))
    cert = Certificate("brusselator", "b", [Fraction(3, 2), 2.5],
                       [PointRecord.from_proof(hp), PointRecord.from_proof(failed)])
    text = cert.to_json()
    assert Certificate.from_json(text).to_json() == text
    d = json.loads(text)
    assert d["normalisation"] == NORMALISATION and d["range"] == [1.5, 2.5]
    import symhopf
    assert d["symhopf_version"] == getattr(symhopf, "__version__", "0.1.0")
    p, q = d["hopf_points"]
    assert p["status"] == "proved" and p["criticality"] == "supercritical" and p["reason"] == ""
    for key, exact in [("parameter", 2), ("omega", 1), ("transversality", Fraction(1, 2))]:
        lo, hi = interval(p[key])
        assert lo <= exact <= hi and hi - lo < 1e-12
    assert [interval(t)[0] <= v <= interval(t)[1] for t, v in zip(p["x"], [1, 2])] == [True, True]
    assert p["other_eigenvalues_real_part_max"] is None
    assert p["proof"]["precision_bits"] == 53 and float(p["proof"]["Z"]) < 1
    assert float(p["proof"]["radius"]) > 0 and "Newton-Kantorovich" in p["proof"]["method"]
    assert q["status"] == "not_proved" and q["reason"] == "l1 enclosure contains 0" and q["criticality"] is None


def test_exact_strings_of_a_binary_array_are_those_of_its_fractions():
    """embed_model's fast strings (float.as_integer_ratio) equal str(Fraction) entry by entry, and
    read back exactly: integers, halves, -0.0, the smallest subnormal, huge values."""
    from fractions import Fraction

    import numpy as np

    from symhopf.certificate import exact_strings
    from symhopf.exact import ExactArray, to_fraction
    vals = np.array([[0.0, -0.0, 1.0, -3.0], [0.5, 5e-324, -2.0 ** 60, 0.1], [1e299, -1 / 3, 7.25, -1e-280]])
    got = exact_strings(ExactArray.from_float(vals, "t"))
    assert got == [str(Fraction(v)) for v in vals.ravel().tolist()]
    assert got[:3] == ["0", "0", "1"] and got[5] == "1/" + str(2 ** 1074)
    assert all(to_fraction(t, "t") == Fraction(v) for t, v in zip(got, vals.ravel().tolist()) if v == 0 or abs(v) >= 1e-280)



def test_a_weight_the_model_file_could_not_hold_is_not_embedded():
    """A float weight whose 'p/q' string has more digits than a model file may hold (from an array,
    not a file) cannot be read back: no embedding (before, the round trip raised InputError)."""
    import numpy as np

    from symhopf.certificate import embed_model
    from symhopf.model import Model
    W = np.array([[0.5, -1.0], [1.0, 1e-299]])
    assert embed_model(Model.rnn("asymmetric", weights=W, range=[-1, 1])) is None
    W[1, 1] = 0.25
    assert embed_model(Model.rnn("asymmetric", weights=W, range=[-1, 1])) is not None


def test_the_model_is_embedded_when_the_certificate_is_written_as_it_was_proved():
    """prove() defers embed_model to the first to_dict/to_json; what it embeds is the model as proved
    (its range), even if the caller's model object changes afterwards."""
    from fractions import Fraction

    import numpy as np

    from symhopf.api import prove
    from symhopf.certificate import embed_model
    from symhopf.model import Model
    W = np.array([[-0.25, 1.0], [-1.0, -0.25]])
    model = Model.rnn("asymmetric", weights=W, range=[0, 1])
    cert = prove(model)
    expected = embed_model(model)
    assert cert.embedded_model is None and cert.embed_from is not None
    model.search.range = [Fraction(-5), Fraction(5)]
    model.data = {}
    d = cert.to_dict()
    assert d["embedded_model"] == expected and d["embedded_model"]["data"]["search"]["range"] == ["0", "1"]
    assert cert.embedded_model == expected and cert.embed_from is None
