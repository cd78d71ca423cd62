import Foundation
import Hummingbird

/// `/_sim/...`: the simulator's own endpoints for tests and operators. No auth, no rate limit, not counted.
enum AdminRoutes {
    static func respond(to request: Request, world: SimulatorWorld) async -> Response {
        switch (request.method, request.uri.path) {
        case (.get, "/_sim/health"):
            return SimulatorResponder.response(status: 200, json: ["ok": true])
        case (.get, "/_sim/ledger"):
            return encoded(world.ledger())
        case (.get, "/_sim/requests"):
            return encoded(world.requestLog())
        case (.post, "/_sim/reset"):
            world.reset()
            return SimulatorResponder.response(status: 200, json: ["ok": true])
        case (.get, "/_sim/faults"):
            return encoded(FaultRuleSet(rules: world.faults()))
        case (.post, "/_sim/faults"):
            do {
                let buffer = try await request.body.collect(upTo: SimulatorResponder.maximumBodySize)
                let rules = try FaultRuleSet.parse(String(buffer: buffer))
                world.addFaults(rules)
                return encoded(FaultRuleSet(rules: world.faults()))
            } catch let error as FaultFileError {
                return failure(.badRequest(error.problem))
            } catch {
                return failure(.badRequest("The request body could not be read."))
            }
        case (.delete, "/_sim/faults"):
            world.clearFaults()
            return encoded(FaultRuleSet(rules: []))
        case (_, "/_sim/health"), (_, "/_sim/ledger"), (_, "/_sim/requests"), (_, "/_sim/reset"), (_, "/_sim/faults"):
            return failure(.methodNotAllowed)
        default:
            return failure(.notFound("Admin endpoints: GET /_sim/health, GET /_sim/ledger, GET /_sim/requests, POST /_sim/reset, GET|POST|DELETE /_sim/faults."))
        }
    }

    private static func encoded(_ value: some Encodable) -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        guard let data = try? encoder.encode(value) else { return failure(.documented(500)) }
        return Response(
            status: .ok,
            headers: [.contentType: "application/json; charset=utf-8"],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: data))
        )
    }

    private static func failure(_ error: APIError) -> Response {
        SimulatorResponder.response(status: error.status, json: error.body)
    }
}
