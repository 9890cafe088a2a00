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
