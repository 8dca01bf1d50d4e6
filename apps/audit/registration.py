"""Change history (django-auditlog) for every clinical model, with encrypted fields masked.

An encrypted field's change is recorded as a change, never with its value: the mask replaces
the whole value (auditlog's default mask would keep half of it in clear).
"""

from __future__ import annotations

from django.apps import apps
from django.db.models import Model

REDACTED = "[encrypted]"

CLINICAL_MODELS = (
    "patients.Patient",
    "patients.Consent",
    "cycles.TreatmentCycle",
    "cycles.MonitoringVisit",
    "cycles.Oocyte",
    "cycles.Embryo",
    "cycles.EmbryoAssessment",
    "cycles.Transfer",
    "analyses.Analysis",
    "analyses.AnalysisImage",
    "reports.Report",
    "accounts.Clinic",
    "accounts.StaffRole",
    "accounts.ApiKey",
)


def mask_encrypted(value: str) -> str:
    return REDACTED


def encrypted_field_names(model: type[Model]) -> list[str]:
    return [f.name for f in model._meta.concrete_fields if getattr(f, "encrypted", False)]


def register_clinical_models() -> None:
    from auditlog.registry import auditlog

    for label in CLINICAL_MODELS:
        model = apps.get_model(label)
        if auditlog.contains(model):
            continue
        m2m = [f.name for f in model._meta.many_to_many]
        auditlog.register(
            model,
            mask_fields=encrypted_field_names(model),
            mask_callable="apps.audit.registration.mask_encrypted",
            m2m_fields=set(m2m),
            # Blind indexes are keyed hashes of PHI: no use in a change log, so leave them out.
            exclude_fields=["mrn_index", "name_index", "updated_at"],
        )
