# The API and the worker of docker-compose.yml (one image, the command picks the role).
# Production-shaped: compiled JavaScript (no tsx at run time), production dependencies only, the
# workflow bundle built here, a non-root user and a health check. test/integration/production-build.test.ts
# runs the same steps outside Docker (npm run build, npm ci --omit=dev, node dist/…).

# ---- build: every dependency, compile src/ to dist/ and bundle the workflows ----
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# --ignore-scripts: the postinstall step fetches the Temporal CLI for local runs, not wanted here;
# the dependencies' native parts ship prebuilt.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY scripts ./scripts
COPY src ./src
RUN npm run build

# ---- runtime: production dependencies and dist/ only ----
FROM node:20-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist ./dist
ENV WORKFLOW_BUNDLE_PATH=/app/dist/workflow-bundle.js
USER node
EXPOSE 3000
# The API: /healthz on API_PORT; the worker: /healthz on WORKER_HEALTH_PORT (its Temporal workers
# RUNNING and the database answering); docker-compose.yml sets WORKER_HEALTH_PORT for the worker.
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 CMD ["node", "dist/healthcheck.js"]
# docker-compose.yml picks the command: dist/server.js (api), dist/worker.js, dist/db/cli.js up.
CMD ["node", "dist/server.js"]
