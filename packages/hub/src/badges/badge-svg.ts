/**
 * Status badges in the flat style of shields.io: a grey label on the left, a coloured value on the
 * right, each as wide as its text in 11px Verdana (from the advance widths below), so a README
 * shows `orders | UP` exactly like the badges next to it.
 *
 * @example
 * renderBadge({ label: 'orders', value: 'UP', color: BADGE_COLORS.green })
 */
export const BADGE_COLORS = {
  brightgreen: '#4c1',
  green: '#97ca00',
  yellow: '#dfb317',
  orange: '#fe7d37',
  red: '#e05d44',
  grey: '#9f9f9f',
  label: '#555',
} as const;

export interface Badge {
  label: string;
  value: string;
  /** The value side's colour, `#rgb` or `#rrggbb`. */
  color: string;
}

/**
 * Verdana's advance widths for printable ASCII (32–126), in font units of an em of 2048. Other
 * characters take the width of `m` (wide scripts, from U+2E80, a full em): approximate, but a
 * badge then errs on the wide side rather than cutting text.
 */
const ASCII_WIDTHS = [
  720, 806, 940, 1676, 1302, 2204, 1488, 550, 930, 930, 1302, 1676, 745, 930, 745, 930, 1302, 1302, 1302,
  1302, 1302, 1302, 1302, 1302, 1302, 1302, 930, 930, 1676, 1676, 1676, 1117, 2048, 1401, 1405, 1430, 1577,
  1294, 1178, 1587, 1540, 862, 931, 1425, 1142, 1730, 1532, 1612, 1236, 1612, 1433, 1401, 1248, 1505, 1401,
  2025, 1403, 1243, 1403, 930, 930, 930, 1676, 1302, 1302, 1233, 1276, 1077, 1276, 1218, 720, 1276, 1296, 562,
  705, 1200, 562, 1992, 1296, 1243, 1276, 1276, 874, 1063, 807, 1296, 1200, 1679, 1198, 1200, 1067, 1300, 930,
  1300, 1676,
];
const UNITS_PER_EM = 2048;
const FONT_SIZE = 11;
const PADDING = 5;

/** The width of `text` in 11px Verdana, in pixels. */
export function textWidth(text: string): number {
  let units = 0;
  for (const char of text) {
    const code = char.codePointAt(0)!;
    if (code >= 32 && code <= 126) units += ASCII_WIDTHS[code - 32]!;
    else units += code >= 0x2e80 ? UNITS_PER_EM : 1992;
  }
  return (units * FONT_SIZE) / UNITS_PER_EM;
}

export function renderBadge({ label, value, color }: Badge): string {
  const labelWidth = Math.round(textWidth(label)) + 2 * PADDING;
  const valueWidth = Math.round(textWidth(value)) + 2 * PADDING;
  const width = labelWidth + valueWidth;
  const title = escapeXml(`${label}: ${value}`);
  const text = (x: number, content: string) =>
    `<text aria-hidden="true" x="${x * 10}" y="150" fill="#010101" fill-opacity=".3" transform="scale(.1)">${content}</text>` +
    `<text x="${x * 10}" y="140" transform="scale(.1)">${content}</text>`;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="20" role="img" aria-label="${title}">`,
    `<title>${title}</title>`,
    '<linearGradient id="s" x2="0" y2="100%"><stop offset="0" stop-color="#bbb" stop-opacity=".1"/><stop offset="1" stop-opacity=".1"/></linearGradient>',
    `<clipPath id="r"><rect width="${width}" height="20" rx="3" fill="#fff"/></clipPath>`,
    `<g clip-path="url(#r)"><rect width="${labelWidth}" height="20" fill="${BADGE_COLORS.label}"/>`,
    `<rect x="${labelWidth}" width="${valueWidth}" height="20" fill="${color}"/>`,
    `<rect width="${width}" height="20" fill="url(#s)"/></g>`,
    `<g fill="#fff" text-anchor="middle" font-family="Verdana,Geneva,DejaVu Sans,sans-serif" text-rendering="geometricPrecision" font-size="110">`,
    text(labelWidth / 2, escapeXml(label)),
    text(labelWidth + valueWidth / 2, escapeXml(value)),
    '</g></svg>',
  ].join('');
}

/** Text as XML character data or an attribute value. */
export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => `&${XML_ENTITIES[char]};`);
}

const XML_ENTITIES: Record<string, string> = { '&': 'amp', '<': 'lt', '>': 'gt', '"': 'quot', "'": 'apos' };

/** The colour of an uptime percentage, by the steps shields.io uses for coverage-like numbers. */
export function uptimeColor(percent: number): string {
  if (percent >= 99.9) return BADGE_COLORS.brightgreen;
  if (percent >= 99) return BADGE_COLORS.green;
  if (percent >= 95) return BADGE_COLORS.yellow;
  if (percent >= 90) return BADGE_COLORS.orange;
  return BADGE_COLORS.red;
}

/** `99.95%`, `100%`, `12.3%`: at most two decimals, never rounded up to 100 from below. */
export function formatPercent(percent: number): string {
  const floored = Math.floor(percent * 100) / 100;
  return `${Number(floored.toFixed(2))}%`;
}
