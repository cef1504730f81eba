"""Exceptions of our own, each with a message a person can act on.

The GUI shows ``str(error)`` as one sentence; the CLI prints it to stderr and exits 2 for
:class:`BadInputError` subclasses (the user's input was wrong) and 1 otherwise.
"""
from __future__ import annotations


class LmscopeError(Exception):
    """Base class: every error we raise on purpose."""


class BadInputError(LmscopeError, ValueError):
    """The user's input (a setting, a text, a file) cannot be used; exit code 2 on the command line."""


class ModelLoadError(BadInputError):
    """A model folder or checkpoint cannot be loaded (missing, corrupt, or of an unknown kind)."""


class ConfigError(BadInputError):
    """A model or job configuration is inconsistent (e.g. n_head does not divide d_model)."""


class JobCancelled(LmscopeError):
    """Raised inside a job when the user pressed Cancel; not an error to report."""
