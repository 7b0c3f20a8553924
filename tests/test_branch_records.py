"""Branch records are neither duplicated nor spurious, and their completeness reasons are true."""
from symhopf.api import prove
from symhopf.model import Model
from symhopf.proof.completeness import check_branch
from symhopf.search import find_candidates
from symhopf.system import System
from symhopf.proof.tube import METHOD as TUBE_METHOD
from symhopf.search.continuation import Continuer


def fitzhugh_nagumo() -> Model:
    return Model.ode(["v", "w"], ["v - v**3/3 - w + I", "eps*(v + a - b*w)"], "I",
                     constants={"a": "0.7", "b": "0.8", "eps": "0.08"}, range=["-1.2", "0.6"])


def test_branch_reaching_the_range_end_is_traced_once():
    # -1.2 + (0.6 - -1.2) * 1 rounds to 0.5999999999999999: the branch stopped short of a1 and the
    # equilibrium found at a1 was traced again (two copies, one "not complete" although proved)
    assert -1.2 + (0.6 - -1.2) * 1.0 != 0.6
    assert float(Continuer(None, 2, (-1.2, 0.6)).a_of(1.0)) == 0.6
    cert = prove(fitzhugh_nagumo())
    assert [p.status for p in cert.hopf_points] == ["proved"]
    (br,) = cert.branches
    assert br["a_interval"] == (-1.2, 0.6)
    assert br["completeness"]["proved"], br["completeness"]["reason"]


def test_pitchfork_at_a_seed_parameter_gives_no_spurious_branches():
    # at a = 0 (a seed) Newton stops at |x| ~ 2e-4 from the triple root: those points were kept as
    # new equilibria, one branch each (43 records)
    cert = prove(Model.ode(["x", "y"], ["a*x - x**3", "-y"], "a", range=[-1, 1]))
    assert len(cert.branches) == 2


def test_non_finite_jacobian_at_a_newton_limit_is_no_crash():
    cert = prove(Model.ode(["x", "y"], ["a - 1 + 1/(1 + exp(-x))", "-y + x"], "a", range=[-1, 1]))
    assert cert.hopf_points == []


def test_constant_branch_with_float_only_structure_falls_back_to_the_tube():
    # x = y = sqrt(2) for every a, but in floats Df_a = c I with c ~ 1e-15 and f(x0, a) != 0 in balls
    model = Model.ode(["x", "y"], ["a*(x**2 - 2)**2 + (y - x)", "a*(y**2 - 2)**2 + (x**2 - 2)"], "a",
                      range=[-1, 1], equilibrium_guesses=[[1.4, 1.4], [-1.4, -1.4]])
    cert = prove(model)
    const = [b for b in cert.branches if b["kind"] == "constant"]
    assert len(const) == 2
    for b in const:
        assert b["completeness"]["proved"], b["completeness"]["reason"]
        assert b["completeness"]["method"] == TUBE_METHOD


def test_unmatched_zero_reason_names_the_branch_not_a_missing_point():
    cert = prove(Model.ode(["x", "y"], ["a - (b+1)*x + x**2*y", "b*x - x**2*y"], "b", constants={"a": 1},
                           range=["2.0000000000000001", 3]))
    reason = cert.branches[0]["completeness"]["reason"]
    assert ("no proved Hopf point of this branch accounts for it" in reason
            or "is not matched to a proved Hopf point of this branch" in reason), reason
    assert "not in the proved list" not in reason


def test_tube_box_holds_the_enclosure_of_a_hopf_point_at_x_30():
    # a = 30: Hopf point at b = 901, x = (30, 30.03); x does not move with b, so the tangent gave the
    # Hopf piece a box of radius ~3e-10 in x, narrower than the point's enclosure (radius 2.6e-9)
    cert = prove(Model.ode(["x", "y"], ["a - (b+1)*x + x**2*y", "b*x - x**2*y"], "b", constants={"a": 30},
                           range=["900.99999", "901.00001"]))
    assert [p.status for p in cert.hopf_points] == ["proved"]
    (br,) = cert.branches
    assert br["completeness"]["proved"], br["completeness"]["reason"]


def test_branch_leaving_the_box_is_not_said_to_end():
    """x' = 1 - a x, y' = -y: x = 1/a grows without bound as a -> 0, so the search's continuation stops
    where |x| passes 1.5 times its box; the branch does not end there: it is proved complete within the
    search box, up to where it leaves it (x = 20 at a = 1/20); without the box the reason says what stopped."""
    model = Model.ode(["x", "y"], ["1 - a*x", "-y"], "a", range=["1/100", "1"], search={"box": [-20, 20]})
    cert = prove(model)
    assert cert.hopf_points == []
    (br,) = cert.branches
    c = br["completeness"]
    assert c["proved"], c["reason"]
    assert "within the search box (it leaves the box at a ~ 0.0499999 through the face x = 20)" in c["reason"]
    (ex,) = [e for e in c["ends"] if e["kind"] == "box exit"]
    assert ex["a"][1] < 0.05                                 # x = 1/a > 20 there
    s = System.from_model(model)
    (b,) = find_candidates(s).branches
    reason = check_branch(s, b, []).reason
    assert "stops inside the range" in reason and "|x|_inf = 3" in reason and "ends" not in reason, reason
