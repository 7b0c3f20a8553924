"""symhopf: computer-assisted proofs of Hopf bifurcations in RNNs and smooth ODEs.

    >>> import symhopf
    >>> model = symhopf.Model.from_toml("examples/brusselator.toml")
    >>> symhopf.derive(model).to_text()          # every formula, from SymPy
    >>> cert = symhopf.prove(model)              # search + rigorous proofs
    >>> print(cert.to_json())
"""
__version__ = "0.1.0"

from .errors import InputError  # noqa: E402
from .model import Model  # noqa: E402
# the submodule symhopf.derive is imported now, before the function of that name is defined below:
# importing a submodule for the first time sets it as an attribute of the package, which would
# otherwise replace the function symhopf.derive with the module on the first ``from .derive import``
from . import derive as _derive_module  # noqa: E402,F401


def derive(model):
    """The SymPy derivation of a model (see :mod:`symhopf.derive`)."""
    return _derive_module.derive(model)


def generate(model, out_dir="generated"):
    """Write the model's generated prover module into ``out_dir`` (see :mod:`symhopf.codegen`)."""
    from .codegen import generate as _generate
    return _generate(model, out_dir)


def load(model):
    """The :class:`~symhopf.system.System` (model + loaded generated module)."""
    from .system import load as _load
    return _load(model)


def prove(model, **kwargs):
    """Find the Hopf candidates on the equilibrium branches the search finds in the model's range and
    prove each; returns a Certificate."""
    from .api import prove as _prove
    return _prove(model, **kwargs)


def sweep(models, out, **kwargs):
    """Prove many models into ``out`` (see :func:`symhopf.sweep_run.sweep`); returns the
    table of Hopf points (a pandas DataFrame when pandas is installed, else a list of rows)."""
    from .sweep_run import sweep as _sweep
    return _sweep(models, out, **kwargs)


def verify(cert):
    """Re-check a certificate independently (see :mod:`symhopf.checker`); returns a Verdict (``.ok``)."""
    from .checker import verify as _verify
    return _verify(cert)


__all__ = ["__version__", "InputError", "Model", "derive", "generate", "load", "prove", "sweep", "verify"]
