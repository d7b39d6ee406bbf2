/** The port the browser tests' portal listens on; set FINCLOUD_E2E_PORT to run two suites side by side. */
export const e2ePort = Number(process.env.FINCLOUD_E2E_PORT ?? 7017);
export const portalUrl = `http://localhost:${e2ePort}`;
