# Ampyre in a container: small (python slim, a wheel built in a first stage), non-root,
# with a health check on /ready. Data (the SQLite database, uploads, firmware images)
# lives in the volume /var/lib/ampyre; on PostgreSQL set AMPYRE_DATABASE_URL.
#   docker build -t ampyre .
#   docker run -p 8180:8180 -v ampyre-data:/var/lib/ampyre ampyre
# See compose.yaml for Ampyre with PostgreSQL.

FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY ampyre ./ampyre
RUN pip wheel --no-cache-dir --no-deps --wheel-dir /wheels . \
 && pip wheel --no-cache-dir --wheel-dir /wheels /wheels/ampyre-*.whl

FROM python:3.11-slim
RUN useradd --system --uid 10001 --user-group --home-dir /var/lib/ampyre --create-home ampyre
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir --no-index --find-links /wheels ampyre \
 && rm -rf /wheels
USER ampyre
WORKDIR /var/lib/ampyre
ENV AMPYRE_HOST=0.0.0.0 \
    AMPYRE_PORT=8180 \
    AMPYRE_DATA_DIR=/var/lib/ampyre \
    AMPYRE_DATABASE_URL=sqlite:////var/lib/ampyre/ampyre.db \
    PYTHONUNBUFFERED=1
VOLUME ["/var/lib/ampyre"]
EXPOSE 8180
HEALTHCHECK --interval=15s --timeout=3s --start-period=30s --retries=3 \
  CMD ["python", "-c", "import sys, urllib.request; sys.exit(urllib.request.urlopen('http://127.0.0.1:8180/ready', timeout=2).status != 200)"]
ENTRYPOINT ["ampyre"]
CMD ["serve"]
