"""symhopf: computer-assisted proofs of Hopf bifurcations in RNNs and smooth ODEs."""
__version__ = "0.1.0"

from .errors import InputError  # noqa: E402
from .model import Model  # noqa: E402

__all__ = ["__version__", "InputError", "Model"]
