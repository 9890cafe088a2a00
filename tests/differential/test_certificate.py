"""Certificates of the walker on random instances: float and exact verification against each other.

The instances are the shared strategies' two families (``strategies.problems``):
generic floats, where vertices are nondegenerate and exact verification must
*prove* what float verification *verifies*, and small-integer lattice data,
where ties make degenerate minima that may only ever be *verified*.
"""

import dataclasses

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import strategies
from lpwalk import NumericalError, walk
from lpwalk.certificate import Certificate, from_walk, verify
from lpwalk.studies import exact_study

#: keep the default profile's runtime small: every example walks and verifies twice
_EXAMPLES = min(settings.default.max_examples, 30)
_small = dict(max_hidden=1, max_inputs=2, max_width=3, max_samples=12)


def _walk_certificate(prob):
    try:
        res = walk(prob, max_pivots=2000, time_limit=20)
    except NumericalError:  # the walker's own failures are its tests' business
        return None
    if res.status.value != "local_min":
        return None
    return Certificate.from_dict(from_walk(prob, res).to_dict())


@settings(max_examples=_EXAMPLES, suppress_health_check=[HealthCheck.too_slow])
@given(strategies.problems(**_small))
def test_walker_certificates_verify_and_exact_agrees(prob):
    """Every certificate the walker writes is proved or verified; exact and float agree on the outcome."""
    cert = _walk_certificate(prob)
    if cert is None:
        return
    fl = verify(cert, prob)
    ex = verify(cert, prob, exact=True)
    assert fl.status == "verified", fl.reason
    assert ex.status in ("proved", "verified"), ex.reason
    if cert.method == "milp":
        assert ex.status == "verified" and fl.degenerate == ex.degenerate
    if ex.status == "proved":
        assert not cert.degenerate and not fl.degenerate
        np.testing.assert_allclose(sorted(ex.details["exact_phi"]), sorted(cert.ray_phi),
                                   rtol=1e-6, atol=1e-8 * (1 + np.abs(cert.ray_phi).max(initial=0.0)))
        # exact strictness can only be finer than the float decision (flat up to rounding)
        if ex.strict is False:
            assert fl.strict is False


@settings(max_examples=_EXAMPLES, suppress_health_check=[HealthCheck.too_slow])
@given(strategies.problems(family="float", **_small), st.sampled_from([1e-6, 1e6, 2.0**-40, 2.0**40]))
def test_certificates_at_extreme_data_scales_are_proved(prob, scale):
    """X, y and the biases times 1e±6 or 2^±40: a nondegenerate certificate is still *proved* in rational
    arithmetic and *verified* in floats (the float checks' tolerances scale with the data, DESIGN §7)."""
    import fuzz_cases

    cert = _walk_certificate(fuzz_cases.rescaled(prob, scale))
    if cert is None or cert.method != "rays":
        return
    scaled = fuzz_cases.rescaled(prob, scale)
    assert verify(cert, scaled, exact=True).status == "proved"
    assert verify(cert, scaled).status == "verified"


@settings(max_examples=_EXAMPLES, suppress_health_check=[HealthCheck.too_slow])
@given(strategies.problems(family="float", **_small), st.data())
def test_tampering_never_crashes(prob, data):
    """Change one basis id or one θ entry: the outcome is a status with a reason, never an exception."""
    cert = _walk_certificate(prob)
    if cert is None:
        return
    which = data.draw(st.sampled_from(["basis", "theta"]))
    if not cert.basis:
        which = "theta"  # every direction is flat (all neurons dead): there is no basis to tamper with
    if which == "basis":
        r = data.draw(st.integers(0, len(cert.basis) - 1))
        new = data.draw(st.integers(0, prob.n_constraints - 1).filter(lambda c: c not in cert.basis))
        basis = list(cert.basis)
        basis[r] = new
        bad = dataclasses.replace(cert, basis=tuple(basis),
                                  basis_labels=tuple(prob.constraint_label(b) for b in basis))
    i = data.draw(st.integers(0, len(cert.theta) - 1))
    if which == "theta":
        theta = list(cert.theta)
        theta[i] = theta[i] * 1.001 + 1e-3
        bad = dataclasses.replace(cert, theta=tuple(theta))
    for exact in (False, True):
        v = verify(bad, prob, exact=exact)
        assert v.status in ("invalid", "refuted", "verified", "proved")
        assert v.reason
        flat = prob.flat_basis(np.asarray(cert.theta))
        moves_features = np.linalg.norm(flat[i]) < 1 - 1e-9 if which == "theta" else False
        if moves_features:  # θ_i is not a flat direction: the basis is no longer tight
            assert v.status == "invalid", v.reason


@settings(max_examples=min(settings.default.max_examples, 3), deadline=None)
@given(st.integers(0, 2**16))
def test_exact_study_global_minimum_is_never_above_a_local_minimum(seed):
    """Tiny family: the MILP's global minimum in the box is at most every in-box walker minimum,
    and every walker minimum is certified."""
    result = exact_study(instances=1, starts=5, inputs=1, width=2, samples=6, box=3.0, seed=seed,
                         certify="float", time_limit=30)
    s = result.instances[0]
    if s.global_status != "optimal":
        return
    for o in result.outcomes:
        if o.minimum >= 0 and o.in_box:
            assert s.global_loss <= o.loss + s.tolerance
    assert result.violations == 0
    assert result.all_certified
