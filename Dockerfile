# Production image: the web app (gunicorn), the Celery worker and beat share it.
# Dependencies come from the lock file with their hashes checked: the image has the versions CI tested
# (gunicorn among them, pinned in requirements/run.lock). It runs as an unprivileged user (uid 10001), who
# can write only var/ and the attachments' folder.
# The base is the official image by default; any Debian bookworm image with Python 3.11 as `python` and
# `pip` may be named instead (`--build-arg PYTHON_IMAGE=…`: a registry mirror, say; docs/deployment.md).
ARG PYTHON_IMAGE=python:3.11-slim
FROM ${PYTHON_IMAGE}
# Fontconfig (the PDF's fonts) keeps its cache under var/, the one folder of /app the app user may write.
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 VAR_DIR=/app/var ATTACHMENTS_ROOT=/data/attachments \
    LOG_FORMAT=json XDG_CACHE_HOME=/app/var/cache
WORKDIR /app
RUN groupadd --system --gid 10001 app && useradd --system --uid 10001 --gid app --home-dir /app app
# The PostgreSQL client tools, for scripts/backup and scripts/restore (Debian's 15, the server's version in
# docker-compose.yml: pg_dump must be at least the server's); Pango and a font for the written record's PDF
# (WeasyPrint).
RUN apt-get update \
    && apt-get install --yes --no-install-recommends postgresql-client \
       libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/*
COPY requirements/run.lock requirements/run.lock
RUN pip install --no-cache-dir --require-hashes -r requirements/run.lock
COPY . .
# The static files are collected at build time, compressed, and served from there (STATIC_COLLECTED);
# var/ (the static root) and the attachments' folder belong to the app user, who can write nothing else.
RUN DEBUG=0 SECRET_KEY=collectstatic python manage.py collectstatic --noinput \
    && rm -f /app/var/secret_key \
    && mkdir -p /data/attachments /app/var/cache \
    && chown -R app:app /app/var /data
ENV STATIC_COLLECTED=1
USER app
EXPOSE 8000
# gthread workers: a slow request holds one thread, not a whole process; graceful stop within 30 s.
CMD ["gunicorn", "escalation_tracker.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", \
     "--worker-class", "gthread", "--threads", "4", "--timeout", "30", "--graceful-timeout", "30"]
