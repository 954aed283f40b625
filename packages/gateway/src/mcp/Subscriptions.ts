/**
 * Which of att's sessions are subscribed to which resource URI. att subscribes upstream once per URI, when the
 * first session subscribes, and unsubscribes when the last one leaves (by unsubscribing or by closing).
 */
export class Subscriptions<Session> {
  private readonly byUri = new Map<string, Set<Session>>()

  /** True when `session` is the URI's first subscriber. */
  add(uri: string, session: Session): boolean {
    const sessions = this.byUri.get(uri) ?? new Set<Session>()
    this.byUri.set(uri, sessions)
    const first = sessions.size === 0
    sessions.add(session)
    return first
  }

  /** True when `session` was the URI's last subscriber. */
  remove(uri: string, session: Session): boolean {
    const sessions = this.byUri.get(uri)
    if (sessions === undefined || !sessions.delete(session)) return false
    if (sessions.size > 0) return false
    this.byUri.delete(uri)
    return true
  }

  /** Forget a closed session; the URIs it was the last subscriber of. */
  drop(session: Session): ReadonlyArray<string> {
    return [...this.byUri.keys()].filter((uri) => this.remove(uri, session))
  }

  /** Every URI with at least one subscriber. */
  uris(): ReadonlyArray<string> {
    return [...this.byUri.keys()]
  }

  subscribers(uri: string): ReadonlyArray<Session> {
    return [...(this.byUri.get(uri) ?? [])]
  }
}
