# One image for every jiehu process (api, worker, dept-worker); the command picks the role.
FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md ./
COPY domain domain
COPY observability observability
COPY config config
COPY org org
COPY eventstore eventstore
COPY workflows workflows
COPY services services
COPY evaluation evaluation
COPY activities activities
COPY api api
COPY benchmarks benchmarks
COPY stack stack
COPY jiehu jiehu
RUN pip install --no-cache-dir . && useradd --system jiehu
USER jiehu
ENV JIEHU_LOG_FORMAT=json JIEHU_API_HOST=0.0.0.0
CMD ["jiehu", "api"]
