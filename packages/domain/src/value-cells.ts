import { createColumn } from './column.ts';
import { createIndicatorRows } from './indicator-rows.ts';
import { isCanonicalUuid, packChecked, unpackUuid } from './packed-uuid.ts';

/**
 * What the write model keeps of values, as numbers: a cell per unit, indicator and period (its
 * stream's revision and its active submission) and each submission (its cell, value, retraction).
 * ~70 bytes per value stream instead of ~470 as strings and objects in three Maps — at national
 * scale (~8 M value streams in five years) the difference between 0.6 GB and a heap out of memory;
 * and no Map here grows past V8's limit of 2^24 entries.
 */
export interface ValueCells {
  /** The cell of a unit's indicator for a period, or -1; `create` makes it (revision -1, nothing active). */
  cell(unitId: string, indicator: string, period: string, create: boolean): number;
  keyOf(cell: number): { readonly unitId: string; readonly indicator: string; readonly period: string };
  revision(cell: number): number;
  setRevision(cell: number, revision: number): void;
  /** The submission in force in the cell, or -1. */
  active(cell: number): number;
  setActive(cell: number, submission: number): void;
  /** The slot of a submission id, or -1; `create` makes it. */
  submission(id: string, create: boolean): number;
  submissionId(submission: number): string;
  cellOf(submission: number): number;
  value(submission: number): number;
  retracted(submission: number): boolean;
  setSubmission(submission: number, cell: number, value: number, retracted: boolean): void;
}

const NONE = -1;

export function createValueCells(): ValueCells {
  const interned = () => {
    const ids = new Map<string, number>();
    const names: string[] = [];
    return {
      names,
      id: (name: string, create: boolean) => {
        let id = ids.get(name);
        if (id === undefined && create) {
          id = names.length;
          ids.set(name, id);
          names.push(name);
        }
        return id ?? NONE;
      },
    };
  };
  const units = interned();
  const indicators = interned();
  const periods = interned();
  /** The cell of each unit's indicator for each period (NONE: none yet). */
  const cells = createIndicatorRows<number, number>();
  const cellUnit = createColumn(Int32Array);
  const cellIndicator = createColumn(Int32Array);
  const cellPeriod = createColumn(Int32Array);
  const cellRevision = createColumn(Int32Array);
  const cellActive = createColumn(Int32Array);

  /** Four words a submission: its id packed (zeros for an id that is not a canonical UUID: `otherIds` has it). */
  const submissionWords = createColumn(Int32Array);
  const submissionCell = createColumn(Int32Array);
  const submissionValue = createColumn(Float64Array);
  const submissionRetracted = createColumn(Int32Array);
  const otherIds = new Map<string, number>();
  const otherNames = new Map<number, string>();
  // Open addressing over packed ids: slot + 1 per entry, 0 when empty, at most half full.
  let table = new Int32Array(1024);
  const packed = new Int32Array(4);
  const hashOf = (w: Int32Array) => {
    let h = Math.imul((w[3] as number) ^ 0x9e3779b9, 0x85ebca6b);
    h = Math.imul(h ^ (w[2] as number) ^ (h >>> 15), 0xc2b2ae35);
    h = Math.imul(h ^ (w[1] as number) ^ (h >>> 13), 0x27d4eb2f);
    return (h ^ (w[0] as number) ^ (h >>> 16)) >>> 0;
  };
  const sameAs = (slot: number) => {
    for (let k = 0; k < 4; k++) if (submissionWords.at(4 * slot + k) !== packed[k]) return false;
    return true;
  };
  const words = new Int32Array(4);
  const place = (into: Int32Array, slot: number) => {
    for (let k = 0; k < 4; k++) words[k] = submissionWords.at(4 * slot + k) as number;
    const mask = into.length - 1;
    let i = hashOf(words) & mask;
    while (into[i] !== 0) i = (i + 1) & mask;
    into[i] = slot + 1;
  };
  let last = { id: '', slot: NONE };
  const newSubmission = () => {
    const slot = submissionCell.length;
    submissionCell.push(NONE);
    submissionValue.push(Number.NaN);
    submissionRetracted.push(0);
    return slot;
  };

  return {
    cell(unitId, indicator, period, create) {
      const u = units.id(unitId, create);
      const i = indicators.id(indicator, create);
      const p = periods.id(period, create);
      if (u === NONE || i === NONE || p === NONE) return NONE;
      let cell = cells.get(u, p, i);
      if (cell === NONE && create) {
        cell = cellUnit.length;
        cellUnit.push(u);
        cellIndicator.push(i);
        cellPeriod.push(p);
        cellRevision.push(-1);
        cellActive.push(NONE);
        cells.set(u, p, i, cell, indicators.names.length);
      }
      return cell;
    },
    keyOf: (cell) => ({
      unitId: units.names[cellUnit.at(cell) as number] as string,
      indicator: indicators.names[cellIndicator.at(cell) as number] as string,
      period: periods.names[cellPeriod.at(cell) as number] as string,
    }),
    revision: (cell) => cellRevision.at(cell) as number,
    setRevision: (cell, revision) => cellRevision.set(cell, revision),
    active: (cell) => cellActive.at(cell) as number,
    setActive: (cell, submission) => cellActive.set(cell, submission),
    submission(id, create) {
      // A write asks for the same submission several times in a row (its record, then its key).
      if (id === last.id) return last.slot;
      const slot = findSubmission(id, create);
      if (slot !== NONE) last = { id, slot };
      return slot;
    },
    submissionId: (submission) => otherNames.get(submission) ?? unpackSlot(submission),
    cellOf: (submission) => submissionCell.at(submission) as number,
    value: (submission) => submissionValue.at(submission) as number,
    retracted: (submission) => submissionRetracted.at(submission) === 1,
    setSubmission(submission, cell, value, retracted) {
      submissionCell.set(submission, cell);
      submissionValue.set(submission, value);
      submissionRetracted.set(submission, retracted ? 1 : 0);
    },
  };

  function findSubmission(id: string, create: boolean): number {
    if (!isCanonicalUuid(id)) {
      const found = otherIds.get(id);
      if (found !== undefined || !create) return found ?? NONE;
      const slot = newSubmission();
      for (let k = 0; k < 4; k++) submissionWords.push(0);
      otherIds.set(id, slot);
      otherNames.set(slot, id);
      return slot;
    }
    packChecked(id, packed);
    const mask = table.length - 1;
    let i = hashOf(packed) & mask;
    for (let entry = table[i] as number; entry !== 0; entry = table[i] as number) {
      if (sameAs(entry - 1)) return entry - 1;
      i = (i + 1) & mask;
    }
    if (!create) return NONE;
    const slot = newSubmission();
    for (const word of packed) submissionWords.push(word);
    table[i] = slot + 1;
    if (2 * (submissionCell.length - otherIds.size) > table.length) {
      const grown = new Int32Array(2 * table.length);
      for (let s = 0; s < submissionCell.length; s++) if (!otherNames.has(s)) place(grown, s);
      table = grown;
    }
    return slot;
  }

  function unpackSlot(submission: number): string {
    for (let k = 0; k < 4; k++) words[k] = submissionWords.at(4 * submission + k) as number;
    return unpackUuid(words);
  }
}
