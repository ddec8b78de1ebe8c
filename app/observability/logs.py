"""Logging for `gazette serve`: text, or one JSON object a line (GAZETTE_LOG_FORMAT=json), with
the request id on every record; handed to uvicorn as its log_config."""

import logging
from datetime import UTC, datetime
from typing import Any

import orjson


class JsonFormatter(logging.Formatter):
    """time, level, logger, message, request_id (access lines: app/http/middleware/access_log.py, alike)."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
        }
        line["message"] = record.getMessage()
        line["request_id"] = getattr(record, "request_id", None)
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return orjson.dumps(line, default=str).decode()


def config(log_format: str, level: str) -> dict[str, Any]:
    """A logging.config.dictConfig for uvicorn and Gazette; `level` is uvicorn's and Gazette's,
    the access log (opt-in) writes at INFO whatever it is."""
    text = {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"}
    formatters = {
        "line": {"()": JsonFormatter} if log_format == "json" else text,
        "bare": {"()": JsonFormatter} if log_format == "json" else {"format": "%(message)s"},
    }
    handler = {"class": "logging.StreamHandler", "stream": "ext://sys.stderr", "filters": ["request_id"]}
    upper = level.upper()
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request_id": {"()": "app.http.middleware.request_id.RequestIdFilter"}},
        "formatters": formatters,
        "handlers": {"default": {**handler, "formatter": "line"}, "access": {**handler, "formatter": "bare"}},
        "root": {"handlers": ["default"], "level": upper},
        "loggers": {
            "uvicorn": {"level": upper, "handlers": [], "propagate": True},
            "uvicorn.error": {"level": upper, "handlers": [], "propagate": True},
            "uvicorn.access": {"level": upper, "handlers": [], "propagate": True},
            "gazette": {"level": upper, "handlers": [], "propagate": True},
            "gazette.access": {"level": "INFO", "handlers": ["access"], "propagate": False},
        },
    }
