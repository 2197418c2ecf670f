/// The rows of one result, copied out of libpq in text form.
public struct PostgresRows: Sendable, Sequence {
    public let columns: [String]
    public let values: [[String?]]
    /// Rows touched by INSERT, UPDATE or DELETE.
    public let affectedRows: Int

    public var count: Int { values.count }
    public var isEmpty: Bool { values.isEmpty }
    public var first: PostgresRow? { values.first.map { PostgresRow(columns: columns, values: $0) } }

    public func makeIterator() -> some IteratorProtocol<PostgresRow> {
        values.lazy.map { PostgresRow(columns: columns, values: $0) }.makeIterator()
    }
}

/// One row; columns are read by name.
public struct PostgresRow: Sendable {
    let columns: [String]
    let values: [String?]

    /// The text of a column, nil for NULL. Reading a column the query does not return is a programming error.
    public subscript(_ column: String) -> String? {
        guard let index = columns.firstIndex(of: column) else {
            preconditionFailure("no column \(column) in \(columns)")
        }
        return values[index]
    }

    /// The text of a column that cannot be NULL.
    public func text(_ column: String) throws -> String {
        guard let value = self[column] else {
            throw PostgresError(code: .other, message: "column \(column) is NULL")
        }
        return value
    }

    public func int(_ column: String) throws -> Int64 {
        let value = try text(column)
        guard let number = Int64(value) else {
            throw PostgresError(code: .other, message: "column \(column) is not an integer: \(value)")
        }
        return number
    }
}
