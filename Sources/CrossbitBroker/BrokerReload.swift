public import CrossbitCore
import Logging
import Synchronization

extension Broker {
    /// Reads the configuration again and applies it; a configuration that
    /// does not parse or check is logged and refused, and the running one stays.
    func reloadFromSource() async {
        guard let reloadSource else { return }
        notifier?.send(.reloading)
        defer { notifier?.send(.ready) }
        do {
            try await reload(reloadSource())
        } catch {
            logger.error("reload refused: \(error.message); the running configuration stays")
        }
    }

    /// Replaces the configured routes and the IDL by `configuration`'s, in
    /// one step: calls already routed finish on the routes they started on,
    /// routes registered at run time stay unless a configured route now
    /// takes their program and version, and activated servers of unchanged
    /// routes keep running. Endpoints and the other settings read at start
    /// are not changed (a warning names them). Throws, changing nothing,
    /// when the configuration or its IDL is unusable.
    public func reload(_ configuration: BrokerConfiguration) async throws(ConfigurationError) {
        let configured = try ConfiguredRouting(configuration)
        warnAboutSettingsNeedingRestart(configuration)
        var displaced: [ServerRoute] = []
        var replacement: Routing?
        let previous = routes.replace { current in
            let next = configured.routing(replacing: current, logger: logger) { displaced.append($0) }
            replacement = next
            return next
        }
        guard let replacement else { return }
        for route in displaced {
            logger.warning(
                "reload: a configured route takes \(route.program).\(route.version); the registered one is dropped",
                metadata: ["dropped": "\(route)"])
        }
        for server in previous.activator.retired(by: replacement.activator) {
            retiring.withLock { $0.append(Task { await server.retire() }) }
        }
        await updateRPCBind(from: previous.all, to: replacement.all)
        logger.info("reloaded: \(configured.summary)")
    }

    /// Registers the programs a reload added with rpcbind and unregisters those it removed.
    private func updateRPCBind(from old: [ServerRoute], to new: [ServerRoute]) async {
        let key = { (route: ServerRoute) in programVersionKey(route.program, route.version) }
        let oldKeys = Set(old.map(key)), newKeys = Set(new.map(key))
        for route in old where !newKeys.contains(key(route)) {
            await rpcbind?.unregister(program: route.program, version: route.version)
        }
        do {
            try await announce(new.filter { !oldKeys.contains(key($0)) })
        } catch {
            logger.warning("reload: cannot register a new route with rpcbind", metadata: ["error": "\(error)"])
        }
    }

    /// Warns about the settings a reload does not apply: what the broker
    /// binds, registers and enforces from start; they need a restart.
    private func warnAboutSettingsNeedingRestart(_ new: BrokerConfiguration) {
        let old = configuration
        var changed: [String] = []
        if old.listeners != new.listeners { changed.append("the [[listen]] endpoints") }
        if old.rpcbindLayout != new.rpcbindLayout { changed.append("rpcbind") }
        if old.control != new.control { changed.append("[control]") }
        if old.callTimeout != new.callTimeout { changed.append("call-timeout") }
        if old.logLevel != new.logLevel { changed.append("log-level") }
        if old.metricsURL != new.metricsURL { changed.append("metrics") }
        if old.serverOptions != new.serverOptions { changed.append("[limits]") }
        guard !changed.isEmpty else { return }
        let names = changed.joined(separator: ", ")
        logger.warning("reload: \(names) changed; that needs a restart of crossbitd, and the running values stay")
    }
}
