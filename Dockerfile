# Production image: the web app (gunicorn), the Celery worker and beat share it.
# Dependencies come from the lock file with their hashes checked: the image has the versions CI tested.
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app
COPY requirements/run.lock requirements/run.lock
RUN pip install --no-cache-dir --require-hashes -r requirements/run.lock
COPY . .
RUN DEBUG=0 SECRET_KEY=collectstatic python manage.py collectstatic --noinput
EXPOSE 8000
CMD ["gunicorn", "escalation_tracker.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3"]
