from django.conf import settings
from django.db import models


class AccessAction(models.TextChoices):
    VIEW = "view", "Viewed"
    LIST = "list", "Listed"
    EXPORT = "export", "Exported"
    DOWNLOAD = "download", "Downloaded"


class AccessLog(models.Model):
    """Who read or exported which PHI object, when and from where. Append-only."""

    at = models.DateTimeField(auto_now_add=True, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    api_key_prefix = models.CharField(max_length=16, blank=True, help_text="Lookup prefix of the partner API key.")
    clinic_external_id = models.UUIDField(null=True, blank=True, db_index=True)
    object_type = models.CharField(max_length=40)
    object_external_id = models.UUIDField(db_index=True)
    action = models.CharField(max_length=10, choices=AccessAction.choices)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    correlation_id = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["-at"]

    def __str__(self) -> str:
        return f"{self.action} {self.object_type} {self.object_external_id}"
