extension Array {
    /// The `page`th (1-based) run of `size` elements; empty past the end, however large `page` is.
    func page(_ page: Int, size: Int) -> ArraySlice<Element> {
        let (offset, overflow) = (page - 1).multipliedReportingOverflow(by: size)
        guard !overflow, offset >= 0, offset < count else { return [] }
        return self[offset..<Swift.min(count, offset + size)]
    }
}
