# syntax=docker/dockerfile:1
# The cohortbot process: Slack's HTTP endpoint, the dispatcher and the scheduled jobs.
# Build: docker build -t cohortbot .    Deploy, upgrade and operate: docs/operations.md.

# The base image: Docker Hub's python:3.11-slim, or a mirror's / a locally built one where the
# Hub is out of reach: docker build --build-arg PYTHON_IMAGE=registry.example/python:3.11-slim .
ARG PYTHON_IMAGE=python:3.11-slim

# --- build: a virtualenv with exactly the run-time pins of requirements.lock ---------------
FROM ${PYTHON_IMAGE} AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 PYTHONDONTWRITEBYTECODE=1
WORKDIR /src
COPY requirements.lock pyproject.toml scripts/runtime-requirements.py ./
# requirements.lock also pins the dev tools; keep the part [project.dependencies] reaches,
# hashes and all, and install only that (pip refuses anything unpinned or unhashed).
RUN python runtime-requirements.py requirements.lock pyproject.toml > runtime.lock \
 && python -m venv /opt/cohortbot \
 && /opt/cohortbot/bin/pip install --require-hashes --no-deps -r runtime.lock
COPY README.md app.py manifest.yaml ./
COPY cli ./cli
COPY bot ./bot
COPY handlers ./handlers
COPY schedules ./schedules
COPY storage ./storage
COPY emulator ./emulator
# The project itself (no dependencies: they are all above, from the lock).
RUN /opt/cohortbot/bin/pip wheel --no-deps --wheel-dir /tmp/dist . \
 && /opt/cohortbot/bin/pip install --no-deps /tmp/dist/*.whl

# --- run: the virtualenv on a clean slim image, as an unprivileged user ---------------------
FROM ${PYTHON_IMAGE}
RUN groupadd --system --gid 10001 cohortbot \
 && useradd --system --uid 10001 --gid cohortbot --home-dir /app --shell /usr/sbin/nologin cohortbot \
 && mkdir -p /app/data && chown -R cohortbot:cohortbot /app
COPY --from=build /opt/cohortbot /opt/cohortbot
ENV PATH=/opt/cohortbot/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    COHORTBOT_LOG_FORMAT=json \
    COHORTBOT_HOST=0.0.0.0 \
    COHORTBOT_PORT=3000
WORKDIR /app
USER cohortbot
EXPOSE 3000
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:3000/healthz', timeout=4)"]
ENTRYPOINT ["cohortbot"]
CMD ["run"]
