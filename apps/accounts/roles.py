"""Roles in a clinic and the clinic-level permissions each holds (DESIGN.md, "Domain model").

A role is a per-clinic Group; the group holds guardian object permissions on the Clinic row.
This table is the only place that says which role may do what.
"""

from django.db import models


class Role(models.TextChoices):
    CLINIC_ADMIN = "clinic_admin", "Clinic administrator"
    CLINICIAN = "clinician", "Clinician"
    EMBRYOLOGIST = "embryologist", "Embryologist"
    ANDROLOGIST = "andrologist", "Andrologist"
    NURSE = "nurse", "Nurse"
    VIEWER = "viewer", "Viewer"


# Permissions defined on Clinic (Clinic.Meta.permissions), granted per clinic through roles.
VIEW_PATIENTS = "view_patients"
CHANGE_PATIENTS = "change_patients"
DELETE_PATIENTS = "delete_patients"
RUN_ANALYSES = "run_analyses"
SIGN_RESULTS = "sign_results"
MANAGE_REPORTS = "manage_reports"
MANAGE_STAFF = "manage_staff"

CLINIC_PERMISSIONS: list[tuple[str, str]] = [
    (VIEW_PATIENTS, "Can view the clinic's patients and their records"),
    (CHANGE_PATIENTS, "Can add and change the clinic's patients and their records"),
    (DELETE_PATIENTS, "Can delete the clinic's patients and their records"),
    (RUN_ANALYSES, "Can request image analyses"),
    (SIGN_RESULTS, "Can review and sign analysis results"),
    (MANAGE_REPORTS, "Can issue and sign reports"),
    (MANAGE_STAFF, "Can manage the clinic's staff and their roles"),
]

ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    Role.CLINIC_ADMIN: frozenset(code for code, _ in CLINIC_PERMISSIONS),
    Role.CLINICIAN: frozenset({VIEW_PATIENTS, CHANGE_PATIENTS, RUN_ANALYSES, SIGN_RESULTS, MANAGE_REPORTS}),
    Role.EMBRYOLOGIST: frozenset({VIEW_PATIENTS, CHANGE_PATIENTS, RUN_ANALYSES, SIGN_RESULTS}),
    Role.ANDROLOGIST: frozenset({VIEW_PATIENTS, CHANGE_PATIENTS, RUN_ANALYSES, SIGN_RESULTS}),
    Role.NURSE: frozenset({VIEW_PATIENTS, CHANGE_PATIENTS}),
    Role.VIEWER: frozenset({VIEW_PATIENTS}),
}

# Roles that use the Django admin (is_staff follows membership of one of these).
ADMIN_SITE_ROLES = frozenset({Role.CLINIC_ADMIN})


# Partner API key scopes, and the clinic permission each implies for the key's clinic. The
# endpoints check the scope; the one permission rule then checks the implied clinic permission.
class Scope(models.TextChoices):
    PATIENTS_READ = "patients:read", "Read patients"
    PATIENTS_WRITE = "patients:write", "Create and change patients"
    CYCLES_READ = "cycles:read", "Read treatment cycles"
    CYCLES_WRITE = "cycles:write", "Create and change treatment cycles"
    ANALYSES_READ = "analyses:read", "Read analyses"
    ANALYSES_WRITE = "analyses:write", "Request analyses"
    REPORTS_READ = "reports:read", "Read and download reports"


SCOPE_CLINIC_PERMISSIONS: dict[str, frozenset[str]] = {
    Scope.PATIENTS_READ: frozenset({VIEW_PATIENTS}),
    Scope.PATIENTS_WRITE: frozenset({VIEW_PATIENTS, CHANGE_PATIENTS}),
    Scope.CYCLES_READ: frozenset({VIEW_PATIENTS}),
    Scope.CYCLES_WRITE: frozenset({VIEW_PATIENTS, CHANGE_PATIENTS}),
    Scope.ANALYSES_READ: frozenset({VIEW_PATIENTS}),
    Scope.ANALYSES_WRITE: frozenset({VIEW_PATIENTS, RUN_ANALYSES}),
    Scope.REPORTS_READ: frozenset({VIEW_PATIENTS}),
}
