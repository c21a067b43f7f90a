// The status page's words in English and Simplified Chinese. The page is rendered on the master (no
// renderer bundle), so its few strings live here rather than in the renderer's i18next files.
import type { StatusPageLanguage } from '../../contract/status-page-schemas.js';

export type PageLanguage = Exclude<StatusPageLanguage, 'auto'>;

export interface PageStrings {
  overall: Record<'operational' | 'partial' | 'major' | 'unknown', string>;
  state: Record<'up' | 'down' | 'unknown', string>;
  uptime: (value: string, period: string) => string;
  periods: { h24: string; d30: string; d90: string };
  barsLabel: (name: string) => string;
  day: (day: string, value: string | null, outages: number) => string;
  noData: string;
  updated: (time: string) => string;
  ago90: string;
  today: string;
  empty: string;
  poweredBy: string;
  badgeUptime: string;
  badgeStatus: string;
}

const en: PageStrings = {
  overall: {
    operational: 'All systems operational',
    partial: 'Partial outage',
    major: 'Major outage',
    unknown: 'Status not known yet',
  },
  state: { up: 'Operational', down: 'Down', unknown: 'No data' },
  uptime: (value, period) => `${value} uptime (${period})`,
  periods: { h24: '24 hours', d30: '30 days', d90: '90 days' },
  barsLabel: (name) => `Daily uptime of ${name} over the last 90 days`,
  day: (day, value, outages) =>
    value === null
      ? `${day}: no data`
      : `${day}: ${value} up, ${outages === 0 ? 'no outages' : outages === 1 ? '1 outage' : `${outages} outages`}`,
  noData: 'no data',
  updated: (time) => `Updated ${time}`,
  ago90: '90 days ago',
  today: 'Today',
  empty: 'Nothing is shown on this page yet.',
  poweredBy: 'Powered by FleetDeck',
  badgeUptime: 'uptime',
  badgeStatus: 'status',
};

const zhCN: PageStrings = {
  overall: {
    operational: '所有系统运行正常',
    partial: '部分服务中断',
    major: '重大中断',
    unknown: '状态暂未知',
  },
  state: { up: '正常', down: '中断', unknown: '无数据' },
  uptime: (value, period) => `${period}可用率 ${value}`,
  periods: { h24: '24 小时', d30: '30 天', d90: '90 天' },
  barsLabel: (name) => `${name} 最近 90 天每日可用率`,
  day: (day, value, outages) =>
    value === null ? `${day}：无数据` : `${day}：可用率 ${value}，${outages === 0 ? '无中断' : `${outages} 次中断`}`,
  noData: '无数据',
  updated: (time) => `更新于 ${time}`,
  ago90: '90 天前',
  today: '今天',
  empty: '此页面暂未显示任何内容。',
  poweredBy: '由 FleetDeck 提供',
  badgeUptime: '可用率',
  badgeStatus: '状态',
};

export const PAGE_STRINGS: Record<PageLanguage, PageStrings> = { en, 'zh-CN': zhCN };

/**
 * The language a visitor gets: the configured one, or from Accept-Language — the first listed (by q)
 * that is Chinese or English; English otherwise.
 */
export function pickLanguage(configured: StatusPageLanguage, acceptLanguage: string | undefined): PageLanguage {
  if (configured !== 'auto') return configured;
  const ranked = (acceptLanguage ?? '')
    .slice(0, 512)
    .split(',')
    .map((part, i) => {
      const [tag = '', ...params] = part.trim().split(';');
      const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
      return { tag: tag.toLowerCase(), q: q ? Number(q.slice(2)) || 0 : 1, i };
    })
    .filter((l) => l.tag && l.q > 0)
    .sort((a, b) => b.q - a.q || a.i - b.i);
  for (const { tag } of ranked) {
    if (tag === 'zh' || tag.startsWith('zh-')) return 'zh-CN';
    if (tag === 'en' || tag.startsWith('en-') || tag === '*') return 'en';
  }
  return 'en';
}

/** "99.9 %" / "99.9%" in the page's language (from thousandths rounded down: never 100 with downtime). */
export function percentText(permille: number | null, language: PageLanguage): string | null {
  if (permille === null) return null;
  const value = new Intl.NumberFormat(language, { minimumFractionDigits: 1, maximumFractionDigits: 1 }).format(
    permille / 10,
  );
  return language === 'zh-CN' ? `${value}%` : `${value} %`;
}
