import AsyncHTTPClient
import NIOCore
import NIOPosix
import NIOSSL
import OnboardCore

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Turns what AsyncHTTPClient and SwiftNIO throw into a `TransportError`, by type, never by message text.
///
/// Only errors that prove the request never reached the server (the name did not resolve, the connection was
/// refused or never established, the TLS handshake failed) say `mayHaveArrived: false`; anything else, unknown
/// errors included, may have arrived, so a create step looks before it sends again.
enum TransportFailure {
    static func classify(_ error: any Error, host: String) -> TransportError {
        func failure(_ kind: TransportError.Kind, _ message: String, arrived: Bool) -> TransportError {
            TransportError(kind: kind, host: host, message: message, mayHaveArrived: arrived)
        }
        switch error {
        case let error as NIOConnectionError:
            if error.connectionErrors.isEmpty, let dns = error.dnsAError ?? error.dnsAAAAError {
                return failure(.dns, "the host name does not resolve (\(dns))", arrived: false)
            }
            if error.connectionErrors.contains(where: { ($0.error as? IOError)?.errnoCode == ECONNREFUSED }) {
                return failure(.refused, "connection refused (is anything listening there?)", arrived: false)
            }
            return failure(.refused, "cannot connect: \(error)", arrived: false)
        case let error as IOError:
            switch error.errnoCode {
            case ECONNREFUSED: return failure(.refused, "connection refused (is anything listening there?)", arrived: false)
            case ENETUNREACH, EHOSTUNREACH: return failure(.refused, "network unreachable (\(error))", arrived: false)
            case ECONNRESET, EPIPE: return failure(.closed, "the connection was reset (\(error))", arrived: true)
            default: return failure(.other, "\(error)", arrived: true)
            }
        case let error as HTTPClientError:
            switch error {
            case .connectTimeout, .getConnectionFromPoolTimeout:
                return failure(.connectTimeout, "no connection could be made in time", arrived: false)
            case .tlsHandshakeTimeout:
                return failure(.tls, "the TLS handshake timed out", arrived: false)
            case .readTimeout, .deadlineExceeded, .writeTimeout:
                return failure(.timeout, "no answer within the request timeout", arrived: true)
            case .remoteConnectionClosed:
                return failure(.closed, "the server closed the connection before answering", arrived: true)
            default:
                return failure(.other, "\(error)", arrived: true)
            }
        case let error as NIOSSLError:
            return failure(.tls, "TLS failed (\(error)); check the certificate of the host", arrived: false)
        case let error as BoringSSLError:
            return failure(.tls, "TLS failed (\(error)); check the certificate of the host", arrived: false)
        default:
            return failure(.other, "\(error)", arrived: true)
        }
    }
}
