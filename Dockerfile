# syntax=docker/dockerfile:1
# vault-mcp-bridge: multi-stage build on the official Node LTS slim image.

FROM node:24-bookworm-slim AS build
WORKDIR /app
# The product only: packages/ (the dev vault, a development workspace) is never copied, and
# npm ci skips a workspace whose folder is absent, so it is neither installed nor linked
# (test/integration/container-build.external.test.ts runs these steps and checks both).
COPY package.json package-lock.json ./
# --ignore-scripts: no dependency install script runs in the image build; the build needs none.
RUN npm ci --ignore-scripts
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build && npm prune --omit=dev

FROM node:24-bookworm-slim AS runtime
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=8089
WORKDIR /app
COPY --from=build --chown=node:node /app/package.json ./package.json
COPY --from=build --chown=node:node /app/node_modules ./node_modules
COPY --from=build --chown=node:node /app/dist ./dist
RUN ln -s /app/dist/main.js /usr/local/bin/vault-mcp-bridge && chmod +x /app/dist/main.js
USER node
EXPOSE 8089
HEALTHCHECK --interval=15s --timeout=3s --start-period=10s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||8089)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# V8's memory settings are flags on the node command itself, not NODE_OPTIONS (which cannot carry
# --heap-growing-percent, and which a deployment's own NODE_OPTIONS would replace):
# --max-semi-space-size=8: the young generation at two 8 MB semi-spaces instead of Node's 16 MB
#   or more each;
# --heap-growing-percent=50: after each full collection the old generation may grow by half of
#   what is live before the next one, instead of V8's own factor (up to 4x), which under load let
#   the resident set saw between about 130 and 190 MB.
# docs/performance.md has the measurements; npm run bench starts its bridges with the flags of
# this line (scripts/bench/stack.ts), and `npm start` passes the same ones.
ENTRYPOINT ["node", "--max-semi-space-size=8", "--heap-growing-percent=50", "/app/dist/main.js"]
CMD ["serve"]
