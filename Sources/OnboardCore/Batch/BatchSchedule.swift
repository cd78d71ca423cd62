/// Which item of a batch starts next: a value with no I/O, which `BatchRunner` asks and tells.
///
/// A subscriber cannot start before its account has finished (it needs the account's IDs). It used to take a slot
/// of `--concurrency` and wait in it, so at every account boundary of the manifest up to the rest of the slots sat
/// idle for the account's two requests. Here it waits *parked*, without a slot, while the runner reads further
/// items of the manifest; every slot goes to an item that can send. Accounts start before subscribers, since each
/// one that finishes makes its subscribers startable.
///
/// Items read but not started are held in memory; the runner stops reading the manifest while `held` is at its
/// bound, so memory stays flat whatever the manifest's size.
struct BatchSchedule {
    /// An account's state, as its subscribers need it.
    enum Gate: Sendable {
        /// Finished: its run and the outputs its subscribers' templates read.
        case ready(runID: String, outputs: [String: [String: JSONValue]])
        /// Did not finish: why, for its subscribers' `blocked` message.
        case failed(String)
    }

    /// An item to start now, with its account's run and outputs for a subscriber.
    struct Start {
        var item: BatchItem
        var parent: (id: String, outputs: [String: [String: JSONValue]])?
    }

    private var gates: [String: Gate] = [:]
    private var accounts = Queue<BatchItem>()
    private var subscribers = Queue<Start>()
    /// Subscribers whose account has not finished, by account key.
    private var parked: [String: [BatchItem]] = [:]
    /// Items read and not yet started (ready or parked).
    private(set) var held = 0

    /// A new item from the manifest. Returns it with the message it is blocked by when its account already failed.
    mutating func add(_ item: BatchItem) -> (BatchItem, String)? {
        switch item.kind {
        case .subscriber:
            switch gates[item.accountKey] {
            case .ready(let id, let outputs)?:
                subscribers.append(Start(item: item, parent: (id, outputs)))
            case .failed(let message)?:
                return (item, message)
            case nil:
                parked[item.accountKey, default: []].append(item)
            }
        case .account, .single:
            accounts.append(item)
        }
        held += 1
        return nil
    }

    /// The next item to start, accounts first; nil when none can start now.
    mutating func next() -> Start? {
        if let account = accounts.popFirst() {
            held -= 1
            return Start(item: account, parent: nil)
        }
        if let subscriber = subscribers.popFirst() {
            held -= 1
            return subscriber
        }
        return nil
    }

    /// An account finished (or failed): its parked subscribers become startable, or are returned blocked.
    mutating func open(_ accountKey: String, _ gate: Gate) -> [(BatchItem, String)] {
        gates[accountKey] = gate
        let waiting = parked.removeValue(forKey: accountKey) ?? []
        switch gate {
        case .ready(let id, let outputs):
            for item in waiting { subscribers.append(Start(item: item, parent: (id, outputs))) }
            return []
        case .failed(let message):
            held -= waiting.count
            return waiting.map { ($0, message) }
        }
    }

    /// Subscribers still parked once nothing more can run (their account never ran in this invocation).
    mutating func abandonParked() -> [BatchItem] {
        let items = parked.values.flatMap { $0 }
        parked.removeAll()
        held -= items.count
        return items
    }

    var hasStartable: Bool { !accounts.isEmpty || !subscribers.isEmpty }
}

/// A FIFO queue that does not shift its storage on every removal.
struct Queue<Element> {
    private var storage: [Element?] = []
    private var head = 0

    var isEmpty: Bool { head == storage.count }

    mutating func append(_ element: Element) { storage.append(element) }

    mutating func popFirst() -> Element? {
        guard head < storage.count else { return nil }
        let element = storage[head]
        storage[head] = nil
        head += 1
        if head == storage.count {
            storage.removeAll(keepingCapacity: true)
            head = 0
        } else if head >= 1024 && head * 2 >= storage.count {
            storage.removeFirst(head)
            head = 0
        }
        return element
    }
}
