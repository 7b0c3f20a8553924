"""Property: for random small nets, every "proved" point's enclosures contain the values an
independent 60-digit mpmath routine (test_proof_hopf.ref_hopf) computes."""
from __future__ import annotations

import numpy as np
from hypothesis import given, note, settings, strategies as st

from symhopf.proof import prove_candidate
from test_proof_hopf import contains, net_candidate, ref_hopf
from reference_systems import NetSystem


@settings(max_examples=20, deadline=None)
@given(n=st.integers(2, 6), arch=st.sampled_from(["asymmetric", "leaky"]), bias=st.booleans(),
       seed=st.integers(0, 2 ** 32 - 1))
def test_random_nets_proved_points_contain_reference(n, arch, bias, seed):
    rng = np.random.default_rng(seed)
    R = rng.normal(size=(n, n))
    W = (R - R.T) / np.sqrt(n) + 0.3 * rng.normal(size=(n, n))
    b = 0.2 * rng.normal(size=n) if bias else np.zeros(n)
    if not np.any(np.abs(np.linalg.eigvals(W).imag) > 1e-3):
        return
    cand = net_candidate(W, b, arch)
    system = NetSystem(W, b, arch)
    res = prove_candidate(system, cand)
    note(f"{res.status}: {res.reason}")
    if not res.proved:
        return
    ref = ref_hopf(system, [float(t.mid()) for t in res.x], float(res.parameter.mid()),
                   1j * float(res.omega.mid()))
    assert contains(res.parameter, ref["a"]) and contains(res.omega, ref["w"])
    assert all(contains(t, v) for t, v in zip(res.x, ref["x"]))
    assert contains(res.transversality, ref["mu"])
    assert contains(res.first_lyapunov, ref["l1"])
    assert res.criticality == ("supercritical" if ref["l1"] < 0 else "subcritical")
    if n > 2:
        assert contains(res.other_eigenvalues_real_part_max, ref["others_max"])
