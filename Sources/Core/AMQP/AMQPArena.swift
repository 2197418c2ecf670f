import CRabbitMQ

/// C memory for the strings and tables of outgoing methods, freed all at once in `deinit`.
/// Keep it alive until the rabbitmq-c call that reads them has returned.
package final class AMQPArena {
    private let pool: UnsafeMutablePointer<amqp_pool_t>

    package init() {
        pool = .allocate(capacity: 1)
        init_amqp_pool(pool, 4096)
    }

    deinit {
        empty_amqp_pool(pool)
        pool.deallocate()
    }

    package func bytes(_ string: String) throws -> amqp_bytes_t {
        try bytes(Array(string.utf8))
    }

    func bytes(_ data: [UInt8]) throws -> amqp_bytes_t {
        guard !data.isEmpty else { return amqp_bytes_t(len: 0, bytes: nil) }
        let memory = try allocate(data.count)
        data.withUnsafeBytes { memory.copyMemory(from: $0.baseAddress!, byteCount: data.count) }
        return amqp_bytes_t(len: data.count, bytes: memory)
    }

    func table(_ fields: [String: AMQPFieldValue]) throws -> amqp_table_t {
        guard !fields.isEmpty else { return amqp_table_t(num_entries: 0, entries: nil) }
        let entries = try allocate(MemoryLayout<amqp_table_entry_t>.stride * fields.count)
            .bindMemory(to: amqp_table_entry_t.self, capacity: fields.count)
        for (index, (key, value)) in fields.sorted(by: { $0.key < $1.key }).enumerated() {
            (entries + index).initialize(to: amqp_table_entry_t(key: try bytes(key), value: try field(value)))
        }
        return amqp_table_t(num_entries: Int32(fields.count), entries: entries)
    }

    private func field(_ value: AMQPFieldValue) throws -> amqp_field_value_t {
        var field = amqp_field_value_t()
        switch value {
        case .string(let text):
            field.kind = kind(AMQP_FIELD_KIND_UTF8)
            field.value.bytes = try bytes(text)
        case .integer(let number):
            field.kind = kind(AMQP_FIELD_KIND_I64)
            field.value.i64 = number
        case .boolean(let flag):
            field.kind = kind(AMQP_FIELD_KIND_BOOLEAN)
            field.value.boolean = flag ? 1 : 0
        case .bytes(let data):
            field.kind = kind(AMQP_FIELD_KIND_BYTES)
            field.value.bytes = try bytes(data)
        case .timestamp(let seconds):
            field.kind = kind(AMQP_FIELD_KIND_TIMESTAMP)
            field.value.u64 = seconds
        case .array(let values):
            field.kind = kind(AMQP_FIELD_KIND_ARRAY)
            field.value.array = try array(values)
        case .table(let fields):
            field.kind = kind(AMQP_FIELD_KIND_TABLE)
            field.value.table = try table(fields)
        case .void:
            field.kind = kind(AMQP_FIELD_KIND_VOID)
        }
        return field
    }

    private func array(_ values: [AMQPFieldValue]) throws -> amqp_array_t {
        guard !values.isEmpty else { return amqp_array_t(num_entries: 0, entries: nil) }
        let entries = try allocate(MemoryLayout<amqp_field_value_t>.stride * values.count)
            .bindMemory(to: amqp_field_value_t.self, capacity: values.count)
        for (index, value) in values.enumerated() {
            (entries + index).initialize(to: try field(value))
        }
        return amqp_array_t(num_entries: Int32(values.count), entries: entries)
    }

    private func allocate(_ count: Int) throws -> UnsafeMutableRawPointer {
        guard let memory = amqp_pool_alloc(pool, count) else {
            throw AMQPError(.protocolError, message: "out of memory")
        }
        return memory
    }

    private func kind(_ kind: amqp_field_value_kind_t) -> UInt8 { UInt8(kind.rawValue) }
}

// MARK: - Decoding

extension String {
    /// The bytes as UTF-8 (invalid sequences replaced).
    init(_ bytes: amqp_bytes_t) {
        guard bytes.len > 0, let start = bytes.bytes else {
            self = ""
            return
        }
        self = String(decoding: UnsafeRawBufferPointer(start: start, count: bytes.len), as: UTF8.self)
    }
}

extension Array where Element == UInt8 {
    init(_ bytes: amqp_bytes_t) {
        guard bytes.len > 0, let start = bytes.bytes else {
            self = []
            return
        }
        self = Array(UnsafeRawBufferPointer(start: start, count: bytes.len))
    }
}

enum AMQPFieldTable {
    static func decode(_ table: amqp_table_t) -> [String: AMQPFieldValue] {
        var fields: [String: AMQPFieldValue] = [:]
        for index in 0..<Int(table.num_entries) {
            let entry = table.entries[index]
            if let value = decode(entry.value) {
                fields[String(entry.key)] = value
            }
        }
        return fields
    }

    static func decode(_ field: amqp_field_value_t) -> AMQPFieldValue? {
        switch amqp_field_value_kind_t(UInt32(field.kind)) {
        case AMQP_FIELD_KIND_UTF8: return .string(String(field.value.bytes))
        case AMQP_FIELD_KIND_BYTES: return .bytes([UInt8](field.value.bytes))
        case AMQP_FIELD_KIND_BOOLEAN: return .boolean(field.value.boolean != 0)
        case AMQP_FIELD_KIND_I8: return .integer(Int64(field.value.i8))
        case AMQP_FIELD_KIND_U8: return .integer(Int64(field.value.u8))
        case AMQP_FIELD_KIND_I16: return .integer(Int64(field.value.i16))
        case AMQP_FIELD_KIND_U16: return .integer(Int64(field.value.u16))
        case AMQP_FIELD_KIND_I32: return .integer(Int64(field.value.i32))
        case AMQP_FIELD_KIND_U32: return .integer(Int64(field.value.u32))
        case AMQP_FIELD_KIND_I64: return .integer(field.value.i64)
        case AMQP_FIELD_KIND_U64: return Int64(exactly: field.value.u64).map { .integer($0) }
        case AMQP_FIELD_KIND_TIMESTAMP: return .timestamp(field.value.u64)
        case AMQP_FIELD_KIND_VOID: return .void
        case AMQP_FIELD_KIND_TABLE: return .table(decode(field.value.table))
        case AMQP_FIELD_KIND_ARRAY:
            let array = field.value.array
            return .array((0..<Int(array.num_entries)).compactMap { decode(array.entries[$0]) })
        default: return nil
        }
    }
}
