/// The fault rules in force, with what is left of their counts, and the seeded generator their probabilities
/// draw from (kept apart from the inventory's, so adding a provision to a test does not change which requests
/// fail).
struct FaultInjector: Sendable {
    private(set) var rules: [FaultRule]
    private var generator: SeededGenerator

    init(rules: [FaultRule], seed: UInt64) {
        self.rules = rules
        generator = SeededGenerator(seed: seed ^ 0xFA17_FA17_FA17_FA17)
    }

    mutating func add(_ newRules: [FaultRule]) {
        rules.append(contentsOf: newRules)
    }

    mutating func removeAll() {
        rules.removeAll()
    }

    /// The rule that acts on this request, if any: the first that matches and passes its probability roll. Its
    /// count goes down by one, and the rule is removed when the count reaches zero.
    mutating func fault(method: String, path: String) -> FaultRule? {
        guard !rules.isEmpty else { return nil }
        for index in rules.indices where rules[index].matches(method: method, path: path) {
            if let probability = rules[index].probability, probability < 1 {
                let roll = Double(generator.next() >> 11) * 0x1p-53
                guard roll < probability else { continue }
            }
            let rule = rules[index]
            if let count = rule.count {
                if count <= 1 {
                    rules.remove(at: index)
                } else {
                    rules[index].count = count - 1
                }
            }
            return rule
        }
        return nil
    }
}
