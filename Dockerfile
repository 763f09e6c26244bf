# The API image used by compose.yaml.
FROM node:22-slim
WORKDIR /app
COPY package.json package-lock.json ./
# No scripts yet: `prepare` compiles the source, which the next step brings.
RUN npm ci --omit=dev --no-audit --no-fund --ignore-scripts
COPY . .
RUN node bin/build.js
RUN mkdir -p /data && chown node:node /data
USER node
EXPOSE 8080
CMD ["node", "bin/companyos.js", "serve"]
