import type { LedgerEventBody } from '@ledger/domain';

/**
 * The benchmarks' scale model: 3,321 communes (the post-2025 count) under 34 provinces, 40 monthly
 * indicators, one commune-level methodology. Ids are short ASCII identifiers.
 */
export const PROVINCES = 34;
export const COMMUNES = 3_321;
export const INDICATORS = 40;
export const METHODOLOGY_ID = 'cchc-commune';
/** The first monthly period; recording months follow it (period p is recorded during p + 1). */
export const FIRST_YEAR = 2020;

export const provinceId = (p: number) => `p${String(p + 1).padStart(2, '0')}`;
export const communeId = (c: number) => `c${String(c + 1).padStart(4, '0')}`;
export const indicatorCode = (i: number) => `ind${String(i + 1).padStart(2, '0')}`;
/** The province of commune c: communes are dealt round-robin, so each province has ~98. */
export const parentOf = (c: number) => provinceId(c % PROVINCES);
export const lowerIsBetter = (i: number) => i % 5 === 4;
export const groupOf = (i: number) => `g${i % 4}`;
export const MAX_POINTS = 100 / INDICATORS;

/** Reference data: provinces, communes, indicators and the methodology, in that order. */
export function referenceEvents(): LedgerEventBody[] {
  const out: LedgerEventBody[] = [];
  const unit = { validFrom: null, validTo: null, successorId: null };
  for (let p = 0; p < PROVINCES; p++)
    out.push({
      type: 'ledger.unit-registered.v1',
      data: { unitId: provinceId(p), name: `Tỉnh ${p + 1}`, level: 'province', parentId: null, ...unit },
    });
  for (let c = 0; c < COMMUNES; c++)
    out.push({
      type: 'ledger.unit-registered.v1',
      data: { unitId: communeId(c), name: `Xã ${c + 1}`, level: 'commune', parentId: parentOf(c), ...unit },
    });
  for (let i = 0; i < INDICATORS; i++)
    out.push({
      type: 'ledger.indicator-defined.v1',
      data: {
        code: indicatorCode(i),
        name: `Chỉ số ${i + 1}`,
        measure: 'percent',
        direction: lowerIsBetter(i) ? 'lower-is-better' : 'higher-is-better',
      },
    });
  out.push({
    type: 'ledger.methodology-published.v1',
    data: {
      methodologyId: METHODOLOGY_ID,
      version: 1,
      name: 'Chỉ số CCHC cấp xã',
      level: 'commune',
      appliesFrom: null,
      indicators: Array.from({ length: INDICATORS }, (_, i) => ({
        indicator: indicatorCode(i),
        group: groupOf(i),
        maxPoints: MAX_POINTS,
        rule: i % 8 === 7 ? { kind: 'met' as const } : { kind: 'attainment' as const },
      })),
    },
  });
  return out;
}

/** The general (every-unit) target of each indicator for a year. */
export const targetValue = (i: number) => (lowerIsBetter(i) ? 10 : 85);

export function targetEvents(year: number): LedgerEventBody[] {
  return Array.from({ length: INDICATORS }, (_, i) => ({
    type: 'ledger.target-set.v1' as const,
    data: {
      indicator: indicatorCode(i),
      period: String(year),
      unitId: null,
      value: targetValue(i),
      authority: 'Bộ Nội vụ',
      reason: null,
    },
  }));
}
