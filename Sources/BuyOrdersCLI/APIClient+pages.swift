import Core

/// One page of a keyset-paged list (`{"rows":[…],"last_reference":…}`), and its body as it came.
struct RawPage: Sendable {
    let rows: [JSONValue]
    let lastReference: String?
    let body: [UInt8]
}

extension APIClient {
    /// The page of `path` after `reference` (nil: the first page).
    func page(
        _ service: Service, _ path: String, query: [(String, String?)], pageSize: Int, after reference: String?
    ) async throws -> RawPage {
        let (object, body) = try await getJSON(
            service, url(service, path, query: query + [("page_size", String(pageSize)), ("last_reference", reference)]))
        let last: String?
        switch object["last_reference"] {
        case .string(let text): last = text
        case .null: last = nil
        default: throw CLIFailure.unavailable("unexpected answer: \"last_reference\" is neither a string nor null")
        }
        return RawPage(rows: try object.array("rows"), lastReference: last, body: body)
    }

    /// Every page from the first, handing each to `body`, until `last_reference` is null or `body` says stop.
    func walk(
        _ service: Service, _ path: String, query: [(String, String?)], pageSize: Int,
        _ body: (RawPage) async throws -> Bool
    ) async throws {
        var reference: String?
        repeat {
            let page = try await page(service, path, query: query, pageSize: pageSize, after: reference)
            guard try await body(page) else { return }
            if page.lastReference != nil, page.lastReference == reference {
                throw CLIFailure.unavailable("unexpected answer: the page after \(reference!) points to itself")
            }
            reference = page.lastReference
        } while reference != nil
    }
}
