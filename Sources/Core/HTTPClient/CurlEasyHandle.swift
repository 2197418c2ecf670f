import CCurl
import Synchronization

/// One libcurl easy handle and the buffers its callbacks fill. The handle keeps its connections alive
/// between requests, so reusing the object reuses them.
///
/// `@unchecked Sendable` because it crosses into `ResourcePool`'s threads: the pool hands it to one
/// checked-out user at a time, and nothing else holds it.
final class CurlEasyHandle: @unchecked Sendable {
    private let handle: UnsafeMutableRawPointer
    private let errorBuffer: UnsafeMutablePointer<CChar>
    /// The request headers; curl reads them during `perform`, so they live as long as the handle uses them.
    private var headerList: UnsafeMutablePointer<curl_slist>?
    private let maxResponseSize: Int

    // MARK: State of the transfer in progress, written by curl's callbacks on the performing thread

    private var body: [UInt8] = []
    private var headers: [HTTPClientResponse.Header] = []
    private var exceededMaxSize = false
    private var cancellation: CancellationFlag?
    private var stream: StreamingTransfer?
    /// The status of a streamed response, read when its first body bytes arrive.
    private var streamStatus: Int?
    private let timeout: Duration

    init(configuration: HTTPClientConfiguration) throws(HTTPClientError) {
        try Curl.globalInit.get()
        guard let handle = curl_easy_init() else { throw .invalidRequest("curl_easy_init failed") }
        self.handle = handle
        self.errorBuffer = .allocate(capacity: Int(CURL_ERROR_SIZE))
        errorBuffer.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE))
        self.maxResponseSize = configuration.maxResponseSize
        self.timeout = configuration.timeout
        try configure(configuration)
    }

    deinit {
        curl_easy_cleanup(handle)
        curl_slist_free_all(headerList)
        errorBuffer.deallocate()
    }

    /// Options that hold for every request on this handle.
    private func configure(_ configuration: HTTPClientConfiguration) throws(HTTPClientError) {
        let this = Unmanaged.passUnretained(self).toOpaque()
        try set(CURLOPT_NOSIGNAL, 1)
        try set(CURLOPT_ERRORBUFFER, UnsafeRawPointer(errorBuffer))
        try set(CURLOPT_CONNECTTIMEOUT_MS, configuration.connectTimeout.wholeMilliseconds)
        try set(CURLOPT_TIMEOUT_MS, configuration.timeout.wholeMilliseconds)
        try set(CURLOPT_SSL_VERIFYPEER, 1)
        try set(CURLOPT_SSL_VERIFYHOST, 2)
        try set(CURLOPT_PROTOCOLS_STR, "http,https")
        try set(CURLOPT_FOLLOWLOCATION, configuration.followRedirects ? 1 : 0)
        if configuration.followRedirects {
            try set(CURLOPT_MAXREDIRS, 5)
            try set(CURLOPT_REDIR_PROTOCOLS_STR, "http,https")
        }
        try set(CURLOPT_USERAGENT, configuration.userAgent)
        try check(ccurl_easy_setopt_off_t(handle, CURLOPT_MAXFILESIZE_LARGE, curl_off_t(configuration.maxResponseSize)))
        try check(
            ccurl_easy_setopt_write(handle, CURLOPT_WRITEFUNCTION) { data, size, count, this in
                Unmanaged<CurlEasyHandle>.fromOpaque(this!).takeUnretainedValue().received(body: data, size * count)
            })
        try set(CURLOPT_WRITEDATA, UnsafeRawPointer(this))
        try check(
            ccurl_easy_setopt_write(handle, CURLOPT_HEADERFUNCTION) { data, size, count, this in
                Unmanaged<CurlEasyHandle>.fromOpaque(this!).takeUnretainedValue().received(header: data, size * count)
            })
        try set(CURLOPT_HEADERDATA, UnsafeRawPointer(this))
        try check(
            ccurl_easy_setopt_xferinfo(handle, CURLOPT_XFERINFOFUNCTION) { this, _, _, _, _ in
                Unmanaged<CurlEasyHandle>.fromOpaque(this!).takeUnretainedValue().shouldContinue() ? 0 : 1
            })
        try set(CURLOPT_XFERINFODATA, UnsafeRawPointer(this))
        try set(CURLOPT_NOPROGRESS, 0)
    }

    /// Performs `request`, blocking this thread until the response is complete or the transfer fails.
    /// Throws `HTTPClientError`, or `CancellationError` once `cancellation` is set.
    func perform(_ request: HTTPClientRequest, cancellation: CancellationFlag) throws -> HTTPClientResponse {
        try perform(request, stream: nil, cancellation: cancellation)
    }

    /// Performs `request` as a stream: while the status is 2xx, body bytes go to `stream.receive` as they
    /// arrive (on this thread), and the returned response has an empty body; any other status keeps its
    /// body in the response. No total timeout: the transfer fails once no byte arrived for
    /// `stream.idleTimeout`, and ends when the server ends the response.
    func perform(
        _ request: HTTPClientRequest, stream: StreamingTransfer?, cancellation: CancellationFlag
    ) throws -> HTTPClientResponse {
        body.removeAll(keepingCapacity: true)
        headers.removeAll()
        exceededMaxSize = false
        streamStatus = nil
        errorBuffer[0] = 0
        self.cancellation = cancellation
        self.stream = stream
        defer {
            self.cancellation = nil
            self.stream = nil
        }

        try setMethod(request)
        try set(CURLOPT_URL, request.url)
        var requestHeaders = request.headers
        // curl would otherwise wait up to a second for a `100 Continue` before sending a larger body.
        if request.method != .get { requestHeaders["Expect"] = requestHeaders["Expect"] ?? "" }
        try setHeaders(requestHeaders)
        if let stream {
            try set(CURLOPT_TIMEOUT_MS, 0)
            try set(CURLOPT_LOW_SPEED_LIMIT, 1)
            try set(CURLOPT_LOW_SPEED_TIME, max(1, Int(stream.idleTimeout.components.seconds)))
            // A stream has no length; the limit applies only to the body kept when the status is not 2xx.
            try check(ccurl_easy_setopt_off_t(handle, CURLOPT_MAXFILESIZE_LARGE, 0))
        }
        defer {
            if stream != nil {
                try? set(CURLOPT_TIMEOUT_MS, timeout.wholeMilliseconds)
                try? set(CURLOPT_LOW_SPEED_TIME, 0)
                _ = ccurl_easy_setopt_off_t(handle, CURLOPT_MAXFILESIZE_LARGE, curl_off_t(maxResponseSize))
            }
        }

        let code = curl_easy_perform(handle)
        if code == CURLE_ABORTED_BY_CALLBACK, cancellation.isCancelled { throw CancellationError() }
        if exceededMaxSize || code == CURLE_FILESIZE_EXCEEDED { throw HTTPClientError.tooLarge(limit: maxResponseSize) }
        guard code == CURLE_OK else { throw Curl.error(code, message: lastMessage(code)) }

        var status = 0
        try check(ccurl_easy_getinfo_long(handle, CURLINFO_RESPONSE_CODE, &status))
        return HTTPClientResponse(status: status, headers: headers, body: body)
    }

    // MARK: - Options

    /// GET, or POST and PUT with a copy of the body (curl resets the method on `CURLOPT_HTTPGET`).
    private func setMethod(_ request: HTTPClientRequest) throws(HTTPClientError) {
        switch request.method {
        case .get:
            try set(CURLOPT_HTTPGET, 1)
            try set(CURLOPT_CUSTOMREQUEST, nil as UnsafeRawPointer?)
        case .post, .put:
            try set(CURLOPT_POST, 1)
            try check(ccurl_easy_setopt_off_t(handle, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(request.body.count)))
            let code = request.body.withUnsafeBytes { bytes in
                // COPYPOSTFIELDS copies POSTFIELDSIZE bytes at once; an empty body still needs a valid pointer.
                ccurl_easy_setopt_ptr(handle, CURLOPT_COPYPOSTFIELDS, bytes.baseAddress ?? UnsafeRawPointer(errorBuffer))
            }
            try check(code)
            if request.method == .put {
                try set(CURLOPT_CUSTOMREQUEST, "PUT")
            } else {
                try set(CURLOPT_CUSTOMREQUEST, nil as UnsafeRawPointer?)
            }
        }
    }

    private func setHeaders(_ requestHeaders: [String: String]) throws(HTTPClientError) {
        var list: UnsafeMutablePointer<curl_slist>?
        for (name, value) in requestHeaders.sorted(by: { $0.key < $1.key }) {
            guard Self.isHeaderSafe(name), !name.isEmpty, !name.contains(":"), Self.isHeaderSafe(value) else {
                curl_slist_free_all(list)
                throw .invalidRequest("header \(name) contains a line break or is empty")
            }
            guard let appended = curl_slist_append(list, "\(name): \(value)") else {
                curl_slist_free_all(list)
                throw .invalidRequest("curl_slist_append failed")
            }
            list = appended
        }
        do {
            try set(CURLOPT_HTTPHEADER, list.map { UnsafeRawPointer($0) })
        } catch {
            curl_slist_free_all(list)
            throw error
        }
        curl_slist_free_all(headerList)
        headerList = list
    }

    private static func isHeaderSafe(_ text: String) -> Bool {
        !text.utf8.contains { $0 == UInt8(ascii: "\r") || $0 == UInt8(ascii: "\n") || $0 == 0 }
    }

    private func set(_ option: CURLoption, _ value: Int) throws(HTTPClientError) {
        try check(ccurl_easy_setopt_long(handle, option, value))
    }

    /// Strings are copied by curl at once, so a temporary C string is enough.
    private func set(_ option: CURLoption, _ value: String) throws(HTTPClientError) {
        let code = value.withCString { ccurl_easy_setopt_ptr(handle, option, $0) }
        try check(code)
    }

    private func set(_ option: CURLoption, _ value: UnsafeRawPointer?) throws(HTTPClientError) {
        try check(ccurl_easy_setopt_ptr(handle, option, value))
    }

    private func check(_ code: CURLcode) throws(HTTPClientError) {
        guard code == CURLE_OK else { throw Curl.error(code, message: lastMessage(code)) }
    }

    private func lastMessage(_ code: CURLcode) -> String {
        errorBuffer[0] == 0 ? Curl.message(code) : String(cString: errorBuffer)
    }

    // MARK: - Callbacks

    /// Appends body bytes, or hands them to the stream's receiver while its status is 2xx; returning
    /// less than `count` makes curl abort with CURLE_WRITE_ERROR.
    private func received(body data: UnsafeMutablePointer<CChar>?, _ count: Int) -> Int {
        if let stream, isStreamSuccessful() {
            if let data, count > 0 { stream.receive(Array(UnsafeRawBufferPointer(start: data, count: count))) }
            return count
        }
        guard body.count + count <= maxResponseSize else {
            exceededMaxSize = true
            return 0
        }
        if let data, count > 0 {
            body.append(contentsOf: UnsafeRawBufferPointer(start: data, count: count))
        }
        return count
    }

    private func isStreamSuccessful() -> Bool {
        if streamStatus == nil {
            var status = 0
            _ = ccurl_easy_getinfo_long(handle, CURLINFO_RESPONSE_CODE, &status)
            streamStatus = status
        }
        return (200..<300).contains(streamStatus ?? 0)
    }

    /// Collects `Name: value` lines; a new status line (a redirect, a 100 Continue) starts over.
    private func received(header data: UnsafeMutablePointer<CChar>?, _ count: Int) -> Int {
        guard let data else { return count }
        let line = String(decoding: UnsafeRawBufferPointer(start: data, count: count), as: UTF8.self)
        if line.hasPrefix("HTTP/") {
            headers.removeAll()
        } else if let colon = line.firstIndex(of: ":") {
            let name = line[..<colon].trimmingWhitespace()
            let value = line[line.index(after: colon)...].trimmingWhitespace()
            headers.append(HTTPClientResponse.Header(name: name, value: value))
        }
        return count
    }

    private func shouldContinue() -> Bool {
        !(cancellation?.isCancelled ?? false)
    }
}

/// Where a streamed response's body goes, and how long it may stay silent.
struct StreamingTransfer {
    let idleTimeout: Duration
    let receive: @Sendable ([UInt8]) -> Void
}

/// Set from any thread when the task waiting for a transfer is cancelled; read by curl's progress callback.
final class CancellationFlag: Sendable {
    private let cancelled = Atomic(false)

    var isCancelled: Bool { cancelled.load(ordering: .relaxed) }

    func cancel() { cancelled.store(true, ordering: .relaxed) }
}

extension Substring {
    fileprivate func trimmingWhitespace() -> String {
        let isSpace = { (character: Character) in character == " " || character == "\t" || character.isNewline }
        return String(drop(while: isSpace).reversed().drop(while: isSpace).reversed())
    }
}
