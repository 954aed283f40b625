import type { SessionMode, Upstream } from "@att/core"

/** A server the config file declares. */
export interface ConfiguredServer {
  readonly name: string
  readonly upstream: Upstream
  readonly callTimeoutMs: number | undefined
  readonly sessionMode: SessionMode | undefined
}

/**
 * The servers the config file declares now: the replica's own. The API refuses to register, replace or delete
 * them (409), and their endpoints are trusted by the transport's address guard. The config watch replaces them
 * when the file changes, so readers ask at each use.
 */
export class DeclaredServers {
  private servers: ReadonlyMap<string, ConfiguredServer>

  constructor(servers: ReadonlyArray<ConfiguredServer> = []) {
    this.servers = new Map(servers.map((server) => [server.name, server]))
  }

  has(name: string): boolean {
    return this.servers.has(name)
  }

  get(name: string): ConfiguredServer | undefined {
    return this.servers.get(name)
  }

  all(): ReadonlyArray<ConfiguredServer> {
    return [...this.servers.values()]
  }

  replace(servers: ReadonlyArray<ConfiguredServer>): void {
    this.servers = new Map(servers.map((server) => [server.name, server]))
  }
}
