/**
 * `up` → `[Uu][Pp]`, other characters escaped: a case-insensitive match inside a regular expression
 * that takes no flags (JSON Schema patterns, and the patterns built from them).
 */
export function anyCase(value: string): string {
  return [...value]
    .map((char) => {
      const lower = char.toLowerCase();
      const upper = char.toUpperCase();
      return lower === upper ? char.replace(/[.*+?^${}()|[\]\\]/g, '\\$&') : `[${upper}${lower}]`;
    })
    .join('');
}
