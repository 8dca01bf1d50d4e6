import uuid

from django.db import models


class BaseModel(models.Model):
    """Every record: an internal integer key, a UUID shown to the outside world, and timestamps.

    URLs, the API and exports use `external_id` only; integer ids never leave the database.
    """

    external_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True
