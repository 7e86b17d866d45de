# syntax=docker/dockerfile:1
# One image recipe for the six services, built from the repository root with the workspace and its
# port as build arguments, e.g. `docker build --build-arg SERVICE=order-service --build-arg PORT=3003 .`
# (docker-compose.yml passes both).
ARG SERVICE
ARG PORT

FROM node:24-bookworm-slim AS source
ARG SERVICE
RUN test -n "$SERVICE" || { echo 'build with --build-arg SERVICE=<workspace> --build-arg PORT=<port>' >&2; exit 1; }
WORKDIR /app
# .dockerignore keeps node_modules, dist, .data, .env and .git out of the context.
COPY . .

# Compile the service and the workspace packages it references (tsc -b follows the references).
# --ignore-scripts: the root devDependency `node` would download a second Node binary in its
# preinstall, and nothing here needs an install script to type-check; tsc runs on the image's node.
FROM source AS build
ARG SERVICE
RUN --mount=type=cache,target=/root/.npm npm ci --ignore-scripts --no-audit --no-fund
RUN node node_modules/typescript/bin/tsc -b "$SERVICE"
# The gateway also serves the web app (web/dist/app); the other images get an empty folder there.
RUN mkdir -p web/dist/app && if [ "$SERVICE" = api-gateway ]; then node node_modules/vite/bin/vite.js build web --logLevel warn; fi

# Production dependencies of this one workspace (and the workspace packages it depends on);
# install scripts run here, so native modules (bcrypt prebuilds) are fetched for this platform.
FROM source AS prod-deps
ARG SERVICE
RUN --mount=type=cache,target=/root/.npm npm ci --omit=dev --workspace "$SERVICE" --no-audit --no-fund

FROM node:24-bookworm-slim AS runtime
ARG SERVICE
ARG PORT
ENV NODE_ENV=production \
    HEALTHCHECK_URL=http://127.0.0.1:${PORT}/health/ready
WORKDIR /app
COPY --from=prod-deps /app/node_modules ./node_modules
COPY --from=build /app/package.json ./
COPY --from=build /app/packages/contracts/package.json packages/contracts/
COPY --from=build /app/packages/contracts/dist packages/contracts/dist
COPY --from=build /app/packages/platform/package.json packages/platform/
COPY --from=build /app/packages/platform/dist packages/platform/dist
COPY --from=build /app/${SERVICE}/package.json ${SERVICE}/
COPY --from=build /app/${SERVICE}/dist ${SERVICE}/dist
COPY --from=build /app/web/dist/app web/dist/app
# The only writable place: state a service keeps on disk (e.g. a generated signing key). main.js
# links to the service's entry point so that CMD stays exec form (node is PID 1 and gets SIGTERM);
# node resolves the link, so the service's own relative paths are unchanged.
RUN mkdir -p .data && chown node:node .data && ln -s "${SERVICE}/dist/src/main.js" main.js
USER node
EXPOSE ${PORT}
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=5 \
  CMD ["node", "-e", "fetch(process.env.HEALTHCHECK_URL).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# The OpenTelemetry preload starts tracing before any instrumented module loads (off without
# OTEL_EXPORTER_OTLP_ENDPOINT).
CMD ["node", "--require", "@oip/platform/telemetry", "main.js"]
