r"""Local-minimum certificates anyone can re-check, and their exact verification (DESIGN §6).

Two files make a certificate self-contained:

* a **problem file** (``.npz``, :func:`save_problem` / :func:`load_problem`):
  the network's weights and biases ``W0..WL``, ``b0..bL``, the layer index,
  ``train_bias``, ``X`` and ``y``, all as stored float64 arrays, with a format
  version;
* a **certificate** (JSON, :class:`Certificate`): the problem's
  :func:`fingerprint`, θ (decimal floats that round-trip, and the same values
  as ``float.hex`` strings), the basis (constraint ids and labels), the tight
  non-basic ids when degenerate, the method, the degenerate and strict flags,
  and the checked quantities (φ on each of the 2n edge rays, or the MILP's
  optimum and bound).

:func:`verify` re-checks a certificate against a problem, in floating point or
exactly (``exact=True``, rational arithmetic with python-flint).
"""

from __future__ import annotations

import hashlib
import json
import math
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ._io import atomic_write_json, atomic_write_npz, read_npz
from .errors import CertificateError
from .network import ReLUNetwork
from .problem import LayerwiseL1Problem
from .results import LocalMinStatus, WalkResult, WalkStatus

__all__ = [
    "PROBLEM_FORMAT_VERSION",
    "CERTIFICATE_FORMAT",
    "CERTIFICATE_VERSION",
    "save_problem",
    "load_problem",
    "fingerprint",
    "Certificate",
    "from_walk",
]

#: Version of the problem ``.npz`` layout written by :func:`save_problem`.
PROBLEM_FORMAT_VERSION = 1
#: The ``"format"`` field of every certificate file.
CERTIFICATE_FORMAT = "lpwalk-certificate"
#: The ``"version"`` field of the certificate files this module writes.
CERTIFICATE_VERSION = 1


# =============================================================== problem files
def save_problem(path, prob: LayerwiseL1Problem) -> None:
    """Write ``prob`` to ``path`` as a self-contained ``.npz`` file, atomically.

    Arrays: ``W0..WL``, ``b0..bL`` (the network as given, layer ``k`` included),
    ``X`` of shape ``(N, n_0)``, ``y`` of shape ``(N,)``, the scalars ``layer``
    and ``train_bias``, and ``lpwalk_problem_version``.  Floats are stored as
    float64, so :func:`load_problem` gives back a problem with the same
    :func:`fingerprint`.
    """
    if not isinstance(prob, LayerwiseL1Problem):
        raise TypeError(f"prob must be a LayerwiseL1Problem, got {type(prob).__name__}")
    net = prob.base_network
    arrays = {f"W{l}": np.asarray(w, dtype=np.float64) for l, w in enumerate(net.weights)}
    arrays.update({f"b{l}": np.asarray(b, dtype=np.float64) for l, b in enumerate(net.biases)})
    arrays["X"] = np.asarray(prob.X, dtype=np.float64)
    arrays["y"] = np.asarray(prob.y, dtype=np.float64)
    arrays["layer"] = np.array(prob.layer, dtype=np.int64)
    arrays["train_bias"] = np.array(prob.train_bias, dtype=np.bool_)
    arrays["lpwalk_problem_version"] = np.array(PROBLEM_FORMAT_VERSION, dtype=np.int64)
    atomic_write_npz(path, **arrays)


def _scalar(arrays: dict, key: str, source: str, kind):
    value = np.asarray(arrays[key])
    if value.shape not in ((), (1,)):
        raise ValueError(f"{source}: array {key!r} must be a scalar, got shape {value.shape}")
    value = value.reshape(())
    if kind is bool:
        if value.dtype != np.bool_ and not (np.issubdtype(value.dtype, np.integer) and int(value) in (0, 1)):
            raise ValueError(f"{source}: {key!r} must be a boolean, got {value!r}")
        return bool(value)
    if not np.issubdtype(value.dtype, np.integer):
        raise ValueError(f"{source}: {key!r} must be an integer, got dtype {value.dtype}")
    return int(value)


