import { type RefusedRequest, type SessionDiagnostics, TransportError, type UpstreamTarget, slotOf } from "@att/core"
import { now, recordResultBytes } from "@att/core/internal"
import { Client } from "@modelcontextprotocol/sdk/client/index.js"
import { Duration, Effect, Exit, Runtime, Scope } from "effect"
import { categorize, invalidatesSession, neverSent, sessionGone } from "./Categorize.js"
import { closeClient } from "./ClientClose.js"
import { connectionFor } from "./Connection.js"
import { ObservedTransport } from "./ObservedTransport.js"
import { RELAY_CAPABILITIES, Relays, installRelays } from "./Relay.js"
import {
  type Ending,
  type Session,
  type Timeouts,
  call,
  connectTimeoutOf,
  isInitializeResponse,
  routeProgress
} from "./Session.js"

export interface LifecycleOptions {
  readonly timeouts: Timeouts
  readonly clientInfo: { readonly name: string; readonly version: string }
  readonly refuseAddress: ((target: UpstreamTarget, address: string) => string | null) | undefined
  readonly maxResultBytes: number
  /** A tracer records spans (HTTP requests then carry their trace context as headers too). */
  readonly traced: boolean
  /** Hand the upstream's notifications on a new client to their subscribers. */
  readonly announce: (client: Client, server: string) => void
  /** Tell of an upstream's request refused for want of a call to name. */
  readonly refused: (request: RefusedRequest) => void
}

/**
 * The sessions of every slot: opened when the Manager asks (one open per slot at a time) as a scoped resource;
 * retired when a new one replaces one (it drains, then closes); closed on release, invalidation, shutdown, and when
 * the upstream broke one or went silent on it.
 */
