/**
 * CSV of audit exports (RFC 4180 quoting), with two conventions the
 * verifier relies on:
 *
 * - `null` is an empty unquoted field; an empty string is `""`.
 * - A cell that starts with `=`, `+`, `-`, `@`, tab, carriage return or `'`
 *   gets a leading `'` so spreadsheets do not run it as a formula; the
 *   reader removes exactly one leading `'`.
 */
const FORMULA_START = /^[=+\-@\t\r']/;

export function csvCell(value: string | number | null | undefined): string {
  if (value === null || value === undefined) return '';
  let s = typeof value === 'number' ? String(value) : value;
  if (typeof value === 'string' && FORMULA_START.test(s)) s = `'${s}`;
  if (s === '' || /[",\r\n]/.test(s) || s.startsWith("'")) {
    return `"${s.replace(/"/g, '""')}"`;
  }
  return s;
}

export function csvLine(
  cells: Array<string | number | null | undefined>,
): string {
  return `${cells.map(csvCell).join(',')}\r\n`;
}

/**
 * Parses CSV text into rows of cells; `null` for empty unquoted cells.
 * Quoted cells have one leading `'` removed (see above).
 */
export function* parseCsv(text: string): Generator<Array<string | null>> {
  let i = 0;
  const n = text.length;
  while (i < n) {
    const row: Array<string | null> = [];
    for (;;) {
      let cell: string | null;
      if (text[i] === '"') {
        let j = i + 1;
        let out = '';
        for (;;) {
          const q = text.indexOf('"', j);
          if (q < 0) throw new Error('Unterminated quoted CSV cell');
          out += text.slice(j, q);
          if (text[q + 1] === '"') {
            out += '"';
            j = q + 2;
          } else {
            i = q + 1;
            break;
          }
        }
        cell = out.startsWith("'") ? out.slice(1) : out;
      } else {
        let j = i;
        while (j < n && text[j] !== ',' && text[j] !== '\r' && text[j] !== '\n')
          j++;
        const raw = text.slice(i, j);
        if (raw === '') cell = null;
        else cell = raw.startsWith("'") ? raw.slice(1) : raw;
        i = j;
      }
      row.push(cell);
      if (text[i] === ',') {
        i++;
        continue;
      }
      if (text[i] === '\r') i++;
      if (text[i] === '\n') i++;
      break;
    }
    yield row;
  }
}
