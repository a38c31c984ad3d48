# Production image: the web app (gunicorn), the Celery worker and beat share it.
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app
COPY pyproject.toml ./
RUN pip install --no-cache-dir . gunicorn
COPY . .
RUN DEBUG=0 SECRET_KEY=collectstatic python manage.py collectstatic --noinput
EXPOSE 8000
CMD ["gunicorn", "escalation_tracker.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3"]
