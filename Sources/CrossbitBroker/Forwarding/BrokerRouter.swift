import CrossbitCore
import Logging

/// Routes every call that reaches a broker endpoint: finds the route of its
/// (program, version), converts the arguments from the caller's layout to
/// the server's, forwards them, and converts the result back.
final class BrokerRouter: RPCCompletionRouter {
    /// Read once per call: the call finishes on the routing it started on.
    let routes: RouteTable
    let forwarder: Forwarder
    let metrics: BrokerMetrics
    let logger: Logger

    init(routes: RouteTable, forwarder: Forwarder, metrics: BrokerMetrics, logger: Logger) {
        self.routes = routes
        self.forwarder = forwarder
        self.metrics = metrics
        self.logger = logger
    }

    /// A call on its way to its server: its route, plan and converted arguments.
    ///
    /// A class: the reply's closure holds it while the server works, and a
    /// route and a plan copied by value were a dozen retains and releases per call.
    private final class Forwarding: Sendable {
        let procedure: ProcedureID
        let route: ServerRoute
        /// The route's server when the broker starts it (activation).
        let activated: ActivatedServer?
        let plan: ProcedurePlan
        let callerLayout: WireLayout
        let converts: Bool
        let arguments: [UInt8]
        let receivedCount: Int
        let start: ContinuousClock.Instant
        /// The route's metrics, counted from ``BrokerMetrics/recordStart(route:)`` on.
        let series: BrokerMetrics.RouteSeries

        init(
            procedure: ProcedureID, route: ServerRoute, activated: ActivatedServer?, plan: ProcedurePlan,
            callerLayout: WireLayout, converts: Bool, arguments: [UInt8], receivedCount: Int,
            start: ContinuousClock.Instant, series: BrokerMetrics.RouteSeries
        ) {
            self.procedure = procedure
            self.route = route
            self.activated = activated
            self.plan = plan
            self.callerLayout = callerLayout
            self.converts = converts
            self.arguments = arguments
            self.receivedCount = receivedCount
            self.start = start
            self.series = series
        }
    }

    nonisolated(nonsending) func route(
        _ procedure: ProcedureID, arguments: [UInt8], context: RPCCallContext
    ) async throws(RPCError) -> [UInt8] {
        try await forward(try prepare(procedure, arguments, context), context: context).get()
    }

    /// The broker's usual path: no task per call. The call is converted and
    /// sent on from the thread it arrived on, and the server's reply is
    /// converted and answered from the same thread as it is read. A call
    /// whose server may have to be started first takes the task path.
    func route(
        _ procedure: ProcedureID, arguments: [UInt8], context: RPCCallContext,
        completion: @escaping @Sendable (Result<[UInt8], RPCError>) -> Void
    ) {
        let forwarding: Forwarding
        do {
            forwarding = try prepare(procedure, arguments, context)
        } catch {
            return completion(.failure(error))
        }
        guard forwarding.activated == nil else {
            Task.immediate(executorPreference: context.executor) {
                completion(await self.forward(forwarding, context: context))
            }
            return
        }
        forwarder.forward(procedure, arguments: forwarding.arguments, to: forwarding.route, context: context) { reply in
            completion(self.finish(forwarding, reply: reply))
        }
    }

    /// Finds the call's route and plan and converts its arguments.
    private func prepare(
        _ procedure: ProcedureID, _ arguments: [UInt8], _ context: RPCCallContext
    ) throws(RPCError) -> Forwarding {
        let start = ContinuousClock.now
        let routing = routes.current
        let route: ServerRoute
        // Named only for a call that is refused: a refusal is rare, and the name costs a lookup and a string.
        var name: String { routing.catalog.displayName(program: procedure.program, version: procedure.version) }
        switch routing.lookup(program: procedure.program, version: procedure.version) {
        case .found(let found):
            route = found
        case .programUnavailable:
            logger.notice("no route: PROG_UNAVAIL", metadata: ["call": "\(procedure)"])
            throw failure(.programUnavailable, "program \(procedure.program) is not routed", .programUnavailable, name)
        case .versionMismatch(let low, let high):
            logger.notice(
                "no route for this version: PROG_MISMATCH",
                metadata: ["call": "\(procedure)", "versions": "\(low)...\(high)"])
            var error = failure(
                .programMismatch, "program \(procedure.program) is routed for versions \(low) to \(high)",
                .programMismatch, name)
            error.supportedVersions = low...high
            throw error
        }
        let plan = routing.catalog.plan(
            program: procedure.program, version: procedure.version, procedure: procedure.procedure)
        guard let plan else {
            logger.notice("unknown procedure: PROC_UNAVAIL", metadata: ["call": "\(procedure)"])
            throw failure(
                .procedureUnavailable, "procedure \(procedure) is not in the IDL", .procedureUnavailable, name)
        }
        try authorize(context.peer, plan, route)
        let converts = plan.converts(from: context.layout, to: route.layout)
        let call = try carry(arguments, plan, procedure, from: context.layout, to: route.layout, route.policy)
        logger.trace(
            "forwarding",
            metadata: [
                "call": "\(plan.program).\(plan.version).\(plan.name)",
                "from": "\(context.layout)", "to": "\(route.layout)@\(route.url)", "converted": "\(converts)",
            ])
        return Forwarding(
            procedure: procedure, route: route, activated: routing.activator.server(for: route), plan: plan,
            callerLayout: context.layout, converts: converts,
            arguments: call, receivedCount: arguments.count, start: start,
            series: metrics.recordStart(route: plan.routeName))
    }

