import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { http, HttpResponse } from 'msw';
import { setupServer } from 'msw/node';
import {
  BASE,
  build,
  config,
  ENTITY_BASE,
  stats,
  UP,
  unbuilt,
} from '../__testUtils__/builds';
import { FakeSignals, renderBuilds } from '../__testUtils__/render';
import { EntityBuildsContent } from './EntityBuildsContent';

const server = setupServer();
beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
afterEach(() => server.resetHandlers());
afterAll(() => server.close());

/** The backend's answers for user-portal; `seen` collects every history query. */
function backend(
  pages: Array<{ items: ReturnType<typeof build>[]; nextCursor?: string }> = [
    { items: [build()] },
  ],
) {
  const seen: Record<string, string>[] = [];
  server.use(
    http.get(`${ENTITY_BASE}/config`, () => HttpResponse.json(config)),
    http.get(`${ENTITY_BASE}/stats`, () => HttpResponse.json(stats())),
    http.get(`${ENTITY_BASE}/builds`, ({ request }) => {
      const query = Object.fromEntries(new URL(request.url).searchParams);
      seen.push(query);
      const page = query.cursor ? pages[1] : pages[0];
      return HttpResponse.json(page);
    }),
  );
  return seen;
}

/**
 * The history table, once shown. Role queries are slow on a large MUI page
 * (and these machines are shared): wait on the text, then query the role.
 */
async function historyTable() {
  await screen.findByText('Build history');
  return screen.getByRole('region', { name: 'Build history' });
}

async function openDialog() {
  await screen.findByText('New build');
  fireEvent.click(screen.getAllByRole('button', { name: 'New build' })[0]);
  await screen.findByText('Start build');
  return screen.getByRole('dialog', { name: 'New build' });
}

/** Opens an MUI select by its label and picks an option. */
function choose(label: RegExp, option: string) {
  fireEvent.mouseDown(screen.getByRole('button', { name: label }));
  fireEvent.click(
    within(screen.getByRole('listbox')).getByRole('option', { name: option }),
  );
}

