/// A place in the stream of projected orders: the id of the read-model transaction that projected an
/// order, then the order's sequence in that transaction (migration 0011). Positions grow with each
/// order a reader may see: it reads only orders whose transaction is older than every transaction still
/// running, so no order can later appear before a position already handed out.
///
/// Clients see it as the SSE `id:` (`<xid>-<sequence>`, opaque to them) and send it back in
/// `Last-Event-ID`.
struct StreamPosition: Sendable, Hashable, Comparable, CustomStringConvertible {
    var xid: UInt64
    var sequence: Int64

    /// Before every order the horizon `xid` (the oldest running transaction) has not settled.
    init(horizon xid: UInt64) {
        self.init(xid: xid, sequence: 0)
    }

    init(xid: UInt64, sequence: Int64) {
        self.xid = xid
        self.sequence = sequence
    }

    /// `<xid>-<sequence>`, both decimal; nil for anything else.
    init?(text: some StringProtocol) {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 2, parts.allSatisfy({ !$0.isEmpty && $0.utf8.count <= 20 && $0.utf8.allSatisfy { (0x30...0x39).contains($0) } }),
            let xid = UInt64(parts[0]), let sequence = Int64(parts[1])
        else { return nil }
        self.init(xid: xid, sequence: sequence)
    }

    var description: String { "\(xid)-\(sequence)" }

    static func < (lhs: StreamPosition, rhs: StreamPosition) -> Bool {
        (lhs.xid, lhs.sequence) < (rhs.xid, rhs.sequence)
    }
}
