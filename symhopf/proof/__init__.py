"""Rigorous stage: Newton refinement, existence, spectrum, l1 and mu' for one Hopf candidate."""
from .hopf import HopfProof, prove_candidate

__all__ = ["HopfProof", "prove_candidate"]
