"""All tables; importing this package registers every table on SQLModel.metadata."""

from sqlmodel import SQLModel

SQLModel.metadata.naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

from .applications import Activity, Application  # noqa: E402
from .audit import AuditChainHead, AuditEvent  # noqa: E402
from .batches import CertificateBatch  # noqa: E402
from .campaigns import Campaign  # noqa: E402
from .certificates import Certificate, Decision  # noqa: E402
from .counters import ApplicationCounter, HolderCounter, RegisterSequence, RollupCounter  # noqa: E402
from .criteria import Competence, CriteriaSet, Indicator, IndicatorWording  # noqa: E402
from .digital import DigitalAttainment, DigitalCounter, DigitalFramework, DigitalTestAttempt  # noqa: E402
from .identity import ActivationCode, ApiToken, Citizen, Hamlet, RecoveryCode, User, Ward  # noqa: E402
from .outbox import OutboxMessage  # noqa: E402
from .privacy import ConsentRecord, PrivacyRequest  # noqa: E402
from .rollup import (  # noqa: E402
    Population,
    PopulationImport,
    PopulationRevision,
    ReportSnapshot,
    Target,
    UnitFigure,
)

metadata = SQLModel.metadata

__all__ = [
    "ActivationCode",
    "Activity",
    "ApiToken",
    "Application",
    "ApplicationCounter",
    "AuditChainHead",
    "AuditEvent",
    "Campaign",
    "Certificate",
    "CertificateBatch",
    "Citizen",
    "Competence",
    "ConsentRecord",
    "CriteriaSet",
    "Decision",
    "DigitalAttainment",
    "DigitalCounter",
    "DigitalFramework",
    "DigitalTestAttempt",
    "Hamlet",
    "HolderCounter",
    "Indicator",
    "IndicatorWording",
    "OutboxMessage",
    "Population",
    "PopulationImport",
    "PopulationRevision",
    "PrivacyRequest",
    "RecoveryCode",
    "RegisterSequence",
    "ReportSnapshot",
    "RollupCounter",
    "Target",
    "UnitFigure",
    "User",
    "Ward",
    "metadata",
]
