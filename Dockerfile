# Gazette: a slim, non-root image that migrates the database, then serves.
# Build: docker build -t gazette .   Run: docker run -p 8000:8000 -e GAZETTE_DATABASE_URL=postgresql://… gazette
FROM python:3.11-slim AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
COPY pyproject.toml README.md ./
COPY app ./app
RUN python -m venv /venv && /venv/bin/pip install .

FROM python:3.11-slim
ENV PATH=/venv/bin:$PATH PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1 \
    GAZETTE_DATABASE_URL=sqlite:////data/gazette.db
RUN useradd --create-home --uid 10001 gazette && mkdir /data && chown gazette /data
COPY --from=build /venv /venv
# The package carries its migrations (app/store/migrations): installed once, in /venv.
WORKDIR /data
USER gazette
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=3s --start-period=20s --retries=3 \
  CMD python -c "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/readyz', timeout=2).status == 200 else 1)"
# `serve` applies migrations first (--migrate is the default), then runs uvicorn.
CMD ["gazette", "serve", "--host", "0.0.0.0", "--port", "8000", "--workers", "2"]
