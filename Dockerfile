# syntax=docker/dockerfile:1
# The tenant-sync images from one build: target `operator` (the default, last stage) and target `sync-job`.
#   docker build -t ghcr.io/tenant-sync/operator:0.1.0 .
#   docker build --target sync-job -t ghcr.io/tenant-sync/sync-job:0.1.0 .
# Both run as the numeric non-root user 65532 and write nothing to the root filesystem, so they run with
# readOnlyRootFilesystem (the chart mounts an emptyDir at /tmp for the operator).
# The base image pinned by digest (the multi-arch index of node:24-bookworm-slim), so a rebuild of a release
# gets the same base; update it with `docker buildx imagetools inspect node:24-bookworm-slim`.
ARG NODE_IMAGE=node:24-bookworm-slim@sha256:6f7b03f7c2c8e2e784dcf9295400527b9b1270fd37b7e9a7285cf83b6951452d

# ---- build: compile TypeScript to dist/ with the dev dependencies --------------------------------------
FROM ${NODE_IMAGE} AS build
WORKDIR /src
COPY package.json package-lock.json tsconfig.json tsconfig.build.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY operator/ operator/
COPY sync-job/ sync-job/
RUN npm run build

# ---- deps: the operator's production dependencies (package.json "dependencies"; build-only ones such as
# yaml, used by the CRD generator, are devDependencies) -------------------------------------------------
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force && rm -rf /root/.npm

# ---- sync-deps: the sync job's only: no Kubernetes client, no Prometheus client (it never talks to the
# API server and exports no metrics) ----------------------------------------------------------------------
FROM deps AS sync-deps
RUN npm pkg delete dependencies.@kubernetes/client-node dependencies.prom-client \
    && npm prune --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force && rm -rf /root/.npm

# ---- runtime: what both images share; each adds its dependencies and the compiled JavaScript ----------
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production
WORKDIR /app
# Nothing is written at run time; HOME points at /tmp (an emptyDir in the chart and in sync pods) for any
# library that insists on a home directory.
ENV HOME=/tmp \
    NODE_OPTIONS=--enable-source-maps
USER 65532:65532

# ---- sync-job: one tenant's run (the CronJob's container; no Kubernetes API access) --------------------
FROM runtime AS sync-job
COPY --from=sync-deps /app/package.json package.json
COPY --from=sync-deps /app/node_modules/ node_modules/
COPY --from=build /src/dist/ dist/
ENTRYPOINT ["node", "/app/dist/sync-job/main.js"]

# ---- operator: reconciles TenantSyncs (the chart's Deployment) -----------------------------------------
FROM runtime AS operator
# A young generation of 2 MiB semi-spaces (V8's default is 16 MiB): most of the operator's RSS above its
# heap, as measured by `npm run bench -- operator-scale` (docs/benchmarks.md). Two malloc arenas instead of
# glibc's 8 per core, which V8's and libuv's threads each fill: 8 MiB less RSS at 5,000 tenants (same benchmark).
ENV NODE_OPTIONS="--enable-source-maps --max-semi-space-size=2" \
    MALLOC_ARENA_MAX=2
COPY --from=deps /app/package.json package.json
COPY --from=deps /app/node_modules/ node_modules/
COPY --from=build /src/dist/ dist/
EXPOSE 8080
ENTRYPOINT ["node", "/app/dist/operator/main.js"]
