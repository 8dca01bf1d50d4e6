from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, Group, PermissionsMixin
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase

from apps.accounts.roles import CLINIC_PERMISSIONS, Role
from apps.core.models import BaseModel


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def _create(self, email: str, password: str | None, **extra: Any) -> User:
        if not email:
            raise ValueError("An e-mail address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.full_clean(exclude=["password"])
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra: Any) -> User:
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra: Any) -> User:
        extra.update(is_staff=True, is_superuser=True)
        return self._create(email, password, **extra)

    def get_by_natural_key(self, username: str | None) -> User:
        return self.get(email__iexact=username or "")


class User(AbstractBaseUser, PermissionsMixin):
    """Staff member or administrator. Logs in with an e-mail address (case-insensitive)."""

    external_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    email = models.EmailField("e-mail address", unique=True)
    full_name = models.CharField(max_length=200, blank=True)
    is_staff = models.BooleanField(default=False, help_text="May log in to the Django admin.")
    is_active = models.BooleanField(default=True)
    date_joined = models.DateTimeField(default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = []  # type: ignore[misc]

    class Meta:
        constraints = [models.UniqueConstraint(Lower("email"), name="user_email_ci_unique")]

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.email = self.email.lower()
        super().save(*args, **kwargs)

    def __str__(self) -> str:
        return self.full_name or self.email

    def get_full_name(self) -> str:
        return self.full_name or self.email

    def get_short_name(self) -> str:
        return self.get_full_name()


class Clinic(BaseModel):
    """The tenant. Every clinical row belongs to exactly one clinic."""

    name = models.CharField(max_length=200)
    code = models.SlugField(max_length=40, unique=True, help_text="Short stable code, e.g. 'north'.")
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]
        permissions = CLINIC_PERMISSIONS  # type: ignore[assignment]

    def __str__(self) -> str:
        return self.name


class StaffRole(BaseModel):
    """A role within one clinic, backed by a Group that holds object permissions on the clinic."""

    clinic = models.ForeignKey(Clinic, on_delete=models.CASCADE, related_name="roles")
    role = models.CharField(max_length=20, choices=Role.choices)
    group = models.OneToOneField(Group, on_delete=models.CASCADE, related_name="staff_role")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["clinic", "role"], name="staffrole_clinic_role_unique")]
        ordering = ["clinic__name", "role"]

    def __str__(self) -> str:
        return f"{self.clinic.code}: {self.get_role_display()}"


# guardian's direct foreign-key permission tables for Clinic (faster and with real FKs).
class ClinicUserObjectPermission(UserObjectPermissionBase):
    content_object = models.ForeignKey(Clinic, on_delete=models.CASCADE)


class ClinicGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey(Clinic, on_delete=models.CASCADE)


class ApiKey(BaseModel):
    """A partner's key: bound to one clinic, limited to scopes, with expiry and revocation.

    Only a lookup prefix and a SHA-256 hash of the secret are stored; the full key
    (``fv_<prefix>.<secret>``) is shown once, when it is created.
    """

    clinic = models.ForeignKey(Clinic, on_delete=models.CASCADE, related_name="api_keys")
    name = models.CharField(max_length=100, help_text="Who holds the key, e.g. 'Referral lab X (EMR sync)'.")
    prefix = models.CharField(max_length=16, unique=True, editable=False)
    hashed_secret = models.CharField(max_length=64, editable=False)
    scopes = models.JSONField(default=list)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True, editable=False)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, editable=False, related_name="+"
    )

    class Meta:
        ordering = ["clinic__name", "name"]
        verbose_name = "API key"

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix})"

    @property
    def is_usable(self) -> bool:
        now = timezone.now()
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > now)

    def get_additional_data(self) -> dict[str, str]:
        return {"clinic": str(self.clinic.external_id)}
