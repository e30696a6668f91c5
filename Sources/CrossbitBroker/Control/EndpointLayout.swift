import CrossbitBrokerControl
import CrossbitCore

extension ControlService {
    /// BROKER_LAYOUT: the layout of the endpoint the call arrived on, so that
    /// a client can learn what to speak before it sends anything it could
    /// get wrong (a reply in the control program's types reads the same in
    /// both layouts).
    func layout(context: RPCCallContext) async throws -> BrokerControl.BrokerLayout {
        BrokerControl.BrokerLayout(context.layout)
    }
}