def load_problem(path) -> LayerwiseL1Problem:
    """Read a problem written by :func:`save_problem`.

    Raises
    ------
    FileNotFoundError
        ``path`` does not exist.
    ValueError
        Not a readable ``.npz``, a missing array (named), an unknown format
        version, or arrays that do not make a problem (the problem's own
        validation message).
    """
    source = f"problem file {os.fspath(path)!r}"
    arrays = read_npz(path)
    missing = [k for k in ("lpwalk_problem_version", "layer", "train_bias", "X", "y", "W0", "b0")
               if k not in arrays]
    if missing:
        raise ValueError(f"{source} is missing arrays {missing} (found {sorted(arrays) or 'no arrays'})")
    version = _scalar(arrays, "lpwalk_problem_version", source, int)
    if version != PROBLEM_FORMAT_VERSION:
        raise ValueError(
            f"{source} has problem format version {version}; this lpwalk reads version "
            f"{PROBLEM_FORMAT_VERSION}"
        )
    layer = _scalar(arrays, "layer", source, int)
    train_bias = _scalar(arrays, "train_bias", source, bool)
    try:
        net = ReLUNetwork.from_arrays(arrays, source=source)
        return LayerwiseL1Problem(net, arrays["X"], arrays["y"], layer=layer, train_bias=train_bias)
    except (ValueError, TypeError) as exc:
        raise ValueError(f"{source} does not hold a valid problem: {exc}") from None


def fingerprint(prob: LayerwiseL1Problem) -> str:
    """``"sha256:<hex>"`` over the problem's inputs, as stored.

    The hash covers, in this order, a format tag, the layer index, ``train_bias``,
    every weight matrix and bias vector of the network (layer ``k`` included),
    then ``X`` and ``y``.  Each array enters as its name, its shape and its
    bytes as little-endian float64 in C order, so the fingerprint does not
    depend on the machine or on how the arrays were laid out in memory.
    """
    h = hashlib.sha256()
    h.update(b"lpwalk-problem-fingerprint-v1\0")
    h.update(f"layer={int(prob.layer)};train_bias={int(bool(prob.train_bias))}\0".encode())
    net = prob.base_network
    named = [(f"W{l}", w) for l, w in enumerate(net.weights)]
    named += [(f"b{l}", b) for l, b in enumerate(net.biases)]
    named += [("X", prob.X), ("y", prob.y)]
    for name, arr in named:
        a = np.ascontiguousarray(np.asarray(arr, dtype="<f8"))
        h.update(f"{name}:{','.join(str(s) for s in a.shape)}\0".encode())
        h.update(a.tobytes(order="C"))
    return "sha256:" + h.hexdigest()


def problem_summary(prob: LayerwiseL1Problem) -> dict:
    """The sizes a certificate records about its problem (checked by :func:`verify`)."""
    return {
        "sizes": [int(s) for s in prob.base_network.sizes],
        "layer": int(prob.layer),
        "n_samples": int(prob.n_samples),
        "n_params": int(prob.n_params),
        "n_constraints": int(prob.n_constraints),
        "train_bias": bool(prob.train_bias),
        "lineality_dim": int(prob.lineality_dim),
    }


# ================================================================ certificates
def _float_or_none(x):
    return None if x is None else float(x)


def _label_json(label) -> list:
    return [label[0], *(int(v) for v in label[1:])]


