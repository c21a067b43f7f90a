// The public status page as server-rendered HTML (no script: a few KiB of markup and one style
// block, light and dark by prefers-color-scheme, one column at phone width) and its SVG badges.
import { createHash } from 'node:crypto';
import type { PublicStatusPage } from '../../contract/status-page-schemas.js';
import { PAGE_STRINGS, type PageLanguage, percentText } from './strings.js';

type Entry = PublicStatusPage['groups'][number]['entries'][number];

export function escapeHtml(text: string): string {
  return text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string,
  );
}

/** A bar's class: how bad its day was (the same steps as the admin UI's bars). */
function level(permille: number | null): string {
  if (permille === null) return 'none';
  if (permille >= 999) return 'ok';
  if (permille >= 990) return 'minor';
  if (permille >= 900) return 'major';
  return 'down';
}

// Colours reach 4.5:1 for text on their background in both schemes (axe's colour-contrast rule).
export const PAGE_CSS = `
:root{color-scheme:light dark;--bg:#f6f7f9;--card:#fff;--ink:#1b1e24;--dim:#545b66;--line:#dde1e6;
--ok:#2f9e44;--minor:#e8a700;--major:#e8590c;--down:#e03131;--none:#ced4da;
--up-ink:#1c6b2e;--up-bg:#e3f4e6;--down-ink:#b02525;--down-bg:#fde8e8;--unk-ink:#4a515b;--unk-bg:#eceef1}
@media (prefers-color-scheme:dark){:root{--bg:#111317;--card:#1a1d23;--ink:#e8eaed;--dim:#a8afb9;--line:#2c313a;
--ok:#40c057;--minor:#fab005;--major:#fd7e14;--down:#fa5252;--none:#3a404a;
--up-ink:#8ce99a;--up-bg:#15301d;--down-ink:#ffa8a8;--down-bg:#3b1717;--unk-ink:#ced4da;--unk-bg:#262a31}}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--ink);font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans","PingFang SC","Microsoft YaHei",sans-serif}
.wrap{max-width:860px;margin:0 auto;padding:32px 16px 48px}
header h1{margin:0 0 4px;font-size:1.75rem;line-height:1.25}
header p{margin:0;color:var(--dim)}
.overall{display:flex;align-items:center;gap:12px;margin:24px 0;padding:16px 20px;border-radius:10px;font-weight:600;font-size:1.1rem}
.overall.o-operational{background:var(--up-bg);color:var(--up-ink)}
.overall.o-partial,.overall.o-major{background:var(--down-bg);color:var(--down-ink)}
.overall.o-unknown{background:var(--unk-bg);color:var(--unk-ink)}
.overall p{margin:0}
.dot{width:12px;height:12px;border-radius:50%;background:currentColor;flex:none}
section.group{background:var(--card);border:1px solid var(--line);border-radius:10px;margin:0 0 20px;overflow:hidden}
section.group h2{margin:0;padding:14px 20px;font-size:1.05rem;border-bottom:1px solid var(--line)}
ul.entries{list-style:none;margin:0;padding:0}
li.entry{padding:16px 20px;border-top:1px solid var(--line)}
li.entry:first-child{border-top:0}
.row{display:flex;justify-content:space-between;align-items:center;gap:12px;flex-wrap:wrap}
.row h3{margin:0;font-size:1rem;font-weight:600;overflow-wrap:anywhere}
.state{font-size:.875rem;font-weight:600;padding:2px 10px;border-radius:999px;white-space:nowrap}
.s-up{background:var(--up-bg);color:var(--up-ink)}
.s-down{background:var(--down-bg);color:var(--down-ink)}
.s-unknown{background:var(--unk-bg);color:var(--unk-ink)}
.bars{display:flex;gap:2px;height:34px;margin:12px 0 6px}
.bars span{flex:1 1 0;min-width:1px;border-radius:2px;background:var(--none)}
.bars .l-ok{background:var(--ok)}.bars .l-minor{background:var(--minor)}.bars .l-major{background:var(--major)}.bars .l-down{background:var(--down)}
.legend{display:flex;justify-content:space-between;gap:8px;color:var(--dim);font-size:.8125rem}
.legend .ratio{color:var(--ink);font-weight:600}
.empty{color:var(--dim)}
footer{margin-top:28px;color:var(--dim);font-size:.8125rem;text-align:center}
@media (max-width:480px){.wrap{padding:20px 12px 32px}.bars{gap:1px;height:30px}li.entry{padding:14px}section.group h2{padding:12px 14px}header h1{font-size:1.4rem}}
`;

/** The style block's hash, for a Content-Security-Policy that allows nothing else. */
export const PAGE_STYLE_HASH = `sha256-${createHash('sha256').update(PAGE_CSS).digest('base64')}`;

