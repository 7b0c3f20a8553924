"""Shared pytest options and fixtures.

``--update-golden``: tests/test_golden.py rewrites the committed modules in
``generated/`` instead of comparing against them (``make golden``).
"""
import pytest


def pytest_addoption(parser):
    parser.addoption("--update-golden", action="store_true", default=False,
                     help="rewrite the golden generated modules in generated/ instead of comparing")


@pytest.fixture
def update_golden(request) -> bool:
    return request.config.getoption("--update-golden")


@pytest.fixture(scope="session", autouse=True)
def _isolated_module_cache(tmp_path_factory):
    """Generated modules go to a fresh cache: a module cached by an older checkout
    (same version, same structure hash) must not stand in for today's code."""
    mp = pytest.MonkeyPatch()
    mp.setenv("SYMHOPF_CACHE", str(tmp_path_factory.mktemp("symhopf-cache")))
    yield
    mp.undo()


def pytest_configure(config):
    config.addinivalue_line("markers", "false_certificates: the test makes false certificates on purpose "
                                       "(a checker's test); the certificate re-check leaves them alone")


@pytest.fixture(autouse=True)
def _keep_piece_enclosures(monkeypatch):
    """Tube pieces keep their arc enclosure K and tangent du after the march (proof/tube_tasks.py drops
    them otherwise): tests check them against 50-digit values (tests/test_tube_tasks.py checks the
    default). The tube's tasks run in this process unless a test names its workers (test_tube_tasks*)."""
    from symhopf.proof import tube_tasks
    monkeypatch.setattr(tube_tasks, "KEEP_ENCLOSURES", True)
    monkeypatch.setattr(tube_tasks, "WORKERS", 1)   # tests that spy on the march see its calls here


@pytest.fixture(autouse=True)
def _recheck_certificates(monkeypatch, request):
    """Every certificate a test makes (not one read back from JSON) is re-checked when the test ends:
    each proved point's numbers satisfy the hypothesis of the theorem it states, exactly, and its
    parameter enclosure lies in the exact range (tests/recheck.py). So is every proved point the
    prover returns in this process (a ``HopfProof``, as its certificate record would state it; its
    range is not known there). Tests marked ``false_certificates`` are exempt."""
    from types import SimpleNamespace

    from recheck import recheck, recheck_proof
    from symhopf.certificate import Certificate
    from symhopf.proof.hopf import HopfProof
    from symhopf.proof.neimark_sacker import NSProof

    made, read, proofs = [], set(), []
    init, from_dict, proof_init = Certificate.__init__, Certificate.from_dict.__func__, HopfProof.__init__
    ns_init = NSProof.__init__

    def recording_init(self, *args, **kwargs):
        init(self, *args, **kwargs)
        made.append(self)

    def recording_proof(self, *args, **kwargs):
        proof_init(self, *args, **kwargs)
        proofs.append(self)

    def recording_ns(self, *args, **kwargs):
        ns_init(self, *args, **kwargs)
        proofs.append(self)

    def reading(cls, d):
        cert = from_dict(cls, d)
        read.add(id(cert))
        return cert

    monkeypatch.setattr(Certificate, "__init__", recording_init)
    monkeypatch.setattr(Certificate, "from_dict", classmethod(reading))
    monkeypatch.setattr(HopfProof, "__init__", recording_proof)
    monkeypatch.setattr(NSProof, "__init__", recording_ns)
    yield SimpleNamespace(certificates=made, proofs=proofs)
    if request.node.get_closest_marker("false_certificates"):
        return
    problems = [why for cert in made if id(cert) not in read for why in recheck(cert)]
    problems += [f"{type(hp).__name__} {i}: {why}" for i, hp in enumerate(proofs) for why in recheck_proof(hp)]
    if problems:
        pytest.fail("certificate re-check failed:\n" + "\n".join(problems), pytrace=False)


@pytest.fixture(autouse=True)
def _small_global_budget(monkeypatch):
    """The global completeness check (proof/global_.py) gets a small default box budget in the suite
    (a refusal then says the budget stopped it); its own tests pass their budgets explicitly."""
    monkeypatch.setenv("SYMHOPF_GLOBAL_BUDGET", "200")   # reaches the CLI subprocesses too
