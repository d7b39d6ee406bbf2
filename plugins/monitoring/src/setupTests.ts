import '@testing-library/jest-dom';
import { configure } from '@testing-library/react';

// Two cores shared with other test suites: give async queries room.
configure({ asyncUtilTimeout: 10_000 });
jest.setTimeout(30_000);