    /// Refuses a caller the route's access rule does not let in: AUTH_TOOWEAK,
    /// and the server never hears of the call.
    private func authorize(_ peer: RPCPeer, _ plan: ProcedurePlan, _ route: ServerRoute) throws(RPCError) {
        guard !route.policy.access.allows(peer) else { return }
        logger.warning(
            "call denied: the route does not let this peer in",
            metadata: [
                "peer": "\(peer)", "call": "\(plan.program).\(plan.version).\(plan.name)",
                "allowed": "\(route.policy.access)",
            ])
        metrics.recordDenial(.call)
        throw RPCError(code: .authenticationError, message: "\(peer) may not call \(plan.program).\(plan.version)")
    }

    /// Forwards a prepared call, starting its server first when the broker activates it.
    private func forward(_ forwarding: Forwarding, context: RPCCallContext) async -> Result<[UInt8], RPCError> {
        let activated = forwarding.activated
        do {
            try await activated?.prepareCall()
        } catch {
            metrics.recordEnd(forwarding.series)
            return .failure(forwardingFailure(error, forwarding.procedure, forwarding.route, forwarding.plan))
        }
        defer { activated?.callFinished() }
        let reply: Result<[UInt8], RPCError>
        do {
            reply = .success(
                try await forwarder.forward(
                    forwarding.procedure, arguments: forwarding.arguments, to: forwarding.route, context: context))
        } catch {
            reply = .failure(error)
        }
        return finish(forwarding, reply: reply)
    }

    /// The caller's result from the server's reply: converted back, counted.
    private func finish(_ forwarding: Forwarding, reply: Result<[UInt8], RPCError>) -> Result<[UInt8], RPCError> {
        metrics.recordEnd(forwarding.series)
        let result: [UInt8]
        do throws(RPCError) {
            let reply = try reply.mapError {
                forwardingFailure($0, forwarding.procedure, forwarding.route, forwarding.plan)
            }.get()
            result = try carry(
                reply, forwarding.plan, forwarding.procedure,
                from: forwarding.route.layout, to: forwarding.callerLayout, forwarding.route.policy, isResult: true)
        } catch {
            return .failure(error)
        }
        metrics.recordCall(
            forwarding.series, converted: forwarding.converts,
            bytesIn: forwarding.receivedCount, bytesOut: result.count,
            duration: ContinuousClock.now - forwarding.start)
        return .success(result)
    }

    /// Checks arguments or a result, and converts them where the layouts
    /// differ; drops and counts the bytes after the value unless the route
    /// refuses them. Failures become the reply the caller gets.
    private func carry(
        _ bytes: [UInt8], _ plan: ProcedurePlan, _ procedure: ProcedureID,
        from source: WireLayout, to target: WireLayout, _ policy: RoutePolicy, isResult: Bool = false
    ) throws(RPCError) -> [UInt8] {
        do throws(XDRError) {
            let carried =
                isResult
                ? try plan.carryResult(bytes, from: source, to: target, checks: policy.checks)
                : try plan.carryArguments(bytes, from: source, to: target, checks: policy.checks)
            guard carried.trailingBytes > 0 else { return carried.bytes }
            // Arguments that are whole in the other layout are not a word a legacy peer appended but a caller
            // of the wrong layout, whose values would be misread (an LP64 size_t's high word taken for it).
            let wrongLayout = !isResult && Self.layoutHint(bytes, plan, endpoint: source) != nil
            guard policy.trailingBytes == .ignore, !wrongLayout else {
                let count = carried.trailingBytes
                throw XDRError(.trailingBytes(count: count), offset: bytes.count - count)
            }
            metrics.recordTrailingBytes()
            logger.debug(
                "ignored bytes after a value",
                metadata: [
                    "call": "\(procedure)", "what": "\(isResult ? "result" : "arguments")",
                    "bytes": "\(carried.trailingBytes)",
                ])
            return carried.bytes
        } catch {
            throw carryFailure(error, plan, procedure, from: source, to: target, isResult: isResult, bytes: bytes)
        }
    }

