"""Code generation: derivation -> jinja2 template -> specialised prover module."""
from .generate import generate, load_module, module_name, render

__all__ = ["generate", "load_module", "module_name", "render"]
