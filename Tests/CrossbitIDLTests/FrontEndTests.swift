import CrossbitIDL
import Testing

@Suite struct FrontEndTests {}
