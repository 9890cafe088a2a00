"""lpwalk: exact, certified study of layer-wise L1 loss landscapes of ReLU networks."""

from .errors import CertificateError, LPWalkError, NumericalError, OracleError
from .network import ReLUNetwork
from .problem import Evaluation, LayerwiseL1Problem
from . import oracle
from .results import LocalMinCertificate, LocalMinStatus, Trajectory, WalkResult, WalkStatus
from .walker import PivotInfo, walk
from .lad import LADRegressor, lad_fit

__version__ = "0.1.0"

__all__ = [
    "ReLUNetwork",
    "LayerwiseL1Problem",
    "Evaluation",
    "walk",
    "lad_fit",
    "LADRegressor",
    "PivotInfo",
    "WalkResult",
    "WalkStatus",
    "Trajectory",
    "LocalMinCertificate",
    "LocalMinStatus",
    "oracle",
    "LPWalkError",
    "OracleError",
    "NumericalError",
    "CertificateError",
    "__version__",
]
