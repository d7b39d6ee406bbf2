import { DEFAULT_TEMPLATES, TEMPLATE_LANGUAGES } from './defaultTemplates';
import { MAX_DOCKERFILE_BYTES, validateDockerfile } from './validate';

describe('validateDockerfile', () => {
  it('passes every shipped template without a single diagnostic', () => {
    for (const language of TEMPLATE_LANGUAGES) {
      expect([
        language,
        validateDockerfile(DEFAULT_TEMPLATES[language].generic),
      ]).toEqual([language, []]);
      expect([
        language,
        validateDockerfile(DEFAULT_TEMPLATES[language].compileThenBuild),
      ]).toEqual([language, []]);
    }
  });

  it('reports what dockerfile-utils finds, on 1-based lines', () => {
    expect(validateDockerfile('FROM alpine\nRUNN echo hi\nUSER 1\n')).toEqual([
      { line: 2, severity: 'error', message: 'Unknown instruction: RUNN' },
    ]);
    expect(validateDockerfile('')).toEqual([
      expect.objectContaining({
        line: 1,
        severity: 'error',
        message: expect.stringMatching(/FROM/),
      }),
    ]);
  });

  it('catches COPY --from naming no earlier stage, which dockerfile-utils misses', () => {
    const text = [
      'FROM golang:1.22 AS build', // 1
      'RUN go build -o /out/app .', // 2
      'FROM scratch', // 3
      'COPY --from=biuld /out/app /app', // 4: typo
      'COPY --from=1 /x /y', // 5: itself
      'COPY --from=0 /out/app /app2', // 6: fine
      'COPY --from=nginx:1.27 /etc/nginx /etc/nginx', // 7: an image, fine
      'COPY --from=later /a /b', // 8: defined below
      'FROM alpine AS later', // 9
      'USER 10001', // 10
    ].join('\n');
    expect(validateDockerfile(text)).toEqual([
      {
        line: 4,
        severity: 'error',
        message:
          'COPY --from=biuld: no stage is named "biuld" (stages: build, later)',
      },
      {
        line: 5,
        severity: 'error',
        message:
          'COPY --from=1: stage 1 is not an earlier stage (this is stage 1)',
      },
      {
        line: 8,
        severity: 'error',
        message: 'COPY --from=later: stage "later" is not an earlier stage',
      },
    ]);
  });

  it('warns when the image would run as root', () => {
    expect(
      validateDockerfile('FROM alpine AS a\nUSER 1\nFROM alpine\nCMD ["sh"]\n'),
    ).toEqual([
      {
        line: 3,
        severity: 'warning',
        message:
          'The final stage sets no USER: the container will run as root. Add e.g. USER 10001.',
      },
    ]);
  });

  it('refuses a Dockerfile larger than 64 KiB', () => {
    const big = `FROM alpine\n${'RUN true\n'.repeat(
      MAX_DOCKERFILE_BYTES / 9 + 10,
    )}`;
    expect(validateDockerfile(big)).toEqual([
      {
        line: 1,
        severity: 'error',
        message: 'The Dockerfile is larger than 64 KiB',
      },
    ]);
  });
});
