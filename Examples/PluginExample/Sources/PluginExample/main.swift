import CrossbitCore
import Synchronization

// `Inventory` (from inventory.x) is generated at build time by CrossbitIDLPlugin.

/// The server side: implement the generated protocol.
final class InventoryService: Inventory.InventoryV1Service {
    private let items = Mutex<[Inventory.Item]>([])

    func lookup(_ argument: String, context: RPCCallContext) async throws -> Inventory.LookupResult {
        items.withLock { items in
            items.first { $0.name == argument }.map { Inventory.LookupResult.value($0) }
                ?? .default(discriminant: 0)
        }
    }

    func add(_ argument: Inventory.Item, context: RPCCallContext) async throws -> UInt {
        items.withLock { items in
            items.append(argument)
            return UInt(items.count)
        }
    }
}

let dispatcher = Inventory.InventoryV1Dispatcher(service: InventoryService())
let item = Inventory.Item(name: "bolts", count: 12, owner: Handle(0xFFFF_FFFF_8000_0010), added: 1_700_000_000)

// LoopbackTransport hands calls to the dispatcher in this process, encoded in
// the layout a 32-bit or a 64-bit peer would use; CrossbitTransport's clients
// carry the same bytes over ONC RPC.
for layout in [WireLayout.ilp32, .lp64] {
    let client = Inventory.InventoryV1Client(transport: LoopbackTransport(layout: layout, dispatcher: dispatcher))
    let count = try await client.add(item)
    let found = try await client.lookup("bolts")
    print("\(layout): \(try item.xdrBytes(layout: layout).count) bytes per item, \(count) items, found \(found)")
}

// A value that does not fit a 32-bit peer is refused before it is sent.
do {
    let client = Inventory.InventoryV1Client(transport: LoopbackTransport(layout: .ilp32, dispatcher: dispatcher))
    var huge = item
    huge.count = 1 << 40
    _ = try await client.add(huge)
} catch {
    print("ilp32: \(error.code): \(error.message)")
}

let shelf = Inventory.Shelf(kind: .large, items: [item], next: Inventory.Shelf(kind: .small, items: [], next: nil))
let bytes = try shelf.xdrBytes(layout: .lp64)
print("a shelf list decodes to itself: \(try Inventory.Shelf(xdrBytes: bytes, layout: .lp64) == shelf)")
