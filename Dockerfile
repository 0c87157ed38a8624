FROM python:3.11-slim
WORKDIR /app
ENV PIP_NO_CACHE_DIR=1 PYTHONUNBUFFERED=1
# offline English<->Spanish translation (Claude covers every pair when KB_ANTHROPIC_API_KEY is set)
RUN apt-get update && apt-get install -y --no-install-recommends apertium apertium-eng-spa transfuse \
    && rm -rf /var/lib/apt/lists/*
RUN pip install --index-url https://download.pytorch.org/whl/cpu torch==2.13.0
COPY pyproject.toml README.md ./
COPY kb_service ./kb_service
COPY ingest ./ingest
COPY eval ./eval
# the prepared model lives in the image; the data (index, source store, keys) in the /data volume
ENV KB_MODELS_DIR=/opt/kb-models
RUN pip install '.[postgres]' && kb models prepare
EXPOSE 8000
CMD ["sh", "-c", "kb ingest --sample && kb serve"]
