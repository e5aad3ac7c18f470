# s3why: a slim, non-root image whose default command runs the Slack app.
FROM python:3.11-slim AS base
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /app
COPY pyproject.toml constraints.txt README.md ./
COPY bot ./bot
COPY templates ./templates
COPY remediations ./remediations
RUN pip install -c constraints.txt . \
 && useradd --system --uid 10001 --home-dir /app s3why
USER 10001
EXPOSE 3000
CMD ["s3why", "serve"]
