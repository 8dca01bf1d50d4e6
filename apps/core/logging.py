"""JSON-lines log formatter. Messages carry ids and codes only; never PHI (see STYLE.md)."""

from __future__ import annotations

import datetime
import json
import logging


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "ts": datetime.datetime.fromtimestamp(record.created, tz=datetime.UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "correlation_id": getattr(record, "correlation_id", ""),
        }
        for key in ("status_code", "code"):
            if hasattr(record, key):
                entry[key] = getattr(record, key)
        if record.exc_info and record.exc_info[0] is not None:
            # The exception type and where it happened; the message of a foreign exception may
            # echo input, so it is left out.
            entry["exception"] = record.exc_info[0].__name__
            entry["stack"] = self.formatException(record.exc_info).splitlines()[-3:-1]
        return json.dumps(entry)
