public import CrossbitCore

extension BrokerControl.BrokerLayout {
    /// The layout of the control program's enum.
    public init(_ layout: WireLayout) {
        switch layout {
        case .ilp32: self = .ilp32
        case .lp64: self = .lp64
        }
    }

    /// The runtime's layout of this enum value.
    public var wireLayout: WireLayout {
        switch self {
        case .ilp32: .ilp32
        case .lp64: .lp64
        }
    }
}
