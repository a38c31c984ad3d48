"""gunicorn's settings file, read from the working directory (``/app`` in the image, the checkout in
``scripts/cluster``): with ``LOG_FORMAT=json`` gunicorn's own lines (starting, a worker booted, timed out
or killed, shutting down) are JSON objects too, in the app's format (``core.logging.JsonFormatter``),
so that every line a web container writes is one. The command line sets everything else.
"""
import os

if os.environ.get("LOG_FORMAT", "plain").strip().lower() == "json":
    logconfig_dict = {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": "core.logging.JsonFormatter"}},
        "handlers": {
            "error_console": {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stderr"},
            "console": {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stdout"},
        },
        "loggers": {
            "gunicorn.error": {"level": "INFO", "handlers": ["error_console"], "propagate": False},
            "gunicorn.access": {"level": "INFO", "handlers": ["console"], "propagate": False},
        },
    }
