# Production image: gunicorn for the web, the same image runs the worker, beat and the embedding server
# (see docker-compose.yml).
FROM python:3.11-slim AS base

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_DISABLE_PIP_VERSION_CHECK=1 HF_HUB_OFFLINE=1 \
    PULSE_ENV=production PULSE_VAR_DIR=/app/var PROMETHEUS_MULTIPROC_DIR=/tmp/pulse-metrics \
    PULSE_WARM_LOCAL_MODEL=1

WORKDIR /app
RUN apt-get update && apt-get install -y --no-install-recommends git libpq5 && rm -rf /var/lib/apt/lists/*

COPY requirements.txt .
# torch==2.13.0 CPU build; the CPU index keeps the CUDA packages out of the image.
RUN pip install --no-cache-dir --extra-index-url https://download.pytorch.org/whl/cpu -r requirements.txt

COPY . .
RUN SECRET_KEY=build ALLOWED_HOSTS=x PULSE_ENCRYPTION_KEYS=$(python -c "from cryptography.fernet import Fernet;print(Fernet.generate_key().decode())") \
    CELERY_BROKER_URL=redis://unused python manage.py collectstatic --noinput -v0

# var/run (the embedding server's socket) and var/models are volumes: created here so they belong to pulse.
RUN useradd --create-home pulse && mkdir -p /app/var/run /app/var/models && chown -R pulse /app/var
USER pulse
EXPOSE 8000
# gunicorn_conf empties the metrics folder at start (every worker's metrics are summed at /metrics).
CMD ["gunicorn", "pulse.wsgi:application", "-c", "python:pulse.gunicorn_conf"]
