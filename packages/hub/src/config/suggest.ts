/**
 * Edit distance with transpositions (optimal string alignment): `prot` is one edit from `port`,
 * the typo people actually make.
 */
export function editDistance(a: string, b: string): number {
  const rows = a.length + 1;
  const cols = b.length + 1;
  const d: number[] = Array.from({ length: rows * cols }, () => 0);
  const at = (i: number, j: number): number => d[i * cols + j] ?? 0;
  for (let i = 0; i < rows; i++) d[i * cols] = i;
  for (let j = 0; j < cols; j++) d[j] = j;
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        best = Math.min(best, at(i - 2, j - 2) + 1);
      }
      d[i * cols + j] = best;
    }
  }
  return at(a.length, b.length);
}

/** Case, `_` and `-` do not count: `valid_time`, `VALIDTIME` and `valid-time` all mean `validTime`. */
const normalise = (name: string): string => name.toLowerCase().replace(/[-_]/g, '');

/**
 * The candidate `input` most likely meant, or undefined when none is close: same name but for
 * case and separators, else one that starts the other, else the nearest within about a third of
 * its length.
 *
 * @example
 * suggest('prot', ['port', 'host']) // 'port'
 * suggest('valid_time', ['validTime', 'retention']) // 'validTime'
 */
export function suggest(input: string, candidates: Iterable<string>): string | undefined {
  const wanted = normalise(input);
  let best: { candidate: string; distance: number } | undefined;
  let prefixed: string | undefined;
  for (const candidate of candidates) {
    const known = normalise(candidate);
    const distance = editDistance(wanted, known);
    if (distance === 0) return candidate;
    if (best === undefined || distance < best.distance) best = { candidate, distance };
    // `warning` for `warn`, `maxBody` for `maxBodyBytes`: one name cut short or run on.
    const [shorter, longer] = wanted.length < known.length ? [wanted, known] : [known, wanted];
    if (prefixed === undefined && shorter.length >= 3 && longer.startsWith(shorter)) prefixed = candidate;
  }
  if (best === undefined) return undefined;
  if (prefixed !== undefined) return prefixed;
  const allowed = Math.max(1, Math.floor(Math.max(wanted.length, normalise(best.candidate).length) / 3));
  return best.distance <= allowed ? best.candidate : undefined;
}
