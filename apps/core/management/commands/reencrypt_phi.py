"""Re-encrypt every encrypted column with the newest key (the first of FIELD_ENCRYPTION_KEYS).

Key rotation: put a new key first in FIELD_ENCRYPTION_KEYS, keep the old ones after it, deploy,
run this command, then (once it reports 0 remaining) remove the old keys. Safe to re-run: rows
already on the newest key are skipped. Works in batches, one transaction per batch.
"""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

from apps.core import crypto


def encrypted_columns() -> list[tuple[Any, list[Any]]]:
    found = []
    for model in apps.get_models():
        fields = [f for f in model._meta.concrete_fields if getattr(f, "encrypted", False)]
        if fields:
            found.append((model, fields))
    return found


class Command(BaseCommand):
    help = "Re-encrypt PHI columns with the newest field-encryption key."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--check", action="store_true", help="only count rows not on the newest key; exit 1 if any")
        parser.add_argument("--batch-size", type=int, default=500)

    def handle(self, *args: Any, **options: Any) -> None:
        current = crypto.keyring().current_id
        total_stale = 0
        for model, fields in encrypted_columns():
            table = connection.ops.quote_name(model._meta.db_table)
            pk_col = connection.ops.quote_name(model._meta.pk.column)
            cols = ", ".join(connection.ops.quote_name(f.column) for f in fields)
            with connection.cursor() as cursor:
                cursor.execute(f"SELECT {pk_col}, {cols} FROM {table}")  # noqa: S608 - identifiers from the model
                rows = cursor.fetchall()
            stale = [row[0] for row in rows if any(v and crypto.key_id_of(v) != current for v in row[1:])]
            total_stale += len(stale)
            if options["check"] or not stale:
                self.stdout.write(f"{model._meta.label}: {len(stale)} of {len(rows)} rows not on key {current}")
                continue
            for start in range(0, len(stale), options["batch_size"]):
                batch = stale[start : start + options["batch_size"]]
                with transaction.atomic():
                    for obj in model._default_manager.select_for_update().filter(pk__in=batch):
                        # update() runs get_prep_value: decrypted with the old key, sealed with the newest.
                        model._default_manager.filter(pk=obj.pk).update(
                            **{f.name: getattr(obj, f.name) for f in fields}
                        )
            self.stdout.write(f"{model._meta.label}: re-encrypted {len(stale)} of {len(rows)} rows with key {current}")
        if options["check"] and total_stale:
            raise CommandError(f"{total_stale} rows are not on the newest key.")
