# One image, several roles: the container's command picks `worker`, `api`, `services` or `setup`.
FROM node:24-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-fund --no-audit
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build && npm prune --omit=dev

FROM node:24-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# The operator console is static files served as they are (no build step).
COPY --from=build /app/src/console ./src/console
USER node
ENTRYPOINT ["node", "dist/main.js"]
CMD ["worker"]
