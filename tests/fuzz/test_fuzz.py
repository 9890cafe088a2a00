"""Fuzz test on degenerate and extreme data: every kind of ``tests/fuzz_cases.py``, bounded for CI.

For each named kind (duplicated rows, integer targets with ties, realisable
teacher targets, collinear and constant features, N < n, a collapsed neuron,
all units dead, neurons disconnected from the output, data at scales 1e-6 and 1e6, columns on scales 1e-4..1e4, and
generic float data as a control) Hypothesis draws small instances and
:func:`fuzz_cases.check_walk` asserts:

* the walk raises nothing (the input is valid, no documented exception applies);
* it ends ``local_min`` or ``inconclusive``: ``max_pivots`` (cap 2000, on
  instances of at most a few dozen parameters, i.e. cycling) and ``time_limit``
  (the 60 s guard, i.e. a hang) fail;
* the recorded loss never increases beyond a rounding slack relative to the
  data's scale (no absolute floor, so scale 1e-6 is held to the same standard);
* every ``local_min`` is a vertex, its certificate says so, and the complete
  MILP test agrees;
* the certificate's ``degenerate`` flag equals ``oracle.certify_vertex``'s,
  and a degenerate point is certified by the MILP, never by the 2n-ray test.
  Both flags are taken modulo the flat space (lineality space plus the blocks
  of strictly dead and of disconnected neurons): the walker issues its ray certificate only when
  the tight set is exactly its basis of ``n - dim F`` rows, and the oracle
  calls a point degenerate when more constraints are tight than their rank
  modulo the same space.

Hypothesis ``event()`` records the kind, the status and the certificate, so
``--hypothesis-show-statistics`` shows how often each kind ends degenerate.
The long version is ``verification/fuzz.py`` (results in
``verification/results/fuzz.md``).
"""

from __future__ import annotations

import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st

import fuzz_cases
import strategies


@pytest.mark.parametrize("kind", fuzz_cases.KINDS)
@settings(max_examples=strategies.examples(40))
@given(data=st.data())
def test_walk_on_degenerate_and_extreme_data(kind, data):
    """Every property of :func:`fuzz_cases.check_walk` holds on every drawn case of ``kind``."""
    case = data.draw(fuzz_cases.cases(kind), label="case")
    check = fuzz_cases.check_walk(case.prob, case.kind)
    event(f"kind={kind}")
    event(f"status={check.status or 'exception'}")
    if check.method:
        event(f"certificate={check.method}, degenerate={check.degenerate}")
    assert check.ok, f"{case!r}: " + "; ".join(check.failures)