describe('EntityBuildsContent: history and statistics', () => {
  it('shows the statistics and each build with status, type, commit, who, duration and image digest', async () => {
    const seen = backend([
      {
        items: [
          build(),
          build({
            id: 'b-11',
            number: 11,
            status: 'failed',
            buildType: 'compile-then-build',
            branch: 'feature/sim-fail-build',
            commit: 'abcdef0123456789',
            triggeredBy: 'user:default/paula',
            runMs: 12_000,
            image: undefined,
            error: 'Compilation failed in step build',
          }),
        ],
      },
    ]);
    const { asked } = await renderBuilds(<EntityBuildsContent />);

    const history = await screen.findByRole('region', {
      name: 'Build history',
    });
    const rows = within(history).getAllByRole('row');
    expect(rows).toHaveLength(3); // header + two builds
    const newest = rows[1];
    expect(
      within(newest).getByRole('link', { name: 'Build #12' }),
    ).toHaveAttribute('href', '/?build=b-12');
    expect(within(newest).getByText('Succeeded')).toBeInTheDocument();
    expect(within(newest).getByText('Generic')).toBeInTheDocument();
    expect(within(newest).getByText('main')).toBeInTheDocument();
    expect(within(newest).getByText('9f8e7d6')).toBeInTheDocument();
    expect(within(newest).getByText('pete')).toBeInTheDocument();
    expect(within(newest).getByText('1 min 05 s')).toBeInTheDocument();
    expect(within(newest).getByText('queued 3 s')).toBeInTheDocument();
    expect(within(newest).getByText('sha256:4f1c2a9be0d3')).toBeInTheDocument();
    // The repository's last segment and tag; the full reference on hover.
    expect(within(newest).getByText('user-portal:12')).toHaveAttribute(
      'title',
      'registry.fincloud.example/web/user-portal:12',
    );

    const older = rows[2];
    expect(within(older).getByText('Failed')).toBeInTheDocument();
    expect(within(older).getByText('Compile then build')).toBeInTheDocument();
    expect(within(older).getByText('abcdef0')).toBeInTheDocument();
    expect(within(older).getByText('paula')).toBeInTheDocument();

    const figures = screen.getByRole('region', { name: 'Build statistics' });
    expect(
      within(
        within(figures).getByRole('group', { name: 'Success rate' }),
      ).getByText('92 %'),
    ).toBeInTheDocument();
    expect(
      within(figures).getByText('1 min 05 s / 2 min 05 s'),
    ).toBeInTheDocument();
    expect(
      within(figures).getByRole('img', {
        name: 'Builds per day over 3 days: 36 succeeded, 3 failed',
      }),
    ).toBeInTheDocument();

    expect(seen[0]).toEqual({ limit: '20' });
    expect(asked).toContainEqual({ name: 'builds.trigger', resourceRef: UP });
  });

  it('sends the filters the user applies, with a bare user name made a user ref', async () => {
    const seen = backend();
    await renderBuilds(<EntityBuildsContent />);
    await historyTable();

    choose(/^Status/, 'Failed');
    choose(/^Build type/, 'Custom Dockerfile');
    fireEvent.change(screen.getByLabelText('Branch'), {
      target: { value: 'release/1.2' },
    });
    fireEvent.change(screen.getByLabelText('Triggered by'), {
      target: { value: 'pete' },
    });
    fireEvent.click(screen.getByRole('button', { name: 'Apply filters' }));

    await waitFor(() => expect(seen).toHaveLength(2));
    expect(seen[1]).toEqual({
      status: 'failed',
      buildType: 'custom-dockerfile',
      branch: 'release/1.2',
      triggeredBy: 'user:default/pete',
      limit: '20',
    });
    // Nothing matches: the empty state says so, not "No builds yet".
    server.use(
      http.get(`${ENTITY_BASE}/builds`, () => HttpResponse.json({ items: [] })),
    );
    fireEvent.change(screen.getByLabelText('Branch'), {
      target: { value: 'release/9.9' },
    });
    fireEvent.click(screen.getByRole('button', { name: 'Apply filters' }));
    expect(
      await screen.findByText('No builds match these filters'),
    ).toBeInTheDocument();
  });

  it('loads the next page with the cursor and appends it', async () => {
    const seen = backend([
      { items: [build()], nextCursor: 'after-12' },
      { items: [build({ id: 'b-11', number: 11 })] },
    ]);
    await renderBuilds(<EntityBuildsContent />);
    const history = await screen.findByRole('region', {
      name: 'Build history',
    });
    fireEvent.click(screen.getByRole('button', { name: 'Load more' }));
    expect(
      await within(history).findByRole('link', { name: 'Build #11' }),
    ).toBeInTheDocument();
    expect(
      within(history).getByRole('link', { name: 'Build #12' }),
    ).toBeInTheDocument();
    expect(seen[1]).toEqual({ limit: '20', cursor: 'after-12' });
    expect(
      screen.queryByRole('button', { name: 'Load more' }),
    ).not.toBeInTheDocument();
  });
});

describe('EntityBuildsContent: live updates', () => {
  it('adds a build started elsewhere and updates a row when its status changes, not on log progress', async () => {
    const signals = new FakeSignals();
    let items = [
      build({ status: 'running', runMs: undefined, image: undefined }),
    ];
    const seen: Record<string, string>[] = [];
    server.use(
      http.get(`${ENTITY_BASE}/config`, () => HttpResponse.json(config)),
      http.get(`${ENTITY_BASE}/stats`, () => HttpResponse.json(stats())),
      http.get(`${ENTITY_BASE}/builds`, ({ request }) => {
        seen.push(Object.fromEntries(new URL(request.url).searchParams));
        return HttpResponse.json({ items });
      }),
    );
    await renderBuilds(<EntityBuildsContent />, { signals });
    const history = await historyTable();
    expect(within(history).getByText('Running')).toBeInTheDocument();
    const channel = `fincloud-builds:${UP}`;

    // Log lines stored for the running build: nothing to re-read.
    signals.publish(channel, { buildId: 'b-12', status: 'running' });
    await new Promise(r => setTimeout(r, 300));
    expect(seen).toHaveLength(1);

    // It succeeded, and paula started another: one re-read shows both.
    items = [
      build({
        id: 'b-13',
        number: 13,
        status: 'queued',
        triggeredBy: 'user:default/paula',
      }),
      build(),
    ];
    signals.publish(channel, { buildId: 'b-12', status: 'succeeded' });
    await within(history).findByRole('link', { name: 'Build #13' });
    const rows = within(history).getAllByRole('row');
    expect(within(rows[1]).getByText('Queued')).toBeInTheDocument();
    expect(within(rows[2]).getByText('Succeeded')).toBeInTheDocument();
    expect(
      within(rows[2]).getByText('sha256:4f1c2a9be0d3'),
    ).toBeInTheDocument();
    expect(seen).toHaveLength(2);
  });
});

