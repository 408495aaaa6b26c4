# The platform and the simulators in one small image, run as a non-root user.
# Build: docker build -t warden .    Run: docker compose up (see docker-compose.yml)

FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY topology/ topology/
COPY drivers/ drivers/
COPY store/ store/
COPY twin/ twin/
COPY api/ api/
COPY simulators/ simulators/
COPY warden/ warden/
RUN python -m venv /opt/warden \
    && /opt/warden/bin/pip install --no-cache-dir --upgrade pip \
    && /opt/warden/bin/pip install --no-cache-dir .

FROM python:3.11-slim
RUN useradd --system --uid 10001 --user-group --home-dir /var/lib/warden \
        --create-home --shell /usr/sbin/nologin warden
COPY --from=build /opt/warden /opt/warden
ENV PATH=/opt/warden/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1
USER warden
WORKDIR /var/lib/warden
# History (SQLite file) and the InfluxDB spool live here; keep it on a volume.
VOLUME ["/var/lib/warden"]
EXPOSE 8000
ENTRYPOINT ["warden"]
CMD ["run", "--demo", "--host", "0.0.0.0"]
