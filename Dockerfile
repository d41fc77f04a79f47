# syntax=docker/dockerfile:1

# Build: the same commands CI runs (npm ci, npm run build).
FROM node:20.20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json prisma.config.ts ./
COPY scripts ./scripts
COPY prisma ./prisma
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build \
 # Production dependencies only; optional ones are the embedded PostgreSQL binaries,
 # which a container with DATABASE_URL never uses.
 && npm prune --omit=dev --omit=optional --no-audit --no-fund

# Run: plain node as an unprivileged user.
FROM node:20.20-bookworm-slim AS runtime
ENV NODE_ENV=production \
    PORT=3000 \
    HOST=0.0.0.0
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/prisma ./prisma
USER node
EXPOSE 3000
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/health/ready').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# What `npm run start:prod` runs, without npm in between: SIGTERM must reach the service.
CMD ["node", "--max-old-space-size=96", "--max-semi-space-size=4", "--liftoff-only", "dist/bundle/main.js"]