describe('EntityBuildsContent: permissions and empty states', () => {
  it('offers "New build" only with builds.trigger on this entity', async () => {
    backend();
    await renderBuilds(<EntityBuildsContent />, { allowed: ['builds.read'] });
    await historyTable();
    expect(
      screen.queryByRole('button', { name: 'New build' }),
    ).not.toBeInTheDocument();
  });

  it('shows "New build" to those allowed', async () => {
    backend();
    await renderBuilds(<EntityBuildsContent />);
    await screen.findByText('Build history');
    expect(screen.getByRole('button', { name: 'New build' })).toBeVisible();
  });

  it('names the fincloud.io/build-type annotation when the entity has no build annotation, and asks nothing', async () => {
    await renderBuilds(<EntityBuildsContent />, { entity: unbuilt });
    expect(await screen.findByText('Missing Annotation')).toBeInTheDocument();
    expect(
      screen.getAllByText(/fincloud\.io\/build-type/).length,
    ).toBeGreaterThan(0);
    // onUnhandledRequest: 'error' would have failed on any request.
  });

  it('says there are no builds yet and offers the first one when allowed', async () => {
    backend([{ items: [] }]);
    await renderBuilds(<EntityBuildsContent />);
    expect(await screen.findByText('No builds yet')).toBeInTheDocument();
    expect(screen.getAllByRole('button', { name: 'New build' })).toHaveLength(
      2,
    );
  });

  it('says there are no builds yet without an action for readers', async () => {
    backend([{ items: [] }]);
    await renderBuilds(<EntityBuildsContent />, { allowed: ['builds.read'] });
    expect(await screen.findByText('No builds yet')).toBeInTheDocument();
    expect(
      screen.queryByRole('button', { name: 'New build' }),
    ).not.toBeInTheDocument();
  });

  it("shows the backend's error when the history cannot be read", async () => {
    backend();
    server.use(
      http.get(`${ENTITY_BASE}/builds`, () =>
        HttpResponse.json(
          {
            error: {
              name: 'ServiceUnavailableError',
              message: 'The build store is down',
            },
            response: { statusCode: 503 },
          },
          { status: 503 },
        ),
      ),
    );
    await renderBuilds(<EntityBuildsContent />);
    expect(
      await screen.findByText(/Could not load the build history/),
    ).toBeInTheDocument();
    expect(screen.getAllByText(/The build store is down/)[0]).toBeVisible();
    expect(screen.queryByText('No builds yet')).not.toBeInTheDocument();
  });

  it("shows why the build configuration cannot be read (the backend's 404)", async () => {
    server.use(
      http.get(`${ENTITY_BASE}/config`, () =>
        HttpResponse.json(
          {
            error: {
              name: 'NotFoundError',
              message:
                'component:default/user-portal has no build configuration: add fincloud.io/build-type',
            },
            response: { statusCode: 404 },
          },
          { status: 404 },
        ),
      ),
    );
    await renderBuilds(<EntityBuildsContent />);
    expect(
      await screen.findByText(/Could not read how this service is built/),
    ).toBeInTheDocument();
    expect(
      screen.getAllByText(
        /has no build configuration: add fincloud.io\/build-type/,
      )[0],
    ).toBeVisible();
  });
});

