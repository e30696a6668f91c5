// The processes, C peers and sample service shared by the test targets.
@_exported import CrossbitTestSupport
