# One image for every jiehu process (api, worker, dept-worker); the command picks the role.
# The web console (console/) is built in a stage of its own; the API serves its files at /console.
FROM node:20-slim AS console
WORKDIR /console
COPY console/package.json console/package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY console/index.html console/vite.config.js ./
COPY console/src src
RUN npm run build

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
COPY --from=console /console/dist console/dist
RUN pip install --no-cache-dir . && useradd --system jiehu
USER jiehu
ENV JIEHU_LOG_FORMAT=json JIEHU_API_HOST=0.0.0.0 JIEHU_CONSOLE_DIST=/app/console/dist
CMD ["jiehu", "api"]