describe('EntityBuildsContent: the New build dialog', () => {
  it('refuses a bad branch or commit, then starts the build and opens it', async () => {
    backend();
    let posted: unknown;
    server.use(
      http.post(`${ENTITY_BASE}/builds`, async ({ request }) => {
        posted = await request.json();
        return HttpResponse.json(
          build({ id: 'b-13', number: 13, status: 'queued', steps: [] }),
          { status: 201 },
        );
      }),
      http.get(`${BASE}/builds/b-13`, () =>
        HttpResponse.json(
          build({ id: 'b-13', number: 13, status: 'queued', steps: [] }),
        ),
      ),
      http.get(`${BASE}/builds/b-13/log`, () =>
        HttpResponse.json({
          fromLine: 0,
          lines: [],
          totalLines: 0,
          complete: false,
        }),
      ),
    );
    await renderBuilds(<EntityBuildsContent />);
    const dialog = await openDialog();
    const start = within(dialog).getByRole('button', { name: 'Start build' });

    fireEvent.change(within(dialog).getByLabelText(/^Branch/), {
      target: { value: 'bad branch..' },
    });
    expect(
      within(dialog).getByText('Not a valid git branch name'),
    ).toBeInTheDocument();
    expect(start).toBeDisabled();
    fireEvent.change(within(dialog).getByLabelText(/^Branch/), {
      target: { value: 'release/1.2' },
    });
    fireEvent.change(within(dialog).getByLabelText('Commit'), {
      target: { value: 'xyz' },
    });
    expect(
      within(dialog).getByText('A commit is 7 to 40 hexadecimal digits'),
    ).toBeInTheDocument();
    expect(start).toBeDisabled();
    fireEvent.change(within(dialog).getByLabelText('Commit'), {
      target: { value: '9f8e7d6' },
    });
    expect(start).toBeEnabled();
    fireEvent.click(start);

    // The new build opens at once, queued.
    expect(
      await screen.findByRole('heading', { name: 'Build #13' }),
    ).toBeInTheDocument();
    expect(screen.queryByRole('dialog')).not.toBeInTheDocument();
    expect(
      within(screen.getByRole('status', { name: 'Build status' })).getByText(
        'Queued',
      ),
    ).toBeInTheDocument();
    expect(posted).toEqual({
      branch: 'release/1.2',
      commit: '9f8e7d6',
      buildType: 'generic',
    });
  });

  it('validates a custom Dockerfile as it is typed, saves it as a revision and builds that revision', async () => {
    backend();
    const validated: string[] = [];
    const saved: unknown[] = [];
    let posted: unknown;
    server.use(
      http.get(`${ENTITY_BASE}/dockerfiles`, () =>
        HttpResponse.json([
          {
            revision: 3,
            content: 'FROM node:20-alpine\nCMD ["node", "server.js"]',
            message: 'Pin node 20',
            author: 'user:default/pete',
            createdAt: '2026-11-28T09:00:00.000Z',
          },
        ]),
      ),
      http.post(`${BASE}/dockerfiles/validate`, async ({ request }) => {
        const { content } = (await request.json()) as { content: string };
        validated.push(content);
        return HttpResponse.json({
          diagnostics: content.includes('RUNN')
            ? [
                {
                  line: 2,
                  severity: 'error',
                  message: 'Unknown instruction: RUNN',
                },
              ]
            : [],
        });
      }),
      http.post(`${ENTITY_BASE}/dockerfiles`, async ({ request }) => {
        const body = (await request.json()) as {
          content: string;
          message: string;
        };
        saved.push(body);
        if (saved.length === 1) {
          return HttpResponse.json(
            {
              error: {
                name: 'DockerfileInvalidError',
                message: 'COPY --from names an unknown stage',
                diagnostics: [
                  {
                    line: 3,
                    severity: 'error',
                    message: 'Unknown stage "builder"',
                  },
                ],
              },
              response: { statusCode: 422 },
            },
            { status: 422 },
          );
        }
        return HttpResponse.json(
          {
            revision: 4,
            content: body.content,
            message: body.message,
            author: 'user:default/pete',
            createdAt: '2026-11-29T12:00:00.000Z',
          },
          { status: 201 },
        );
      }),
      http.post(`${ENTITY_BASE}/builds`, async ({ request }) => {
        posted = await request.json();
        return HttpResponse.json(
          build({ id: 'b-13', number: 13, status: 'queued' }),
          {
            status: 201,
          },
        );
      }),
      http.get(`${BASE}/builds/b-13`, () =>
        HttpResponse.json(build({ id: 'b-13', number: 13, status: 'queued' })),
      ),
      http.get(`${BASE}/builds/b-13/log`, () =>
        HttpResponse.json({
          fromLine: 0,
          lines: [],
          totalLines: 0,
          complete: false,
        }),
      ),
    );
    await renderBuilds(<EntityBuildsContent />);
    const dialog = await openDialog();
    choose(/^Build type/, 'Custom Dockerfile');

    // The newest revision is loaded into the editor and is buildable as is.
    const editor = (await within(dialog).findByLabelText(
      'Dockerfile',
    )) as HTMLTextAreaElement;
    expect(editor.value).toBe('FROM node:20-alpine\nCMD ["node", "server.js"]');
    expect(
      await within(dialog).findByText('No problems found'),
    ).toBeInTheDocument();
    const start = within(dialog).getByRole('button', { name: 'Start build' });
    expect(start).toBeEnabled();

    // A typo: the problem shows against its line, building waits for a saved revision.
    fireEvent.change(editor, {
      target: { value: 'FROM node:20-alpine\nRUNN npm ci\nCMD ["node"]' },
    });
    const problems = await within(dialog).findByRole('list', {
      name: 'Dockerfile problems',
    });
    expect(
      within(problems).getByText('Line 2 · error: Unknown instruction: RUNN'),
    ).toBeInTheDocument();
    expect(start).toBeDisabled();
    expect(
      within(dialog).getByText(/Save the Dockerfile as a new revision/),
    ).toBeInTheDocument();
    fireEvent.change(within(dialog).getByLabelText('What changed'), {
      target: { value: 'Install dependencies' },
    });
    expect(
      within(dialog).getByRole('button', { name: 'Save revision' }),
    ).toBeDisabled();

    // Fixed: validation passes; the backend still refuses (a check of its own).
    fireEvent.change(editor, {
      target: {
        value: 'FROM node:20-alpine\nRUN npm ci\nCOPY --from=builder /a /a',
      },
    });
    await waitFor(() =>
      expect(
        within(dialog).queryByRole('list', { name: 'Dockerfile problems' }),
      ).not.toBeInTheDocument(),
    );
    fireEvent.click(
      within(dialog).getByRole('button', { name: 'Save revision' }),
    );
    expect(
      await within(dialog).findByText('COPY --from names an unknown stage'),
    ).toBeInTheDocument();
    expect(
      within(dialog).getByText('Line 3 · error: Unknown stage "builder"'),
    ).toBeInTheDocument();

    fireEvent.change(editor, {
      target: { value: 'FROM node:20-alpine\nRUN npm ci' },
    });
    await waitFor(() =>
      expect(
        within(dialog).getByRole('button', { name: 'Save revision' }),
      ).toBeEnabled(),
    );
    fireEvent.click(
      within(dialog).getByRole('button', { name: 'Save revision' }),
    );
    await waitFor(() => expect(start).toBeEnabled());
    expect(saved[1]).toEqual({
      content: 'FROM node:20-alpine\nRUN npm ci',
      message: 'Install dependencies',
    });
    expect(
      within(dialog).getByRole('button', { name: /^Dockerfile revision/ }),
    ).toHaveTextContent('Revision 4 — Install dependencies');

    fireEvent.click(start);
    expect(
      await screen.findByRole('heading', { name: 'Build #13' }),
    ).toBeInTheDocument();
    expect(posted).toEqual({
      branch: 'main',
      buildType: 'custom-dockerfile',
      dockerfileRevision: 4,
    });
    // Validation ran on what was typed, not on every keystroke's answer order.
    expect(validated).toContain(
      'FROM node:20-alpine\nRUNN npm ci\nCMD ["node"]',
    );
  });

  it('shows stored revisions read-only to those who may build but not write Dockerfiles', async () => {
    backend();
    server.use(
      http.get(`${ENTITY_BASE}/dockerfiles`, () =>
        HttpResponse.json([
          {
            revision: 1,
            content: 'FROM node:20-alpine',
            message: 'First',
            author: 'user:default/paula',
            createdAt: '2026-11-28T09:00:00.000Z',
          },
        ]),
      ),
      http.post(`${BASE}/dockerfiles/validate`, () =>
        HttpResponse.json({ diagnostics: [] }),
      ),
    );
    await renderBuilds(<EntityBuildsContent />, {
      allowed: ['builds.read', 'builds.trigger'],
    });
    const dialog = await openDialog();
    choose(/^Build type/, 'Custom Dockerfile');
    const editor = await within(dialog).findByLabelText('Dockerfile');
    expect(editor).toHaveAttribute('readonly');
    expect(
      within(dialog).queryByLabelText('What changed'),
    ).not.toBeInTheDocument();
    expect(
      within(dialog).getByRole('button', { name: 'Start build' }),
    ).toBeEnabled();
  });
});
