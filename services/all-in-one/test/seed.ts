/** A small province: three districts, two indicators, one methodology, a 2023 target. Shared by the API and end-to-end tests. */
export const SEED = {
  recordedAt: '2024-01-05T09:00:00+07:00',
  commands: [
    { type: 'unit', body: { id: '77', validFrom: '2000-01-01', name: 'Bà Rịa-Vũng Tàu', level: 'province' } },
    {
      type: 'unit',
      body: { id: '747', validFrom: '2000-01-01', name: 'TP. Vũng Tàu', level: 'district', parentId: '77' },
    },
    {
      type: 'unit',
      body: { id: '748', validFrom: '2000-01-01', name: 'TP. Bà Rịa', level: 'district', parentId: '77' },
    },
    {
      type: 'unit',
      body: { id: '754', validFrom: '2000-01-01', name: 'TX. Phú Mỹ', level: 'district', parentId: '77' },
    },
    {
      type: 'indicator',
      body: { code: 'on-time', name: 'Hồ sơ đúng hạn', measure: 'percent', direction: 'higher-is-better' },
    },
    {
      type: 'indicator',
      body: {
        code: 'satisfaction',
        name: 'Mức độ hài lòng',
        measure: 'percent',
        direction: 'higher-is-better',
      },
    },
    {
      type: 'methodology',
      body: {
        id: 'cchc',
        name: 'Chỉ số CCHC cấp huyện',
        level: 'district',
        indicators: [
          { indicator: 'on-time', group: 'Tiến độ', maxPoints: 60, rule: { kind: 'attainment' } },
          {
            indicator: 'satisfaction',
            group: 'Hài lòng',
            maxPoints: 40,
            rule: { kind: 'attainment', threshold: 90 },
          },
        ],
      },
    },
    { type: 'target', body: { indicator: 'on-time', period: '2023', value: 98, authority: 'HĐND tỉnh' } },
  ],
};

export const submission = (unitId: string, indicator: string, value: number, period = '2023') => ({
  type: 'submission',
  body: { unitId, indicator, period, value },
});
