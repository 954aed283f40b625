import type { ListChange, LogMessage, RefusedRequest, ResourceUpdate } from "@att/core"
import type { Client } from "@modelcontextprotocol/sdk/client/index.js"
import {
  LoggingMessageNotificationSchema,
  PromptListChangedNotificationSchema,
  ResourceListChangedNotificationSchema,
  ResourceUpdatedNotificationSchema,
  ToolListChangedNotificationSchema
} from "@modelcontextprotocol/sdk/types.js"
import { Effect, PubSub } from "effect"

/**
 * What the upstreams announce on their sessions (list changes, resource updates, log messages), passed on to
 * whoever subscribes: one stream of each for every server.
 */
export const makeNotifications = Effect.gen(function* () {
  const listChanges = yield* PubSub.unbounded<ListChange>()
  const resourceUpdates = yield* PubSub.unbounded<ResourceUpdate>()
  const logMessages = yield* PubSub.unbounded<LogMessage>()
  // Refusals come at an upstream's pace, not a client's: the oldest go first past the bound.
  const refusedRequests = yield* PubSub.sliding<RefusedRequest>(1024)

  /** Pass the upstream's notifications on (the SDK calls these handlers outside any fiber). */
  const announce = (client: Client, server: string) => {
    client.setNotificationHandler(ToolListChangedNotificationSchema, () => {
      listChanges.unsafeOffer({ server, list: "tools" })
    })
    client.setNotificationHandler(ResourceListChangedNotificationSchema, () => {
      listChanges.unsafeOffer({ server, list: "resources" })
    })
    client.setNotificationHandler(PromptListChangedNotificationSchema, () => {
      listChanges.unsafeOffer({ server, list: "prompts" })
    })
    client.setNotificationHandler(ResourceUpdatedNotificationSchema, (notification) => {
      resourceUpdates.unsafeOffer({ server, uri: notification.params.uri })
    })
    client.setNotificationHandler(LoggingMessageNotificationSchema, ({ params }) => {
      logMessages.unsafeOffer({ server, level: params.level, logger: params.logger, data: params.data })
    })
  }

  return {
    announce,
    refused: (request: RefusedRequest) => void refusedRequests.unsafeOffer(request),
    subscribeRefusedRequests: PubSub.subscribe(refusedRequests),
    subscribeListChanges: PubSub.subscribe(listChanges),
    subscribeResourceUpdates: PubSub.subscribe(resourceUpdates),
    subscribeLogMessages: PubSub.subscribe(logMessages)
  }
})
