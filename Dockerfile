# One image for every Tributary service; docker-compose.yml picks the service by command.
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY . .
# npm ci runs the build (prepare); then drop the dev tools from node_modules.
RUN npm ci --no-audit --no-fund && npm prune --omit=dev

FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
COPY --from=build /app/package.json /app/package-lock.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/bin ./bin
COPY --from=build /app/libs/api/web ./libs/api/web
COPY --from=build /app/examples ./examples
USER node
CMD ["node", "bin/tributary.js", "--help"]
