/**
 * Archive descriptions as real Glacier tools write them, for synthetic
 * vaults (`glacier-local seed --descriptions`):
 *
 * - `plain`: a relative file path (glacier-cli, glacier-cmd, boto scripts);
 * - `mt2`: mt-aws-glacier's `mt2 ` + unpadded base64url of the UTF-8 JSON
 *   `{"filename":PATH,"mtime":"YYYYMMDDTHHMMSSZ"}`;
 * - `fastglacier`: FastGlacier's `<m><v>4</v><p>BASE64(path)</p><lm>DATE</lm></m>`;
 * - `cloudberry`: CloudBerry's JSON `{"Path":PATH,"UTCDateModified":DATE}`;
 * - `mixed`: all of those, with empty and odd ones among them: non-ASCII
 *   paths (in the formats that carry UTF-8), `../` and absolute paths,
 *   Windows separators, and duplicate names.
 *
 * Every description is at most 1024 printable ASCII characters, as Glacier requires.
 *
 * @module
 */

/** The description styles `seed` can write. */
export const DESCRIPTION_STYLES = ['plain', 'mt2', 'fastglacier', 'cloudberry', 'mixed'] as const;

/** One description style. */
export type DescriptionStyle = (typeof DESCRIPTION_STYLES)[number];

/** `YYYYMMDDTHHMMSSZ`, the date format of mt-aws-glacier, FastGlacier and CloudBerry. */
export function compactDate(ms: number): string {
  return new Date(ms).toISOString().replace(/[-:]/g, '').replace(/\.\d{3}Z$/, 'Z');
}

/** A plausible relative path for archive `index`. */
export function syntheticPath(index: number): string {
  const year = 2012 + (index % 12);
  return `photos/${year}/album-${Math.floor(index / 1000) % 100}/IMG_${String(index).padStart(7, '0')}.jpg`;
}

/** mt-aws-glacier's `mt2` description. */
export function mt2Description(path: string, mtime: number): string {
  return `mt2 ${Buffer.from(JSON.stringify({ filename: path, mtime: compactDate(mtime) }), 'utf8').toString('base64url')}`;
}

/** FastGlacier's v4 description. */
export function fastGlacierDescription(path: string, mtime: number): string {
  return `<m><v>4</v><p>${Buffer.from(path, 'utf8').toString('base64')}</p><lm>${compactDate(mtime)}</lm></m>`;
}

/** CloudBerry's JSON description (the path must be printable ASCII). */
export function cloudBerryDescription(path: string, mtime: number): string {
  return JSON.stringify({ Path: path, UTCDateModified: compactDate(mtime) });
}

/** Odd descriptions that an export must survive, cycled through by `mixed`. */
const ODD: ReadonlyArray<(index: number, mtime: number) => string> = [
  () => '',
  () => '   ',
  (i) => `../../../etc/escape-${i}`,
  (i) => `/absolute/path/file-${i}.txt`,
  (i) => `C:\\Users\\owner\\Documents\\report-${i}.docx`,
  () => 'duplicate/name.txt',
  (i, m) => mt2Description(`fotos/año-${i % 7}/café ☕ ${i}.jpg`, m),
  (i, m) => fastGlacierDescription(`写真/${i}/東京.png`, m),
  (i, m) => mt2Description(`../outside-${i}`, m),
  () => 'mt2 not-base64-json!',
  () => '<m><v>4</v><p>broken',
  () => `{"Path": 42}`,
];

/** The description of synthetic archive `index`, last modified at `mtime`, in `style`. */
export function syntheticDescription(style: DescriptionStyle, index: number, mtime: number): string {
  const path = syntheticPath(index);
  switch (style) {
    case 'plain':
      return path;
    case 'mt2':
      return mt2Description(path, mtime);
    case 'fastglacier':
      return fastGlacierDescription(path, mtime);
    case 'cloudberry':
      return cloudBerryDescription(path, mtime);
    case 'mixed': {
      const pick = index % 8;
      if (pick < 4) return syntheticDescription(DESCRIPTION_STYLES[pick]!, index, mtime);
      return ODD[Math.floor(index / 8) % ODD.length]!(index, mtime);
    }
  }
}
