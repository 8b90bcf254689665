# moto-forge: an S3 server that keeps its data.
#   docker build -t moto-forge .
#   docker run -p 5000:5000 -v moto-forge-data:/data moto-forge
# Not built in CI (no Docker daemon there); tests/test_packaging.py checks what it copies
# and the settings it passes, and builds and runs the same wheel it installs.
FROM python:3.11-slim
WORKDIR /src
COPY pyproject.toml README.md LICENSE ./
COPY moto_forge ./moto_forge
RUN pip install --no-cache-dir . && rm -rf /src
WORKDIR /
ENV MOTO_FORGE_DATA_DIR=/data \
    MOTO_FORGE_HOST=0.0.0.0 \
    MOTO_FORGE_PORT=5000 \
    MOTO_FORGE_LOG_FORMAT=json
VOLUME /data
EXPOSE 5000
HEALTHCHECK --interval=10s --timeout=3s \
    CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:5000/-/health', timeout=2)"
ENTRYPOINT ["moto-forge"]
CMD ["serve"]