export const makeSessionLifecycle = (options: LifecycleOptions) =>
  Effect.gen(function* () {
    const { timeouts, clientInfo, maxResultBytes, announce } = options
    const sessions = new Map<string, Session>()
    const locks = new Map<string, Effect.Semaphore>()
    /** Per server, the session a new handshake replaced, closed once its last request settles (at most one). */
    const retired = new Map<string, Session>()
    const runtime = yield* Effect.runtime<never>()
    const runFork = Runtime.runFork(runtime)
    /** A stdio child's grace periods at close, on the layer's clock. */
    const sleep = (ms: number) => Runtime.runPromise(runtime)(Effect.sleep(Duration.millis(ms)))

    /** One lock per server: its session is opened, and initialized again, one at a time. */
    const lockFor = (name: string) => {
      const existing = locks.get(name)
      if (existing !== undefined) return existing
      const lock = Effect.unsafeMakeSemaphore(1)
      locks.set(name, lock)
      return lock
    }

    const closeSession = (session: Session) =>
      Effect.suspend(() => {
        if (retired.get(session.slot) === session) retired.delete(session.slot)
        return Scope.close(session.scope, Exit.void)
      })

    /** Close the slot's session (only `only`, when given, retired or current); true if it was the current one. */
    const close = (slot: string, only?: Session) =>
      Effect.suspend(() => {
        const session = sessions.get(slot)
        if (only !== undefined && session !== only) {
          return retired.get(slot) === only ? Effect.as(closeSession(only), false) : Effect.succeed(false)
        }
        if (session === undefined) return Effect.succeed(false)
        sessions.delete(slot)
        return Effect.as(closeSession(session), true)
      })

    /** Close a session the upstream broke or went silent on: a DELETE would wait on it and delay the failover. */
    const closeBroken = (session: Session) =>
      Effect.suspend(() => {
        session.ending.terminate = false
        return close(session.slot, session)
      })

    const closeRetired = (slot: string) => {
      const draining = retired.get(slot)
      return draining === undefined ? Effect.void : closeSession(draining)
    }

    /** Close the slots `keep` picks, each with the retired session still draining there. */
    const closeSlots = (keep: (session: Session) => boolean) =>
      Effect.forEach(
        [...sessions.values(), ...retired.values()].filter(keep).map((session) => session.slot),
        (slot) => Effect.all([close(slot), closeRetired(slot)], { concurrency: "unbounded" }),
        { concurrency: "unbounded", discard: true }
      )

    /**
     * Close the server's session and the retired one still draining (unregister, explicit invalidation), and the
     * sessions of its clients' own; true if the server's shared session was open.
     */
    const closeAll = (name: string) =>
      Effect.map(
        Effect.all(
          [close(name), closeRetired(name), closeSlots((session) => session.name === name && session.slot !== name)],
          { concurrency: "unbounded" }
        ),
        ([current]) => current
      )

    /** Close the sessions of one client's own, on every server (the client went). */
    const closeOwnedBy = (client: string) => closeSlots((session) => session.owner === client)

    /**
     * Take the server's session out of use for a new one. Requests in flight on it finish there (a re-initialize
     * must not fail the calls of other callers); it closes when the last one settles, bounded by the call timeout.
     * One session per server drains at a time: an older one still draining is closed now (no pile of stdio children).
     */
    const retire = (slot: string) =>
      Effect.suspend(() => {
        const session = sessions.get(slot)
        if (session === undefined) return Effect.void
        sessions.delete(slot)
        if (session.inFlight === 0) return closeSession(session)
        // Retired before the older one is closed: a close can wait, and the last request may settle meanwhile.
        const older = retired.get(slot)
        retired.set(slot, session)
        return older === undefined ? Effect.void : closeSession(older)
      })

    /** A request on the session settled (called from the SDK's promise, outside any fiber). */
    const settled = (session: Session) => {
      session.inFlight -= 1
      if (session.inFlight === 0 && retired.get(session.slot) === session) runFork(closeSession(session))
    }

    const open = (target: UpstreamTarget) =>
      Effect.gen(function* () {
        const scope = yield* Scope.make()
        const handshake: Session["handshake"] = { result: {} }
        const progress: Session["progress"] = new Map()
        const ending: Ending = { terminate: true }
        const refuseAddress = options.refuseAddress
        // Relayed where the transport tells which call a request came with, or where only one client uses the session.
        const relays =
          target.upstream.transport === "streamable-http" || target.clientSession !== undefined
            ? new Relays(target.clientSession !== undefined)
            : null
        const connection = connectionFor(
          target.upstream,
          refuseAddress === undefined ? undefined : (address) => refuseAddress(target, address),
          maxResultBytes,
          sleep,
          { traced: options.traced, resultBytes: (bytes) => recordResultBytes(target.name, bytes) },
          relays === null ? undefined : (call, upstreamRequest) => relays.origins.note(upstreamRequest, call)
        )
        const transport = new ObservedTransport(connection.transport, (message) => {
          if (isInitializeResponse(message)) handshake.result = message.result
          return routeProgress(progress, message)
        })
        const client = yield* Effect.acquireRelease(
          Effect.sync(() => {
            const client = new Client(clientInfo, { capabilities: relays === null ? {} : RELAY_CAPABILITIES })
            if (relays !== null) installRelays(client, target.name, relays, runtime, options.refused)
            announce(client, target.name)
            return client
          }),
          (client) => closeClient(client, transport, connection, ending)
        ).pipe(Scope.extend(scope))
        yield* call(
          (signal, timeout) => client.connect(transport, { signal, timeout }),
          connectTimeoutOf(timeouts, target)
        ).pipe(
          // Nothing but the handshake was sent: a call that needed this session can safely go elsewhere.
          Effect.mapError((error) => {
            const { message, category } = categorize(error)
            return new TransportError({ message, category, unsent: true })
          }),
          Effect.onError(() => Scope.close(scope, Exit.void))
        )
        const session: Session = {
          name: target.name,
          slot: slotOf(target),
          owner: target.clientSession,
          client,
          transport,
          scope,
          handshake,
          lastActivity: yield* now,
          inFlight: 0,
          answers: 0,
          progress,
          ending,
          relays
        }
        sessions.set(session.slot, session)
        return session
      })

    /**
     * A new session in the target's slot, its handshake done (the SDK's `initialize` and `notifications/initialized`);
     * the one it replaces is retired. One open per slot at a time.
     */
    const openAnew = (target: UpstreamTarget) => {
      const slot = slotOf(target)
      return lockFor(slot).withPermits(1)(Effect.zipRight(retire(slot), open(target)))
    }

    /**
     * A failed request as a categorized TransportError; a session it broke is closed. A timeout breaks the session
     * only when the upstream has been silent on it since the request went out: one slow call on a session that keeps
     * answering others is no reason to fail every call in flight on it.
     */
    const failed = (session: Session, cause: unknown, answersBefore: number) => {
      const categorized = categorize(cause)
      const error = neverSent(cause)
        ? new TransportError({ message: categorized.message, category: categorized.category, unsent: true })
        : categorized
      const answering = error.category === "network_timeout" && session.answers > answersBefore
      if (!invalidatesSession(error) || answering) return Effect.fail(error)
      // The upstream no longer knows the session, or it is closed: the request was not served, a new session may.
      const lost = sessionGone(cause)
        ? new TransportError({ message: error.message, category: error.category, unsent: true, sessionLost: true })
        : error
      return Effect.zipRight(closeBroken(session), Effect.fail(lost))
    }

    yield* Effect.addFinalizer(() =>
      Effect.forEach(new Set([...sessions.keys(), ...retired.keys()]), closeAll, {
        concurrency: "unbounded",
        discard: true
      })
    )

    return {
      /** The slot's current session, if any. */
      current: (slot: string): Session | undefined => sessions.get(slot),
      openAnew,
      settled,
      failed,
      closeBroken,
      closeAll,
      closeOwnedBy,
      diagnostics: (name: string) =>
        Effect.sync((): SessionDiagnostics => {
          const session = sessions.get(name)
          return session === undefined
            ? { active: false, initialized: false, last_activity_at: null }
            : { active: true, initialized: true, last_activity_at: session.lastActivity }
        })
    }
  })

export type SessionLifecycle = Effect.Effect.Success<ReturnType<typeof makeSessionLifecycle>>
