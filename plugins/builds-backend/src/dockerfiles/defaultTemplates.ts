/**
 * The Dockerfiles fincloud generates, per language, shipped as defaults and
 * overridable by the platform team (`fincloud.builds.templates`).
 *
 * Base images are build arguments with the public images as defaults, so an
 * installation can point them at its mirror (and the buildah test at images
 * it built locally) without touching the template.
 *
 * Conventions the templates rely on (see README "Build types"):
 * - java: Maven project; `mvn package` leaves one runnable jar in target/.
 * - go: `main` package at the repository root.
 * - python: `requirements.txt`, entry point `app.py`.
 * - node: `npm ci`; `npm run build` (if present) writes dist/; entry `dist/server.js`.
 * - static: `npm run build` writes the site to dist/, served as static files.
 */
export type TemplateLanguage = 'java' | 'go' | 'python' | 'node' | 'static';

export const TEMPLATE_LANGUAGES: readonly TemplateLanguage[] = [
  'java',
  'go',
  'python',
  'node',
  'static',
];

export interface LanguageTemplates {
  generic: string;
  compileThenBuild: string;
}

export const DEFAULT_TEMPLATES: Record<TemplateLanguage, LanguageTemplates> = {
  java: {
    generic: `# fincloud generic (java): one stage, the JDK and Maven stay in the image
ARG JAVA_BUILD_IMAGE=maven:3.9-eclipse-temurin-21
FROM \${JAVA_BUILD_IMAGE}
WORKDIR /app
COPY . .
RUN mvn -B -DskipTests package && cp target/*.jar /app/app.jar
EXPOSE 8080
USER 10001
CMD ["java", "-jar", "/app/app.jar"]
`,
    compileThenBuild: `# fincloud compile-then-build (java): Maven builds, a JRE runs the jar
ARG JAVA_BUILD_IMAGE=maven:3.9-eclipse-temurin-21
ARG JAVA_RUNTIME_IMAGE=eclipse-temurin:21-jre-alpine
FROM \${JAVA_BUILD_IMAGE} AS build
WORKDIR /src
COPY pom.xml .
RUN mvn -B dependency:go-offline
COPY . .
RUN mvn -B -DskipTests package && mkdir -p /out && cp target/*.jar /out/app.jar

FROM \${JAVA_RUNTIME_IMAGE}
WORKDIR /app
COPY --from=build /out/app.jar /app/app.jar
EXPOSE 8080
USER 10001
CMD ["java", "-jar", "/app/app.jar"]
`,
  },
  go: {
    generic: `# fincloud generic (go): one stage, the Go toolchain stays in the image
ARG GO_BUILD_IMAGE=golang:1.22-bookworm
FROM \${GO_BUILD_IMAGE}
WORKDIR /src
COPY . .
RUN go build -o /usr/local/bin/app .
EXPOSE 8080
USER 10001
CMD ["/usr/local/bin/app"]
`,
    compileThenBuild: `# fincloud compile-then-build (go): a static binary on an empty image
ARG GO_BUILD_IMAGE=golang:1.22-bookworm
ARG GO_RUNTIME_IMAGE=scratch
FROM \${GO_BUILD_IMAGE} AS build
WORKDIR /src
COPY go.mod ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/app .

FROM \${GO_RUNTIME_IMAGE}
COPY --from=build /out/app /app
EXPOSE 8080
USER 10001
ENTRYPOINT ["/app"]
`,
  },
  python: {
    generic: `# fincloud generic (python): one stage, compilers and pip caches stay in the image
ARG PYTHON_BUILD_IMAGE=python:3.12-bookworm
FROM \${PYTHON_BUILD_IMAGE}
WORKDIR /app
COPY . .
RUN pip install -r requirements.txt
EXPOSE 8080
USER 10001
CMD ["python", "app.py"]
`,
    compileThenBuild: `# fincloud compile-then-build (python): dependencies built into a venv, copied onto a slim Python
ARG PYTHON_BUILD_IMAGE=python:3.12-bookworm
ARG PYTHON_RUNTIME_IMAGE=python:3.12-slim-bookworm
FROM \${PYTHON_BUILD_IMAGE} AS build
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
WORKDIR /src
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
COPY . .

FROM \${PYTHON_RUNTIME_IMAGE}
COPY --from=build /opt/venv /opt/venv
COPY --from=build /src/*.py /app/
ENV PATH=/opt/venv/bin:$PATH
WORKDIR /app
EXPOSE 8080
USER 10001
CMD ["python", "app.py"]
`,
  },
  node: {
    generic: `# fincloud generic (node): one stage, the full Node image with dev dependencies and sources
ARG NODE_BUILD_IMAGE=node:20-bookworm
FROM \${NODE_BUILD_IMAGE}
WORKDIR /app
COPY . .
RUN npm ci && npm run build --if-present
ENV NODE_ENV=production
EXPOSE 8080
USER 10001
CMD ["node", "dist/server.js"]
`,
    compileThenBuild: `# fincloud compile-then-build (node): build with dev dependencies, run with production ones on a slim Node
ARG NODE_BUILD_IMAGE=node:20-bookworm
ARG NODE_RUNTIME_IMAGE=node:20-alpine
FROM \${NODE_BUILD_IMAGE} AS build
WORKDIR /app
# The whole tree first: local (file:) packages must be there for npm ci.
COPY . .
RUN npm ci && npm run build --if-present && npm prune --omit=dev

FROM \${NODE_RUNTIME_IMAGE}
WORKDIR /app
COPY --from=build /app/package.json ./package.json
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
ENV NODE_ENV=production
EXPOSE 8080
USER 10001
CMD ["node", "dist/server.js"]
`,
  },
  static: {
    generic: `# fincloud generic (static): one stage, the Node toolchain builds and serves the site
ARG NODE_BUILD_IMAGE=node:20-bookworm
FROM \${NODE_BUILD_IMAGE}
WORKDIR /app
COPY . .
RUN npm ci && npm run build
EXPOSE 8080
USER 10001
CMD ["node", "serve.js"]
`,
    compileThenBuild: `# fincloud compile-then-build (static): build with Node, serve the files from a static web server image
ARG NODE_BUILD_IMAGE=node:20-bookworm
ARG STATIC_RUNTIME_IMAGE=nginxinc/nginx-unprivileged:1.27-alpine
FROM \${NODE_BUILD_IMAGE} AS build
WORKDIR /app
COPY . .
RUN npm ci && npm run build

FROM \${STATIC_RUNTIME_IMAGE}
COPY --from=build /app/dist /usr/share/nginx/html
EXPOSE 8080
# nginx-unprivileged's own user
USER 101
`,
  },
};
