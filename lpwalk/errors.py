"""The exceptions lpwalk raises for its own failures.

Bad input raises the built-in :class:`ValueError`, :class:`TypeError` or
:class:`FileNotFoundError` with a message naming the argument.  The classes here
are for failures of the tool itself: a solver that did not answer, a numerical
breakdown, a certificate that cannot be read.
"""

from __future__ import annotations

__all__ = ["LPWalkError", "OracleError", "NumericalError", "CertificateError"]


class LPWalkError(Exception):
    """Base class of every error lpwalk raises for its own failures."""


class OracleError(LPWalkError):
    """The oracle could not answer (solver failure, or a test asked outside its validity)."""


class NumericalError(LPWalkError):
    """Floating point broke down (a singular basis, an unbounded descent ray)."""


class CertificateError(LPWalkError):
    """A certificate file is malformed or cannot be checked."""
