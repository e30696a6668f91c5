import CrossbitBroker
import FoundationEssentials
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import Prometheus
import ServiceLifecycle

/// Serves the broker's metrics in Prometheus's text format at one URL
/// (`--metrics http://127.0.0.1:9464/metrics`): a GET of its path answers
/// the registry's series, another path 404, another method 405. HTTP is
/// SwiftNIO's (NIOHTTP1); nothing here parses it.
final class MetricsEndpoint: Service {
    let host: String
    let port: Int
    let path: String
    private let registry: PrometheusCollectorRegistry
    /// Called before each scrape to set the gauges read at that moment.
    private let refresh: @Sendable () -> Void
    private let logger: Logger

    /// An endpoint for `url`: `http://HOST:PORT/PATH` (PATH `/metrics` when left out).
    init(
        url text: String, registry: PrometheusCollectorRegistry, logger: Logger,
        refresh: @escaping @Sendable () -> Void
    ) throws(ConfigurationError) {
        guard let url = URL(string: text), url.scheme == "http", let host = url.host, let port = url.port,
            url.query == nil, url.user == nil
        else {
            throw ConfigurationError(
                "metrics '\(text)': expected http://HOST:PORT/PATH, e.g. http://127.0.0.1:9464/metrics")
        }
        self.host = host
        self.port = port
        path = url.path.isEmpty ? "/metrics" : url.path
        self.registry = registry
        self.refresh = refresh
        self.logger = logger
    }

    /// Listens until a graceful shutdown.
    func run() async throws {
        let (path, registry, refresh) = (self.path, self.registry, self.refresh)
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    try channel.pipeline.syncOperations.addHandler(
                        MetricsHandler(path: path, registry: registry, refresh: refresh))
                }
            }
            .bind(host: host, port: port).get()
        logger.info("metrics at http://\(host):\(channel.localAddress?.port ?? port)\(path)")
        try? await gracefulShutdown()
        try await channel.close()
    }
}

/// Answers one HTTP request at a time on a connection.
private final class MetricsHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    let path: String
    let registry: PrometheusCollectorRegistry
    let refresh: @Sendable () -> Void
    private var request: HTTPRequestHead?

    init(path: String, registry: PrometheusCollectorRegistry, refresh: @escaping @Sendable () -> Void) {
        self.path = path
        self.registry = registry
        self.refresh = refresh
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head): request = head
        case .body: break
        case .end:
            guard let head = request else { return }
            request = nil
            respond(to: head, context: context)
        }
    }

    private func respond(to head: HTTPRequestHead, context: ChannelHandlerContext) {
        let status: HTTPResponseStatus
        var body: [UInt8]
        if head.uri.split(separator: "?", maxSplits: 1).first.map(String.init) != path {
            (status, body) = (.notFound, Array("not found: metrics are at \(path)\n".utf8))
        } else if head.method != .GET && head.method != .HEAD {
            (status, body) = (.methodNotAllowed, Array("use GET\n".utf8))
        } else {
            refresh()
            (status, body) = (.ok, registry.emitToBuffer())
        }
        var headers = HTTPHeaders()
        let type = status == .ok ? "text/plain; version=0.0.4; charset=utf-8" : "text/plain; charset=utf-8"
        headers.add(name: "Content-Type", value: type)
        headers.add(name: "Content-Length", value: "\(body.count)")
        if head.method == .HEAD { body = [] }
        context.write(
            wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: status, headers: headers))),
            promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(bytes: body)))), promise: nil)
        let done = context.writeAndFlush(wrapOutboundOut(.end(nil)))
        guard !head.isKeepAlive else { return }
        let bound = NIOLoopBound(context, eventLoop: context.eventLoop)
        done.whenComplete { _ in bound.value.close(promise: nil) }
    }
}
