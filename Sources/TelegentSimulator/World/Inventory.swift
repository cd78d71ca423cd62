/// The numbers no one has bought yet, grouped as availability reports them: by (NGP, AreaCode, Zipcode).
///
/// Built from the seed, so the same seed gives the same numbers in the same places. Numbers leave the inventory when
/// provisioned (by any credential: this is how "the number was claimed by another user" is reproduced) and never
/// come back until a reset.
struct Inventory: Sendable {
    struct Group: Sendable {
        var ngp: String
        var areaCode: String
        var zipCode: String
        var available: [String]
    }

    /// A seeded area: its Number Gateway Provider, area code and zip codes.
    struct Area: Sendable {
        var ngp: String
        var areaCode: String
        var zipCodes: [String]
        /// Areas that exist but have nothing to sell, so availability can answer 0.
        var isSoldOut = false
    }

    static let areas: [Area] = [
        Area(ngp: "SAG", areaCode: "801", zipCodes: ["84043", "84003", "84601"]),
        Area(ngp: "SAG", areaCode: "201", zipCodes: ["07001"]),
        Area(ngp: "SAG", areaCode: "310", zipCodes: ["90001"]),
        Area(ngp: "BWD", areaCode: "212", zipCodes: ["10001"]),
        Area(ngp: "SAG", areaCode: "415", zipCodes: ["94102"]),
        Area(ngp: "BWD", areaCode: "512", zipCodes: ["73301"]),
        Area(ngp: "SAG", areaCode: "305", zipCodes: ["33101"]),
        Area(ngp: "BWD", areaCode: "206", zipCodes: ["98101"]),
        Area(ngp: "SAG", areaCode: "303", zipCodes: ["80201"]),
        Area(ngp: "BWD", areaCode: "617", zipCodes: ["02108"]),
        Area(ngp: "SAG", areaCode: "702", zipCodes: ["89101"]),
        Area(ngp: "SAG", areaCode: "907", zipCodes: ["99501"], isSoldOut: true),
    ]

    /// The number the quick-start guide provisions by name; seeded in 310 so the guide works as printed.
    static let guideNumber = "+13105551234"

    private(set) var groups: [Group]
    /// Where each unclaimed number sits: group index and index in its `available` array.
    private var positions: [String: (group: Int, index: Int)]

    init(seed: UInt64, numbersPerArea: Int) {
        var generator = SeededGenerator(seed: seed)
        var groups: [Group] = []
        for area in Self.areas {
            let first = groups.count
            for zip in area.zipCodes {
                groups.append(Group(ngp: area.ngp, areaCode: area.areaCode, zipCode: zip, available: []))
            }
            guard !area.isSoldOut, numbersPerArea > 0 else { continue }
            var seen = Set<String>()
            seen.reserveCapacity(numbersPerArea)
            if area.areaCode == "310" { seen.insert(Self.guideNumber) }
            while seen.count < numbersPerArea {
                let exchange = 200 + Int.random(in: 0..<800, using: &generator)
                let line = Int.random(in: 0..<10_000, using: &generator)
                seen.insert("+1\(area.areaCode)\(exchange)\(String(repeating: "0", count: 4 - String(line).count))\(line)")
            }
            // Sorted, then dealt round-robin to the area's zip codes: independent of Set ordering.
            for (offset, number) in seen.sorted().enumerated() {
                groups[first + offset % area.zipCodes.count].available.append(number)
            }
        }
        self.groups = groups
        positions = [:]
        positions.reserveCapacity(numbersPerArea * Self.areas.count)
        for (groupIndex, group) in groups.enumerated() {
            for (index, number) in group.available.enumerated() {
                positions[number] = (groupIndex, index)
            }
        }
    }

    /// Indices of the groups a search covers, those with numbers left only. AreaCode is tried first; when it is
    /// blank or has nothing left, ZipCode; when both are blank, everything.
    func matchingGroups(areaCode: String, zipCode: String) -> [Int] {
        if !areaCode.isEmpty {
            let byArea = groups.indices.filter { groups[$0].areaCode == areaCode && !groups[$0].available.isEmpty }
            if !byArea.isEmpty { return byArea }
        }
        if !zipCode.isEmpty {
            return groups.indices.filter { groups[$0].zipCode == zipCode && !groups[$0].available.isEmpty }
        }
        if areaCode.isEmpty {
            return groups.indices.filter { !groups[$0].available.isEmpty }
        }
        return []
    }

    func count(of groupIndices: [Int]) -> Int {
        groupIndices.reduce(0) { $0 + groups[$1].available.count }
    }

    func isAvailable(_ number: String) -> Bool {
        positions[number] != nil
    }

    /// Takes one number, chosen at random among the given groups; nil when they are empty.
    mutating func claimRandom(from groupIndices: [Int], using generator: inout SeededGenerator) -> (number: String, zipCode: String)? {
        let total = count(of: groupIndices)
        guard total > 0 else { return nil }
        var pick = Int.random(in: 0..<total, using: &generator)
        for groupIndex in groupIndices {
            let size = groups[groupIndex].available.count
            if pick < size {
                let number = groups[groupIndex].available[pick]
                return claim(number)
            }
            pick -= size
        }
        return nil
    }

    /// Takes a given number; nil when it is not (or no longer) for sale.
    mutating func claim(_ number: String) -> (number: String, zipCode: String)? {
        guard let position = positions.removeValue(forKey: number) else { return nil }
        let lastIndex = groups[position.group].available.count - 1
        if position.index != lastIndex {
            let moved = groups[position.group].available[lastIndex]
            groups[position.group].available[position.index] = moved
            positions[moved] = position
        }
        groups[position.group].available.removeLast()
        return (number, groups[position.group].zipCode)
    }
}
