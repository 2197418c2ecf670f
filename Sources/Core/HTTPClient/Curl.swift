import CCurl

/// Process-wide libcurl state.
enum Curl {
    /// `curl_global_init` runs exactly once, the first time a client is made (a static `let` is initialised once).
    static let globalInit: Result<Void, HTTPClientError> = {
        let code = curl_global_init(Int(CURL_GLOBAL_ALL))
        guard code == CURLE_OK else {
            return .failure(.invalidRequest("curl_global_init failed: \(String(cString: curl_easy_strerror(code)))"))
        }
        return .success(())
    }()

    /// The typed error for a failed transfer; `message` is curl's error buffer (or its generic text).
    static func error(_ code: CURLcode, message: String) -> HTTPClientError {
        switch code {
        case CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_RESOLVE_PROXY:
            return .resolve(message)
        case CURLE_COULDNT_CONNECT:
            return .connect(message)
        case CURLE_OPERATION_TIMEDOUT:
            return .timeout(message)
        case CURLE_SSL_CONNECT_ERROR, CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CERTPROBLEM, CURLE_SSL_CIPHER,
            CURLE_SSL_CACERT_BADFILE, CURLE_SSL_CRL_BADFILE, CURLE_SSL_ISSUER_ERROR, CURLE_SSL_PINNEDPUBKEYNOTMATCH,
            CURLE_SSL_INVALIDCERTSTATUS, CURLE_SSL_CLIENTCERT, CURLE_SSL_SHUTDOWN_FAILED, CURLE_SSL_ENGINE_NOTFOUND,
            CURLE_SSL_ENGINE_SETFAILED, CURLE_SSL_ENGINE_INITFAILED:
            return .tls(message)
        case CURLE_URL_MALFORMAT, CURLE_UNSUPPORTED_PROTOCOL:
            return .invalidRequest(message)
        default:
            return .other(code: Int(code.rawValue), message: message)
        }
    }

    static func message(_ code: CURLcode) -> String {
        String(cString: curl_easy_strerror(code))
    }
}
