import { Context, Layer } from "effect"

/**
 * One bound on the sessions att keeps for its clients: each `/mcp` session and each upstream session of a client's own
 * (the relay's, over stdio and SSE: for stdio, a child process) takes one place. Optional: a Manager without one
 * opens such sessions unbounded.
 */
export interface SessionBudgetShape {
  readonly max: number
  /** Take a place; false when none is left. */
  readonly tryAcquire: () => boolean
  /** Give a place back. */
  readonly release: () => void
  readonly inUse: () => number
}

export class SessionBudget extends Context.Tag("att/SessionBudget")<SessionBudget, SessionBudgetShape>() {
  static readonly make = (max: number): SessionBudgetShape => {
    let inUse = 0
    return {
      max,
      tryAcquire: () => {
        if (inUse >= max) return false
        inUse += 1
        return true
      },
      release: () => {
        inUse = Math.max(0, inUse - 1)
      },
      inUse: () => inUse
    }
  }

  static readonly layer = (max: number): Layer.Layer<SessionBudget> =>
    Layer.sync(SessionBudget, () => SessionBudget.make(max))
}
