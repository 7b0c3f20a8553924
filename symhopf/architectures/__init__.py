"""The built-in RNN architectures, by name."""
from . import asymmetric, leaky, multilayer
from .base import RNNArchitecture

ARCHITECTURES: dict[str, RNNArchitecture] = {
    m.ARCHITECTURE.name: m.ARCHITECTURE for m in (asymmetric, leaky, multilayer)
}

__all__ = ["ARCHITECTURES", "RNNArchitecture"]