@dataclass(frozen=True)
class Certificate:
    """A local-minimum certificate as stored in a JSON file (format version 1).

    Attributes
    ----------
    fingerprint : str
        ``"sha256:<hex>"`` of the problem (:func:`fingerprint`).
    problem : dict
        Summary: ``sizes``, ``layer``, ``n_samples``, ``n_params``,
        ``n_constraints``, ``train_bias``, ``lineality_dim``.
    theta : tuple of float
        θ, exact float64 values (the file also holds them as ``float.hex``).
    loss : float
        ℓ(θ) as computed when the certificate was written.
    basis : tuple of int
        The ``n - dim Λ`` constraint ids of the vertex's basis.
    basis_labels : tuple of tuple
        ``("relu", l, i, j)`` / ``("res", i)`` for each basis id.
    tight_nonbasic : tuple of int
        Constraints tight at θ besides the basis (non-empty only when degenerate).
    tight_nonbasic_labels : tuple of tuple
    method : str
        ``"rays"`` (2n-edge-ray test at a nondegenerate vertex) or ``"milp"``
        (complete test at a degenerate one).
    degenerate : bool
    strict : bool or None
        φ > 0 on every edge ray (rays); None when the test cannot tell (MILP).
    min_phi : float
        Rays: the smallest φ over the edge rays; MILP: its optimum of
        ``min φ(d), ‖d‖_∞ ≤ 1``.
    ray_ids, ray_sides, ray_phi : tuple
        Rays only: for each of the 2n edge rays, the constraint moved, the side
        it moves to (±1) and φ on the ray scaled so that the constraint moves at
        unit rate.  Empty for MILP certificates.
    milp_bound : float or None
        MILP only: the solver's lower bound on the optimum.
    walk_status : str
        The status of the walk that produced the point (``"local_min"``).
    walk_message : str
    message : str
        The local-minimum test's message.
    claim : str
        ``"local_min"``: what the certificate asserts.
    """

    fingerprint: str
    problem: dict
    theta: tuple
    loss: float
    basis: tuple
    basis_labels: tuple
    method: str
    degenerate: bool
    strict: bool | None
    min_phi: float
    tight_nonbasic: tuple = ()
    tight_nonbasic_labels: tuple = ()
    ray_ids: tuple = ()
    ray_sides: tuple = ()
    ray_phi: tuple = ()
    milp_bound: float | None = None
    walk_status: str = "local_min"
    walk_message: str = ""
    message: str = ""
    claim: str = "local_min"
    version: int = field(default=CERTIFICATE_VERSION)

    @property
    def theta_array(self) -> np.ndarray:
        return np.array(self.theta, dtype=float)

    # -------------------------------------------------------------- dict / JSON
    def to_dict(self) -> dict:
        """The JSON document (plain Python types; floats also as ``float.hex``)."""
        if self.method == "rays":
            checks = {
                "min_phi": float(self.min_phi),
                "rays": [
                    {"id": int(q), "label": _label_json(lab), "side": int(s), "phi": float(ph)}
                    for q, lab, s, ph in zip(self.ray_ids, self._ray_labels(), self.ray_sides, self.ray_phi)
                ],
            }
        else:
            checks = {"min_phi": float(self.min_phi), "milp_bound": _float_or_none(self.milp_bound)}
        return {
            "format": CERTIFICATE_FORMAT,
            "version": int(self.version),
            "claim": self.claim,
            "fingerprint": self.fingerprint,
            "problem": dict(self.problem),
            "walk": {"status": self.walk_status, "message": self.walk_message},
            "method": self.method,
            "degenerate": bool(self.degenerate),
            "strict": self.strict,
            "loss": float(self.loss),
            "theta": [float(t) for t in self.theta],
            "theta_hex": [float(t).hex() for t in self.theta],
            "basis": [int(b) for b in self.basis],
            "basis_labels": [_label_json(lab) for lab in self.basis_labels],
            "tight_nonbasic": [int(b) for b in self.tight_nonbasic],
            "tight_nonbasic_labels": [_label_json(lab) for lab in self.tight_nonbasic_labels],
            "checks": checks,
            "message": self.message,
        }

    def _ray_labels(self):
        # the label of each ray's constraint, looked up among the basis labels
        lookup = dict(zip(self.basis, self.basis_labels))
        return [lookup.get(int(q), ("?",)) for q in self.ray_ids]

    @classmethod
    def from_dict(cls, doc) -> "Certificate":
        """Parse a certificate document; raises :class:`CertificateError` naming what is wrong."""
        return _parse(doc)

    def save(self, path) -> None:
        """Write the certificate as JSON to ``path``, atomically."""
        atomic_write_json(path, self.to_dict())

    @classmethod
    def load(cls, path) -> "Certificate":
        """Read a certificate file.

        Raises
        ------
        FileNotFoundError
            ``path`` does not exist.
        CertificateError
            Not JSON, not a certificate, an unknown version, a missing or
            malformed field (named).
        """
        path = Path(path)
        if not path.exists():
            raise FileNotFoundError(f"no such file: {os.fspath(path)!r}")
        try:
            doc = json.loads(path.read_text(encoding="utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise CertificateError(f"{os.fspath(path)!r} is not a JSON document: {exc}") from None
        return _parse(doc)


def _need(doc: dict, key: str, kinds, what: str):
    if key not in doc:
        raise CertificateError(f"certificate has no field {key!r} ({what})")
    value = doc[key]
    if not isinstance(value, kinds) or (isinstance(value, bool) and bool not in _as_tuple(kinds)):
        raise CertificateError(f"certificate field {key!r} must be {what}, got {value!r:.80}")
    return value


def _as_tuple(kinds):
    return kinds if isinstance(kinds, tuple) else (kinds,)


def _int_list(doc, key, what):
    values = _need(doc, key, list, what)
    if not all(isinstance(v, int) and not isinstance(v, bool) for v in values):
        raise CertificateError(f"certificate field {key!r} must be a list of integers ({what})")
    return tuple(values)


def _float_value(x, where):
    if isinstance(x, bool) or not isinstance(x, (int, float)):
        raise CertificateError(f"{where} must be a number, got {x!r:.80}")
    return float(x)


def _label_list(doc, key, n, what):
    labels = _need(doc, key, list, what)
    if len(labels) != n:
        raise CertificateError(f"certificate field {key!r} has {len(labels)} labels for {n} ids")
    out = []
    for lab in labels:
        if (not isinstance(lab, list) or not lab or lab[0] not in ("relu", "res")
                or not all(isinstance(v, int) and not isinstance(v, bool) for v in lab[1:])):
            raise CertificateError(f"certificate field {key!r} holds a malformed label {lab!r:.80}")
        out.append(tuple(lab))
    return tuple(out)


def _parse(doc) -> Certificate:
    if not isinstance(doc, dict):
        raise CertificateError(f"a certificate is a JSON object, got {type(doc).__name__}")
    fmt = doc.get("format")
    if fmt != CERTIFICATE_FORMAT:
        raise CertificateError(f"not an lpwalk certificate: field 'format' is {fmt!r}, expected {CERTIFICATE_FORMAT!r}")
    version = doc.get("version")
    if version != CERTIFICATE_VERSION:
        raise CertificateError(
            f"unknown certificate version {version!r}; this lpwalk reads version {CERTIFICATE_VERSION}"
        )
    claim = _need(doc, "claim", str, "the claim, 'local_min'")
    if claim != "local_min":
        raise CertificateError(f"unknown claim {claim!r}; certificates claim 'local_min'")
    fp = _need(doc, "fingerprint", str, "'sha256:<hex>'")
    if not fp.startswith("sha256:") or len(fp) != 7 + 64:
        raise CertificateError(f"certificate field 'fingerprint' must be 'sha256:<64 hex digits>', got {fp!r:.80}")
    problem = _need(doc, "problem", dict, "the problem summary")
    for key, kind in (("sizes", list), ("layer", int), ("n_samples", int), ("n_params", int),
                      ("train_bias", bool)):
        if key not in problem or not isinstance(problem[key], kind):
            raise CertificateError(f"certificate problem summary lacks a valid {key!r}")
    walk = _need(doc, "walk", dict, "the walk's status and message")
    method = _need(doc, "method", str, "'rays' or 'milp'")
    if method not in ("rays", "milp"):
        raise CertificateError(f"certificate field 'method' must be 'rays' or 'milp', got {method!r:.80}")
    degenerate = _need(doc, "degenerate", bool, "true or false")
    strict = doc.get("strict", None)
    if strict is not None and not isinstance(strict, bool):
        raise CertificateError(f"certificate field 'strict' must be true, false or null, got {strict!r:.80}")
    loss = _float_value(_need(doc, "loss", (int, float), "a number"), "certificate field 'loss'")
    theta_dec = _need(doc, "theta", list, "a list of numbers")
    theta = tuple(_float_value(t, "an entry of 'theta'") for t in theta_dec)
    theta_hex = _need(doc, "theta_hex", list, "a list of float.hex strings")
    if len(theta_hex) != len(theta):
        raise CertificateError(f"'theta' has {len(theta)} entries but 'theta_hex' has {len(theta_hex)}")
    for i, (t, hx) in enumerate(zip(theta, theta_hex)):
        try:
            exact = float.fromhex(hx)
        except (TypeError, ValueError):
            raise CertificateError(f"theta_hex[{i}] is not a float.hex string: {hx!r:.80}") from None
        if exact != t:
            raise CertificateError(
                f"theta[{i}] = {t!r} disagrees with theta_hex[{i}] = {hx} ({exact!r}): the file was altered"
            )
        if not math.isfinite(t):
            raise CertificateError(f"theta[{i}] is not finite ({t!r})")
    basis = _int_list(doc, "basis", "constraint ids")
    basis_labels = _label_list(doc, "basis_labels", len(basis), "labels of the basis ids")
    tight_nonbasic = _int_list(doc, "tight_nonbasic", "constraint ids")
    tight_labels = _label_list(doc, "tight_nonbasic_labels", len(tight_nonbasic), "labels")
    checks = _need(doc, "checks", dict, "the checked quantities")
    if "min_phi" not in checks:
        raise CertificateError("certificate field 'checks' has no 'min_phi'")
    min_phi = _float_value(checks["min_phi"], "checks.min_phi")
    ray_ids = ray_sides = ray_phi = ()
    milp_bound = None
    if method == "rays":
        rays = checks.get("rays")
        if not isinstance(rays, list):
            raise CertificateError("a 'rays' certificate needs checks.rays, a list of edge rays")
        try:
            ray_ids = tuple(int(r["id"]) for r in rays)
            ray_sides = tuple(int(r["side"]) for r in rays)
            ray_phi = tuple(_float_value(r["phi"], "checks.rays[].phi") for r in rays)
        except (KeyError, TypeError, ValueError):
            raise CertificateError("checks.rays entries need 'id', 'side' and 'phi'") from None
        if any(s not in (-1, 1) for s in ray_sides):
            raise CertificateError("checks.rays[].side must be +1 or -1")
    else:
        mb = checks.get("milp_bound")
        milp_bound = None if mb is None else _float_value(mb, "checks.milp_bound")
    return Certificate(
        fingerprint=fp, problem=dict(problem), theta=theta, loss=loss, basis=basis,
        basis_labels=basis_labels, method=method, degenerate=degenerate, strict=strict,
        min_phi=min_phi, tight_nonbasic=tight_nonbasic, tight_nonbasic_labels=tight_labels,
        ray_ids=ray_ids, ray_sides=ray_sides, ray_phi=ray_phi, milp_bound=milp_bound,
        walk_status=str(walk.get("status", "")), walk_message=str(walk.get("message", "")),
        message=str(doc.get("message", "")), claim=claim, version=version,
    )


def from_walk(prob: LayerwiseL1Problem, result: WalkResult) -> Certificate:
    """The certificate of a walk that ended at a certified local minimum.

    Raises
    ------
    ValueError
        The walk did not end at a local minimum (the status is named), or it
        carries no local-minimum test.
    TypeError
        Wrong argument types.
    """
    if not isinstance(prob, LayerwiseL1Problem):
        raise TypeError(f"prob must be a LayerwiseL1Problem, got {type(prob).__name__}")
    if not isinstance(result, WalkResult):
        raise TypeError(f"result must be a WalkResult, got {type(result).__name__}")
    if result.status is not WalkStatus.LOCAL_MIN:
        raise ValueError(
            f"a certificate needs a walk that ended at a local minimum; this walk ended with "
            f"status {result.status.value!r} ({result.message})"
        )
    cert = result.certificate
    if cert is None or cert.status is not LocalMinStatus.LOCAL_MIN:
        status = "none" if cert is None else cert.status.value
        raise ValueError(f"the walk's local-minimum test is missing or not a minimum (status {status!r})")
    theta = prob.check_theta(result.theta, "result.theta")
    basis = tuple(int(b) for b in result.basis)
    if len(basis) != prob.vertex_rank:
        raise ValueError(f"the walk's basis has {len(basis)} ids, a vertex needs {prob.vertex_rank}")
    tight_nonbasic = ()
    if cert.degenerate:
        tight_nonbasic = tuple(sorted(int(c) for c in set(cert.tight) - set(basis)))
    ray_ids = ray_sides = ray_phi = ()
    if cert.method == "rays":
        ray_ids = tuple(int(q) for q in cert.ray_ids)
        ray_sides = tuple(int(s) for s in cert.ray_sides)
        ray_phi = tuple(float(p) for p in cert.ray_phi)
    return Certificate(
        fingerprint=fingerprint(prob),
        problem=problem_summary(prob),
        theta=tuple(float(t) for t in theta),
        loss=float(prob.loss(theta)),
        basis=basis,
        basis_labels=tuple(prob.constraint_label(b) for b in basis),
        method=str(cert.method),
        degenerate=bool(cert.degenerate),
        strict=None if cert.strict is None else bool(cert.strict),
        min_phi=float(cert.min_phi),
        tight_nonbasic=tight_nonbasic,
        tight_nonbasic_labels=tuple(prob.constraint_label(c) for c in tight_nonbasic),
        ray_ids=ray_ids,
        ray_sides=ray_sides,
        ray_phi=ray_phi,
        milp_bound=_float_or_none(cert.milp_bound),
        walk_status=result.status.value,
        walk_message=result.message,
        message=cert.message,
    )
