import CrossbitDynamic
import Testing

@Suite struct JSONTests {
    @Test func parsesExactNumbers() throws {
        #expect(try JSONValue(parsing: "18446744073709551615") == .number("18446744073709551615"))
    }
}
