# The API and the worker of docker-compose.yml: Node 20, running the TypeScript sources with tsx.
FROM node:20-bookworm-slim

WORKDIR /app
COPY package.json package-lock.json ./
# --ignore-scripts: the image talks to the Temporal service, so the postinstall step that fetches
# the Temporal CLI for local runs is not wanted; the dependencies' native parts ship prebuilt.
# --include=dev: tsx runs the sources.
RUN npm ci --ignore-scripts --include=dev --no-audit --no-fund && npm cache clean --force
COPY tsconfig.json ./
COPY src ./src
COPY scripts ./scripts
# Workers load this pre-built bundle instead of running webpack at start.
RUN npx tsx scripts/build-workflows.ts
ENV WORKFLOW_BUNDLE_PATH=/app/dist/workflow-bundle.js

ENV NODE_ENV=production
USER node
EXPOSE 3000
# docker-compose.yml picks the command: src/server.ts (api), src/worker.ts, src/db/cli.ts up.
CMD ["node", "--import", "tsx", "src/server.ts"]
