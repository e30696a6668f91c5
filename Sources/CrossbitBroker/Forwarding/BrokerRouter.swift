import CrossbitCore
import Logging

/// Routes every call that reaches a broker endpoint: finds the route of its
/// (program, version), converts the arguments from the caller's layout to
/// the server's, forwards them, and converts the result back.
final class BrokerRouter: RPCCallRouter {
    let routes: RouteTable
    let catalog: IDLCatalog
    let forwarder: Forwarder
    let activator: Activator
    let metrics: BrokerMetrics
    let logger: Logger

    init(
        routes: RouteTable, catalog: IDLCatalog, forwarder: Forwarder, activator: Activator, metrics: BrokerMetrics,
        logger: Logger
    ) {
        self.routes = routes
        self.catalog = catalog
        self.forwarder = forwarder
        self.activator = activator
        self.metrics = metrics
        self.logger = logger
    }

    func route(
        _ procedure: ProcedureID, arguments: [UInt8], context: RPCCallContext
    ) async throws(RPCError) -> [UInt8] {
        let start = ContinuousClock.now
        let route: ServerRoute
        switch routes.lookup(program: procedure.program, version: procedure.version) {
        case .found(let found):
            route = found
        case .programUnavailable:
            logger.notice("no route: PROG_UNAVAIL", metadata: ["call": "\(procedure)"])
            throw failure(.programUnavailable, "program \(procedure.program) is not routed", .programUnavailable)
        case .versionMismatch(let low, let high):
            logger.notice("no route for this version: PROG_MISMATCH", metadata: ["call": "\(procedure)", "versions": "\(low)...\(high)"])
            var error = failure(.programMismatch, "program \(procedure.program) is routed for versions \(low) to \(high)", .programMismatch)
            error.supportedVersions = low...high
            throw error
        }
        let plan = catalog.plan(program: procedure.program, version: procedure.version, procedure: procedure.procedure)
        guard let plan else {
            logger.notice("unknown procedure: PROC_UNAVAIL", metadata: ["call": "\(procedure)"])
            throw failure(.procedureUnavailable, "procedure \(procedure) is not in the IDL", .procedureUnavailable)
        }
        let converts = context.layout != route.layout && !plan.passesThrough
        let call = converts ? try convert(arguments, plan, procedure, from: context.layout, to: route.layout) : arguments
        logger.trace("forwarding", metadata: [
            "call": "\(plan.program).\(plan.version).\(plan.name)",
            "from": "\(context.layout)", "to": "\(route.layout)@\(route.url)", "converted": "\(converts)",
        ])
        let reply: [UInt8]
        let activated = activator.server(for: route)
        do {
            try await activated?.prepareCall()
        } catch {
            throw forwardingFailure(error, procedure, route)
        }
        defer { activated?.callFinished() }
        do {
            reply = try await forwarder.forward(procedure, arguments: call, to: route, context: context)
        } catch {
            throw forwardingFailure(error, procedure, route)
        }
        let result = converts ? try convert(reply, plan, procedure, from: route.layout, to: context.layout, isResult: true) : reply
        metrics.recordCall(
            converted: converts, bytesIn: arguments.count, bytesOut: result.count, duration: ContinuousClock.now - start)
        return result
    }

    /// The call stays on the thread of the connection it arrived on, which
    /// also reads its server's reply (the forwarding client lives there),
    /// converts the result and sends it on: no thread switch per call.
    func preferredExecutor(for procedure: ProcedureID, context: RPCCallContext) -> (any TaskExecutor)? {
        context.executor
    }

    /// Converts arguments or a result; failures become the reply the caller gets.
    private func convert(
        _ bytes: [UInt8], _ plan: ProcedurePlan, _ procedure: ProcedureID,
        from source: WireLayout, to target: WireLayout, isResult: Bool = false
    ) throws(RPCError) -> [UInt8] {
        do {
            return isResult
                ? try plan.convertResult(bytes, from: source, to: target)
                : try plan.convertArguments(bytes, from: source, to: target)
        } catch {
            let metadata: Logger.Metadata = [
                "program": "\(plan.program)", "version": "\(plan.version)", "procedure": "\(plan.name)",
                "call": "\(procedure)", "path": "\(error.pathDescription)", "from": "\(source)", "to": "\(target)",
            ]
            if case .narrowingOverflow(_, let value, _) = error.kind {
                logger.error(
                    "\(isResult ? "result" : "argument") does not fit the \(target) layout: SYSTEM_ERR",
                    metadata: metadata.merging(["value": "\(value)"]) { $1 })
                throw failure(.systemError, "\(plan.program).\(plan.version).\(plan.name): \(error)", .narrowing)
            }
            if isResult {
                logger.error("the server's result does not decode: SYSTEM_ERR", metadata: metadata.merging(["error": "\(error)"]) { $1 })
                throw failure(.systemError, "result of \(plan.name): \(error)", .systemError)
            }
            logger.notice("arguments do not decode: GARBAGE_ARGS", metadata: metadata.merging(["error": "\(error)"]) { $1 })
            throw failure(.garbageArguments, "arguments of \(plan.name): \(error)", .garbageArguments)
        }
    }

    /// The reply for a call the server did not answer with a result: its own
    /// reply error where there is one, SYSTEM_ERR for a dead or slow server.
    private func forwardingFailure(_ error: RPCError, _ procedure: ProcedureID, _ route: ServerRoute) -> RPCError {
        let kind: BrokerMetrics.Failure
        switch error.code {
        case .programUnavailable: kind = .programUnavailable
        case .programMismatch: kind = .programMismatch
        case .procedureUnavailable: kind = .procedureUnavailable
        case .garbageArguments: kind = .garbageArguments
        default:
            logger.warning("server failed: SYSTEM_ERR", metadata: [
                "call": "\(procedure)", "server": "\(route.layout)@\(route.url)", "error": "\(error)",
            ])
            metrics.recordFailure(.systemError)
            return RPCError(code: .systemError, message: "server \(route.url): \(error.message)", cause: error)
        }
        logger.notice("server replied \(error.code)", metadata: ["call": "\(procedure)", "server": "\(route.url)"])
        metrics.recordFailure(kind)
        return error
    }

    private func failure(_ code: RPCError.Code, _ message: String, _ kind: BrokerMetrics.Failure) -> RPCError {
        metrics.recordFailure(kind)
        return RPCError(code: code, message: message)
    }
}