    /// The error a caller gets for a value that did not carry (`bytes`), logged and counted.
    private func carryFailure(
        _ error: XDRError, _ plan: ProcedurePlan, _ procedure: ProcedureID,
        from source: WireLayout, to target: WireLayout, isResult: Bool, bytes: [UInt8]
    ) -> RPCError {
        let metadata: Logger.Metadata = [
            "program": "\(plan.program)", "version": "\(plan.version)", "procedure": "\(plan.name)",
            "call": "\(procedure)", "path": "\(error.pathDescription)", "from": "\(source)", "to": "\(target)",
        ]
        if case .narrowingOverflow(_, let value, _) = error.kind {
            logger.error(
                "\(isResult ? "result" : "argument") does not fit the \(target) layout: SYSTEM_ERR",
                metadata: metadata.merging(["value": "\(value)"]) { $1 })
            return failure(.systemError, "\(plan.routeName).\(plan.name): \(error)", .narrowing, plan.routeName)
        }
        metrics.recordInvalidMessage()
        if isResult {
            logger.error(
                "the server's result is not valid: SYSTEM_ERR",
                metadata: metadata.merging(["error": "\(error)"]) { $1 })
            return failure(.systemError, "result of \(plan.name): \(error)", .systemError, plan.routeName)
        }
        let hint = Self.layoutHint(bytes, plan, endpoint: source).map { "; \($0)" } ?? ""
        logger.notice(
            "arguments are not valid: GARBAGE_ARGS\(hint)", metadata: metadata.merging(["error": "\(error)"]) { $1 })
        return failure(
            .garbageArguments, "arguments of \(plan.name): \(error)\(hint)", .garbageArguments, plan.routeName)
    }

    /// "they decode in the lp64 layout: this looks like an LP64 caller on an
    /// ILP32 endpoint" when arguments that did not decode in the layout of the
    /// endpoint they reached decode whole in the other; nil otherwise.
    static func layoutHint(_ arguments: [UInt8], _ plan: ProcedurePlan, endpoint: WireLayout) -> String? {
        // Read and written in the same layout: a check that never narrows.
        guard let carried = try? plan.carryArguments(arguments, from: endpoint.other, to: endpoint.other),
            carried.trailingBytes == 0
        else { return nil }
        return "they decode in the \(endpoint.other) layout: "
            + WireLayout.mismatchHint(caller: endpoint.other, endpoint: endpoint)
    }

    /// The reply for a call the server did not answer with a result: its own
    /// reply error where there is one, SYSTEM_ERR for a dead or slow server.
    private func forwardingFailure(
        _ error: RPCError, _ procedure: ProcedureID, _ route: ServerRoute, _ plan: ProcedurePlan
    ) -> RPCError {
        let kind: BrokerMetrics.Failure
        switch error.code {
        case .programUnavailable: kind = .programUnavailable
        case .programMismatch: kind = .programMismatch
        case .procedureUnavailable: kind = .procedureUnavailable
        case .garbageArguments: kind = .garbageArguments
        default:
            logger.warning(
                "server failed: SYSTEM_ERR",
                metadata: [
                    "call": "\(procedure)", "server": "\(route.layout)@\(route.url)", "error": "\(error)",
                ])
            metrics.recordFailure(.systemError, route: plan.routeName)
            return RPCError(code: .systemError, message: "server \(route.url): \(error.message)", cause: error)
        }
        logger.notice("server replied \(error.code)", metadata: ["call": "\(procedure)", "server": "\(route.url)"])
        metrics.recordFailure(kind, route: plan.routeName)
        return error
    }

    private func failure(
        _ code: RPCError.Code, _ message: String, _ kind: BrokerMetrics.Failure, _ route: String
    ) -> RPCError {
        metrics.recordFailure(kind, route: route)
        return RPCError(code: code, message: message)
    }
}
