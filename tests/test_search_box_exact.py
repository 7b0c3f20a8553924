"""The user's ``[search] box`` is read exactly (TOML decimals as Decimal, not binary floats), and every
claim made "within the search box" is about that exact box: a face written 9.7 is 97/10, while the float
9.7 is 9.699999999999999289..., below it (a Hopf point exactly on the face would lie outside the float box)."""
from fractions import Fraction

import numpy as np
import pytest

from symhopf.api import prove, summary
from symhopf.errors import InputError
from symhopf.model import Model
from symhopf.search import find_candidates
from symhopf.system import System

H = "117/194"        # 1/2 + 10/97: the Hopf point of the branch y = 1/(a - 1/2) sits at y = 97/10


def face_model(tmp_path, face: str = "9.7", extra: str = "") -> Model:
    """u, v: a planar block with a Hopf point at a = H; y' = (a - 1/2) y - 1: the branch y = 1/(a - 1/2)
    leaves the box through the face y = ``face`` (at a = H when the face is 9.7)."""
    text = f'''name = "face"
[system]
variables = ["u", "v", "y"]
parameter = "a"
rhs = ["(a - {H})*u - v - u*(u**2 + v**2)", "u + (a - {H})*v - v*(u**2 + v**2)", "(a - 1/2)*y - 1"]
[search]
range = [0.55, 1]
box = [[-10, 10], [-10.1, 10], [-10, {face}]]{extra}
'''
    path = tmp_path / "face.toml"
    path.write_text(text)
    return Model.from_toml(path)


def test_the_float_differs_from_the_decimal():
    """The case is meaningful: the binary floats of 9.7 and -10.1 are not the decimals written."""
    assert Fraction(9.7) < Fraction(97, 10) and Fraction(-10.1) > Fraction(-101, 10)


def test_box_read_exactly_and_recorded_as_written(tmp_path):
    model = face_model(tmp_path)
    lo, hi = model.search_box_exact()
    assert lo == [-10, Fraction(-101, 10), -10] and hi == [10, 10, Fraction(97, 10)]
    assert all(isinstance(v, Fraction) for v in lo + hi)
    assert model.search.box[1].tolist() == [10.0, 10.0, 9.7]          # the search seeds the nearest floats
    sought = find_candidates(System.from_model(model)).sought
    assert sought["box"] == [["-10", "-101/10", "-10"], ["10", "10", "97/10"]]


def test_exact_box_dropped_when_the_floats_are_replaced(tmp_path):
    """A caller that sets ``search.box`` to other floats gets the floats recorded, not the stale decimals."""
    model = face_model(tmp_path)
    model.search.box = (np.array([-1.0, -1.0, -1.0]), np.array([1.0, 1.0, 1.0]))
    assert model.search_box_exact() is None


@pytest.mark.parametrize("row", ['[[-10, 10], [-10, 10], [1, 1.0]]', '[[0, 1], [0, 1]]', '[0.3, 0.30000000000000000001]', '[0.3, 0.29999999999999999999]'])
def test_bad_boxes_refused(tmp_path, row):
    """Empty faces, wrong shapes, and lo < hi that only the decimals (not their floats) satisfy."""
    path = tmp_path / "bad.toml"
    path.write_text(f'[system]\nvariables = ["u", "v", "y"]\nparameter = "a"\nrhs = ["-u", "-v", "-y"]\n'
                    f'[search]\nrange = [0, 1]\nbox = {row}\n')
    with pytest.raises(InputError, match=r"\[search\] box"):
        Model.from_toml(path)


def test_hopf_point_on_a_decimal_face_is_inside_the_claimed_box(tmp_path):
    """The Hopf point (0, 0, 97/10) at a = 117/194 lies on the face y = 9.7 as written, hence in the box
    every statement is about: the box-exit face, the within-box record and the global statement's box are
    the exact decimals, and the point is listed (proved). Read as a float, the face would be
    2730307274093363/281474976710656 and every claim would be about a box the user did not write."""
    cert = prove(face_model(tmp_path))
    exact = [["-10", "10"], ["-101/10", "10"], ["-10", "97/10"]]
    (branch,) = cert.branches
    c = branch["completeness"]
    assert cert.search["box"] == [["-10", "-101/10", "-10"], ["10", "10", "97/10"]]
    if c["proved"]:
        assert c["within_box"] == exact
        exits = [e for e in c["ends"] if e["kind"] == "box exit"]
        assert exits and all(Fraction(e["face"]) == Fraction(97, 10) for e in exits)
    g = cert.global_completeness
    if g.get("proved"):
        assert g["box"] == exact
        assert "x [-10, 97/10] and a in [11/20, 1] is listed" in summary(cert)
    # on the face: listed as proved whenever a statement covering the box is made
    if c["proved"] or g.get("proved"):
        a_true, y_true = Fraction(117, 194), Fraction(97, 10)
        assert any(p.status == "proved" and Fraction(p.parameter[0]) <= a_true <= Fraction(p.parameter[1])
                   and Fraction(p.x[2][0]) <= y_true <= Fraction(p.x[2][1]) for p in cert.hopf_points)
