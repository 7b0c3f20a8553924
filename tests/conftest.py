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
