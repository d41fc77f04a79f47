# syntax=docker/dockerfile:1

# Build: the same commands CI runs (npm ci, npm run build), then production dependencies only.
FROM node:24.22-bookworm-slim AS build
LABEL org.opencontainers.image.title=instagram-token-vault
WORKDIR /app
COPY package.json package-lock.json prisma.config.ts ./
COPY scripts/prisma-generate.mjs ./scripts/
COPY prisma ./prisma
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY scripts/slim-runtime.mjs scripts/bundle.mjs scripts/service-loader.mjs ./scripts/
COPY src ./src
RUN npm run build \
 # Optional dependencies are the embedded PostgreSQL binaries: the image uses a real server.
 && npm prune --omit=dev --omit=optional --no-audit --no-fund \
 && node scripts/slim-runtime.mjs

# The runtime's files: Node without the package managers (the service never runs npm), the C
# headers and the docs, and the app, owned by root so the service cannot change its own code.
FROM node:24.22-bookworm-slim AS runtime-files
LABEL org.opencontainers.image.title=instagram-token-vault
RUN rm -rf /usr/local/lib/node_modules /usr/local/bin/npm /usr/local/bin/npx \
      /usr/local/bin/corepack /usr/local/bin/yarn /usr/local/bin/yarnpkg /opt/yarn-* \
      /usr/local/include/node /usr/local/share/doc /usr/local/share/man /usr/local/*.md \
      /usr/share/man/* /usr/share/info/* /usr/share/locale/* /tmp/* \
 && find /usr/share/doc -mindepth 1 ! -type d ! -name copyright -delete
COPY --from=build /app/package.json /app/
COPY --from=build /app/node_modules /app/node_modules
COPY --from=build /app/dist /app/dist
COPY --from=build /app/prisma/migrations /app/prisma/migrations
# Sandbox mode keeps its keys here; compose mounts a named volume, which takes this ownership.
RUN install -d -o node -g node -m 0700 /app/.data

# Run: the files above as one layer (what was deleted is really gone), plain node, unprivileged.
# No embedded PostgreSQL in the image: without DATABASE_URL or PGHOST it stops with one line.
FROM scratch AS runtime
LABEL org.opencontainers.image.title=instagram-token-vault
COPY --from=runtime-files / /
ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    NODE_ENV=production \
    PORT=3000 \
    HOST=0.0.0.0 \
    EMBEDDED_DATABASE=false
WORKDIR /app
USER node
EXPOSE 3000
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/health/ready').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# What `npm run start:prod` runs, without npm in between: SIGTERM must reach the service.
CMD ["node", "--expose-gc", "--max-old-space-size=192", "--heap-growing-percent=100", "--max-semi-space-size=16", "--liftoff-only", "dist/bundle/main.js"]
