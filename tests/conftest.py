"""Test configuration: Hypothesis profiles.

Choose one with the environment variable ``HYPOTHESIS_PROFILE``:

``dev`` (default)
    Fast feedback while editing: few examples, random seeds.
``ci``
    What ``.ci/run`` uses: deterministic (``derandomize=True``, the same
    examples on every run), no deadline (shared machines are slow and
    noisy), a modest number of examples.
``campaign``
    Long bug hunts: many examples, no deadline.

Shared strategies live in ``tests/strategies.py`` (``import strategies``;
``tests`` is on the path via ``pythonpath`` in ``pyproject.toml``).  A shrunk
failure found by a campaign is committed as an ``@example`` on its test.
"""

import os

from hypothesis import HealthCheck, settings

_SUPPRESS = [HealthCheck.too_slow, HealthCheck.data_too_large]

settings.register_profile("dev", max_examples=25, deadline=None, suppress_health_check=_SUPPRESS)
settings.register_profile(
    "ci",
    max_examples=150,
    derandomize=True,
    deadline=None,
    print_blob=True,
    suppress_health_check=_SUPPRESS,
)
settings.register_profile(
    "campaign", max_examples=2000, deadline=None, suppress_health_check=_SUPPRESS
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))


# ---------------------------------------------------------------- fixtures
import builtins  # noqa: E402

import pytest  # noqa: E402


@pytest.fixture
def make_unreadable(monkeypatch):
    """``make_unreadable(path)``: reading ``path`` fails with PermissionError.

    With permission bits (``chmod 0``) when they apply; as root, where every
    file is readable, by making ``open`` refuse that one path the way the
    operating system would (errno 13), so the error path is tested either way.
    """
    import errno
    import io

    refused = set()
    real_open = builtins.open

    def guarded_open(file, *args, **kwargs):
        if isinstance(file, (str, bytes, os.PathLike)) and os.path.realpath(file) in refused:
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), os.fspath(file))
        return real_open(file, *args, **kwargs)

    def make(path):
        os.chmod(path, 0)
        if not os.access(path, os.R_OK):
            return
        refused.add(os.path.realpath(path))
        monkeypatch.setattr(builtins, "open", guarded_open)
        monkeypatch.setattr(io, "open", guarded_open)

    yield make
