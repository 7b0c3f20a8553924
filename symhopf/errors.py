"""Errors that reach the user as one line and exit code 2."""


class InputError(ValueError):
    """Bad user input (model file, weights, range, activation): exit code 2, one line."""