function entryHtml(entry: Entry, language: PageLanguage, headingId: string): string {
  const s = PAGE_STRINGS[language];
  const d90 = percentText(entry.uptime.d90, language);
  const bars = entry.days
    .map((d) => {
      const title = s.day(d.day, percentText(d.permille, language), d.outages);
      return `<span class="l-${level(d.permille)}" title="${escapeHtml(title)}"></span>`;
    })
    .join('');
  const ratio = d90 === null ? s.noData : s.uptime(d90, s.periods.d90);
  return (
    `<li class="entry"><div class="row"><h3 id="${headingId}">${escapeHtml(entry.name)}</h3>` +
    `<span class="state s-${entry.state}">${escapeHtml(s.state[entry.state])}</span></div>` +
    `<div class="bars" role="img" aria-label="${escapeHtml(`${s.barsLabel(entry.name)}: ${ratio}`)}">${bars}</div>` +
    `<div class="legend" aria-hidden="true"><span>${escapeHtml(s.ago90)}</span><span class="ratio">${escapeHtml(ratio)}</span>` +
    `<span>${escapeHtml(s.today)}</span></div></li>`
  );
}

export function renderHtml(page: PublicStatusPage, language: PageLanguage, timeZone: string): string {
  const s = PAGE_STRINGS[language];
  const updated = new Intl.DateTimeFormat(language, {
    year: 'numeric',
    month: 'short',
    day: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    timeZone,
    timeZoneName: 'short',
  }).format(new Date(page.generatedAt));
  const groups = page.groups
    .filter((g) => g.entries.length > 0)
    .map(
      (g, gi) =>
        `<section class="group" aria-labelledby="g${gi}"><h2 id="g${gi}">${escapeHtml(g.name)}</h2><ul class="entries">` +
        g.entries.map((e, ei) => entryHtml(e, language, `g${gi}e${ei}`)).join('') +
        '</ul></section>',
    )
    .join('');
  return (
    `<!doctype html><html lang="${language}"><head><meta charset="utf-8">` +
    '<meta name="viewport" content="width=device-width, initial-scale=1"><meta name="color-scheme" content="light dark">' +
    '<meta name="robots" content="noarchive">' +
    `<title>${escapeHtml(page.title)}</title><style>${PAGE_CSS}</style></head><body><div class="wrap">` +
    `<header><h1>${escapeHtml(page.title)}</h1>${page.description ? `<p>${escapeHtml(page.description)}</p>` : ''}</header>` +
    `<main><div class="overall o-${page.overall}" role="status"><span class="dot" aria-hidden="true"></span><p>${escapeHtml(s.overall[page.overall])}</p></div>` +
    (groups || `<p class="empty">${escapeHtml(s.empty)}</p>`) +
    `</main><footer><p><time datetime="${new Date(page.generatedAt).toISOString()}">${escapeHtml(s.updated(updated))}</time> · ${escapeHtml(s.poweredBy)}</p></footer>` +
    '</div></body></html>'
  );
}

/** Rough text width in the badge's 11 px font: CJK characters are about twice a Latin one. */
function textWidth(text: string): number {
  let w = 0;
  for (const ch of text) w += /[\u2e80-\u9fff\uff00-\uffef]/.test(ch) ? 11 : /[A-Z%mw]/.test(ch) ? 8 : 6.5;
  return Math.ceil(w);
}

export const BADGE_COLOURS = { up: '#2f9e44', down: '#e03131', unknown: '#868e96', minor: '#d08700', major: '#e8590c' };

/** A shields-style badge: "<label> | <value>" with the value's colour. */
export function renderBadge(label: string, value: string, colour: string): string {
  const lw = textWidth(label) + 12;
  const vw = textWidth(value) + 12;
  const w = lw + vw;
  const l = escapeHtml(label);
  const v = escapeHtml(value);
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="20" role="img" aria-label="${l}: ${v}">` +
    `<title>${l}: ${v}</title><clipPath id="r"><rect width="${w}" height="20" rx="3"/></clipPath>` +
    `<g clip-path="url(#r)"><rect width="${lw}" height="20" fill="#555"/><rect x="${lw}" width="${vw}" height="20" fill="${colour}"/></g>` +
    `<g fill="#fff" text-anchor="middle" font-family="Verdana,Geneva,DejaVu Sans,sans-serif" font-size="11">` +
    `<text x="${lw / 2}" y="14">${l}</text><text x="${lw + vw / 2}" y="14">${v}</text></g></svg>`
  );
}

/** The colour of an uptime figure on a badge. */
export function uptimeColour(permille: number | null): string {
  const l = level(permille);
  if (l === 'none') return BADGE_COLOURS.unknown;
  if (l === 'ok') return BADGE_COLOURS.up;
  if (l === 'minor') return BADGE_COLOURS.minor;
  if (l === 'major') return BADGE_COLOURS.major;
  return BADGE_COLOURS.down;
}
