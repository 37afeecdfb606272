# docqa as a container: `docker compose up` runs it next to the official Elasticsearch image (docker-compose.yml).
# The image serves the HTTP API (`docqa serve`); any other command works too:
#   docker compose run --rm docqa ingest /corpus
FROM node:20-bookworm-slim AS build
WORKDIR /app
# better-sqlite3 falls back to compiling itself when no prebuilt binary fits.
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json .npmrc ./
ENV ONNXRUNTIME_NODE_INSTALL=skip
RUN npm ci --no-audit --no-fund
COPY . .
RUN mkdir -p models && npm run build && npm prune --omit=dev

FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production \
    DOCQA_HOST=0.0.0.0 \
    DOCQA_PORT=8080 \
    DOCQA_DATA_DIR=/data
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/models ./models
COPY --from=build /app/corpus ./corpus
# the web page and the API docs page (served as they are, no build step)
COPY --from=build /app/web ./web
RUN mkdir -p /data && chown node:node /data
USER node
VOLUME /data
EXPOSE 8080
HEALTHCHECK --interval=15s --timeout=5s --start-period=60s --retries=5 \
  CMD node -e "fetch('http://127.0.0.1:'+(process.env.DOCQA_PORT||8080)+'/readyz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
ENTRYPOINT ["node", "dist/cli/main.js"]
CMD ["serve"]
