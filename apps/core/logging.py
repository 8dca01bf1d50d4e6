"""JSON-lines log formatter. Messages carry ids and codes only; never PHI (see STYLE.md)."""

from __future__ import annotations

import datetime
import json
import logging
import traceback


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
            # The exception type and where it happened, never its message: a database or library
            # error message can echo the values involved, and those may be PHI.
            entry["exception"] = record.exc_info[0].__name__
            frames = traceback.extract_tb(record.exc_info[2])[-3:]
            entry["stack"] = [f"{f.filename}:{f.lineno} in {f.name}" for f in frames]
        return json.dumps(entry)
