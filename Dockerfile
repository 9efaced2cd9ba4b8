# send-api-emulator: a local emulator of the Facebook Messenger Platform Send API.
#
# Build:  docker build -t send-api-emulator .
# Run:    docker run --rm -p 127.0.0.1:8787:8787 send-api-emulator
#         (serves the bundled default scenario on port 8787)
#
# Own scenario: mount it and select it with EMULATOR_SCENARIO, e.g.
#   docker run --rm -p 127.0.0.1:8787:8787 \
#     -v "$PWD/scenarios:/scenarios:ro" -e EMULATOR_SCENARIO=/scenarios/x.yaml \
#     send-api-emulator
# Other subcommands go after the image name (ENTRYPOINT is the CLI itself):
#   docker run --rm -v "$PWD/scenarios:/scenarios:ro" send-api-emulator check /scenarios/x.yaml
#   docker run --rm send-api-emulator schema
# Settings are EMULATOR_* variables (EMULATOR_HOST, EMULATOR_PORT, EMULATOR_SCENARIO,
# EMULATOR_LOG_LEVEL, EMULATOR_MAX_RECORDS, EMULATOR_STATE). A state file lives on a volume at
# /data, which the image's user may write: -v emulator-state:/data \
#   -e EMULATOR_STATE=/data/state.sqlite. Change the port with EMULATOR_PORT, not `serve --port`: the
# HEALTHCHECK reads EMULATOR_PORT to find the server.
#
# For bots whose Graph URL cannot be changed, the image also serves HTTPS on 8443
# (EMULATOR_HTTPS_PORT; 443 for a network alias graph.facebook.com) and the intercepting proxy
# on 8790 (EMULATOR_PROXY_PORT; EMULATOR_PROXY_GRAPH_ONLY=1 refuses other hosts). The local
# certificate authority is made on first start in /tls (EMULATOR_TLS_DIR): put a volume there
# and mount it read-only into the bot's container, which then trusts /tls/ca.pem
# (NODE_EXTRA_CA_CERTS, REQUESTS_CA_BUNDLE, SSL_CERT_FILE). EMULATOR_TLS_NAMES adds names to
# the certificate (the service's name). Set either port to an empty value to turn it off.
# See examples/docker-compose.unmodified-bot.yml.

FROM python:3.12-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_ROOT_USER_ACTION=ignore

# An unprivileged user with a fixed numeric id (works with runAsNonRoot), and the places it
# writes: /data (serve --state) and /tls (the certificate authority); a named volume there
# takes this ownership.
RUN groupadd --gid 10001 emulator \
 && useradd --uid 10001 --gid emulator --no-log-init \
        --home-dir /nonexistent --no-create-home --shell /usr/sbin/nologin emulator \
 && mkdir /data /tls \
 && chown 10001:10001 /data /tls

WORKDIR /app

# Install the package from the checkout (not editable, no dev extras); drop the
# in-tree build leftovers in the same layer.
COPY pyproject.toml README.md ./
COPY emulator/ ./emulator/
RUN pip install --no-cache-dir . \
 && rm -rf build ./*.egg-info

ENV EMULATOR_HOST=0.0.0.0 \
    EMULATOR_PORT=8787 \
    EMULATOR_HTTPS_PORT=8443 \
    EMULATOR_PROXY_PORT=8790 \
    EMULATOR_TLS_DIR=/tls

EXPOSE 8787 8443 8790

USER 10001:10001

# No curl in the image: the CLI's own probe of /_emulator/health on 127.0.0.1:$EMULATOR_PORT.
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 \
    CMD ["send-api-emulator", "ready", "--wait", "0"]

ENTRYPOINT ["send-api-emulator"]
CMD ["serve"]
