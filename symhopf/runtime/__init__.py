"""Small kernels that generated modules call (ball and float64 backends)."""
