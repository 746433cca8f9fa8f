# regwatch: one image for both compose services (`worker`: regwatch run --no-web; `web`:
# regwatch serve). Dependencies are installed from requirements.lock, the same constraints
# CI tests with. Runs as an unprivileged user; state lives in the database (PostgreSQL under
# docker-compose, or SQLite under /app/var when run alone).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app

RUN groupadd --system --gid 10001 regwatch \
 && useradd --system --uid 10001 --gid regwatch --home-dir /app --no-create-home regwatch

# The project metadata first, so the dependency layer is reused when only code changes.
COPY pyproject.toml requirements.lock README.md ./
COPY monitor ./monitor
COPY spiders ./spiders
RUN pip install --no-cache-dir -c requirements.lock . \
 && rm -rf monitor spiders

# Shipped seed config; docker-compose mounts ./config over it so operators edit it in place.
COPY config ./config
RUN mkdir -p /app/var && chown regwatch:regwatch /app/var

USER 10001:10001

ENV REGWATCH_CONFIG_DIR=/app/config \
    REGWATCH_DATABASE_URL=sqlite:////app/var/regwatch.db

EXPOSE 8000

# /healthz answers 200 while the database is readable (status ok or degraded) and 503 when
# it is not; urlopen raises on 503, so the check fails exactly then. No curl in slim images.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4)"]

CMD ["regwatch", "serve", "--host", "0.0.0.0"]
