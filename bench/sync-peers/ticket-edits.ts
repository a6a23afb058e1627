// Agents at work while a client pages: `perSecond` tickets a second get an edit (updated_at moves to now, so
// the ticket jumps to the end of `order_by=updated_at` and every later row shifts up one slot). The tickets
// come from a seeded generator, so every client meets the same sequence of edited ids.
import type { FreshdeskFake } from '../../test/fakes/freshdesk/index.js';

export interface TicketEdits {
  /** Stops editing; returns how many edits were made. */
  stop(): number;
}

/** A small deterministic generator (mulberry32). */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function startTicketEdits(fake: FreshdeskFake, ticketIds: readonly number[], perSecond: number, seed = 13): TicketEdits {
  let edits = 0;
  if (perSecond <= 0 || ticketIds.length === 0) return { stop: () => 0 };
  const random = seededRandom(seed);
  const timer = setInterval(() => {
    fake.data.updateTicket(ticketIds[Math.floor(random() * ticketIds.length)]!, { subject: `edited ${edits + 1}` });
    edits++;
  }, 1000 / perSecond);
  return {
    stop: () => {
      clearInterval(timer);
      return edits;
    },
  };
}
