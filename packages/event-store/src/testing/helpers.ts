import { v7 } from 'uuid';
import { expect } from 'vitest';
import type { AppendRequest, ExpectedRevision, NewEvent } from '../port.ts';

/** A valid NewEvent with a fresh UUIDv7; override any field. */
export function newEvent(overrides: Partial<NewEvent> = {}): NewEvent {
  return {
    eventId: v7(),
    type: 'TestEvent',
    schemaVersion: 1,
    data: { value: 1 },
    metadata: { actor: 'contract-test', correlationId: v7(), causationId: null },
    ...overrides,
  };
}

/** `count` fresh events. */
export function newEvents(count: number, overrides: Partial<NewEvent> = {}): NewEvent[] {
  return Array.from({ length: count }, () => newEvent(overrides));
}

/** A stream id no other test uses, so the suite also runs against a shared server. */
export function newStreamId(prefix = 'contract'): string {
  return `${prefix}-${v7()}`;
}

export function request(
  streamId: string,
  expectedRevision: ExpectedRevision,
  events: readonly NewEvent[],
): AppendRequest {
  return { streamId, expectedRevision, events };
}

/**
 * Asserts that `action` rejects with an instance of `errorClass`, and returns the error so the
 * caller can check its fields.
 */
export async function expectRejection<E extends Error>(
  action: Promise<unknown>,
  errorClass: abstract new (...args: never[]) => E,
): Promise<E> {
  const error = await action.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  expect(error, 'expected the promise to reject').toBeInstanceOf(errorClass);
  return error as E;
}

/** Polls `condition` until it holds or `timeoutMs` passes. */
export async function waitFor(
  condition: () => boolean,
  timeoutMs = 5_000,
  what = 'condition',
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** Lets pending timers and promise callbacks run, e.g. to show that nothing more gets delivered. */
export function settle(ms = 50): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export const ISO_UTC_MS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
