/** Dockerfile instructions, parsed just enough to "execute" them in a log. */

export interface Instruction {
  keyword: string;
  args: string;
  /** The instruction as written (continuations joined). */
  text: string;
}

export interface Stage {
  base: string;
  name?: string;
  instructions: Instruction[];
}

export function parseDockerfile(source: string): Stage[] {
  const logical: string[] = [];
  let pending = '';
  for (const raw of source.split(/\r?\n/)) {
    const line = raw.trim();
    if (!pending && (line === '' || line.startsWith('#'))) continue;
    if (line.startsWith('#')) continue;
    if (line.endsWith('\\')) {
      pending += `${line.slice(0, -1).trim()} `;
      continue;
    }
    logical.push((pending + line).trim());
    pending = '';
  }
  if (pending.trim()) logical.push(pending.trim());

  const stages: Stage[] = [];
  for (const text of logical) {
    const m = /^(\S+)\s*(.*)$/.exec(text);
    if (!m) continue;
    const keyword = m[1].toUpperCase();
    const args = m[2];
    if (keyword === 'FROM') {
      const f = /^(?:--platform=\S+\s+)?(\S+)(?:\s+AS\s+(\S+))?/i.exec(args);
      stages.push({
        base: f?.[1] ?? args,
        name: f?.[2],
        instructions: [],
      });
      continue;
    }
    if (stages.length === 0) {
      // ARG before the first FROM: keep it on a pseudo stage-less list.
      continue;
    }
    stages[stages.length - 1].instructions.push({
      keyword,
      args,
      text: `${keyword} ${args}`.trim(),
    });
  }
  return stages;
}

export type Language = 'java' | 'node' | 'go' | 'python';

export function languageOfImages(images: string[]): Language | undefined {
  const all = images.join(' ').toLowerCase();
  if (/node|npm|yarn/.test(all)) return 'node';
  if (/temurin|openjdk|maven|gradle|java|jdk|jre|corretto/.test(all))
    return 'java';
  if (/golang|distroless\/static/.test(all)) return 'go';
  if (/python/.test(all)) return 'python';
  return undefined;
}

/** The Dockerfile a service of that language would have (used when none is given). */
export function defaultDockerfile(
  language: Language,
  app: string,
  multiStage: boolean,
): string {
  switch (language) {
    case 'node':
      return multiStage
        ? [
            'FROM node:20-alpine AS deps',
            'WORKDIR /usr/src/app',
            'COPY package.json package-lock.json ./',
            'RUN npm ci --omit=dev',
            'FROM node:20-alpine AS build',
            'WORKDIR /usr/src/app',
            'COPY . .',
            'RUN npm ci && npm run build',
            'FROM node:20-alpine',
            'WORKDIR /usr/src/app',
            'ENV NODE_ENV=production',
            'COPY --from=deps /usr/src/app/node_modules ./node_modules',
            'COPY --from=build /usr/src/app/dist ./dist',
            'COPY package.json server.js ./',
            'USER node',
            'EXPOSE 8080',
            'CMD ["node", "server.js"]',
          ].join('\n')
        : [
            'FROM node:20-alpine',
            'WORKDIR /usr/src/app',
            'COPY package.json package-lock.json ./',
            'RUN npm ci --omit=dev',
            'COPY . .',
            'USER node',
            'EXPOSE 8080',
            'CMD ["node", "server.js"]',
          ].join('\n');
    case 'go':
      return [
        'FROM golang:1.22 AS build',
        'WORKDIR /src',
        'COPY go.mod go.sum ./',
        'RUN go mod download',
        'COPY . .',
        `RUN CGO_ENABLED=0 go build -trimpath -o /out/${app} ./cmd/${app}`,
        'FROM gcr.io/distroless/static:nonroot',
        `COPY --from=build /out/${app} /${app}`,
        'USER nonroot',
        `ENTRYPOINT ["/${app}"]`,
      ].join('\n');
    case 'python':
      return [
        'FROM python:3.12-slim',
        'WORKDIR /app',
        'COPY requirements.txt .',
        'RUN pip install --no-cache-dir -r requirements.txt',
        'COPY . .',
        'USER 1000',
        'CMD ["python", "-m", "app"]',
      ].join('\n');
    case 'java':
    default:
      return multiStage
        ? [
            'FROM maven:3.9-eclipse-temurin-21 AS build',
            'WORKDIR /build',
            'COPY pom.xml .',
            'RUN mvn -B -q dependency:go-offline',
            'COPY src ./src',
            'RUN mvn -B package -DskipTests',
            'FROM eclipse-temurin:21-jre',
            'WORKDIR /opt/app',
            'COPY --from=build /build/target/app.jar /opt/app/app.jar',
            'COPY config/ /opt/app/config/',
            'USER 1000',
            'EXPOSE 8080',
            'ENTRYPOINT ["java", "-XX:MaxRAMPercentage=75", "-jar", "/opt/app/app.jar"]',
          ].join('\n')
        : [
            'FROM eclipse-temurin:21-jre',
            'WORKDIR /opt/app',
            'COPY target/app.jar /opt/app/app.jar',
            'COPY config/ /opt/app/config/',
            'USER 1000',
            'EXPOSE 8080',
            'ENTRYPOINT ["java", "-XX:MaxRAMPercentage=75", "-jar", "/opt/app/app.jar"]',
          ].join('\n');
  }
}
