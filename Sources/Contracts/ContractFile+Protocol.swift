import Ingest

extension ContractFile {
    /// Checks every visit, item and coded value the contract names against the protocol, before
    /// anything is evaluated.
    /// - throws: `ContractError.invalid` naming the contract's line and key.
    public func check(against model: TrialProtocol) throws {
        func fail(_ line: Int, _ key: String, _ message: String) -> ContractError {
            .invalid(file: path, line: line, key: key, message: message)
        }
        let visitList = model.visits.map(\.oid).joined(separator: ", ")
        func visit(_ oid: String, _ line: Int, _ key: String, needsWindow: Bool = false) throws -> TrialProtocol.Visit {
            guard let visit = model.visit(oid) else {
                throw fail(line, key, "\(oid) is not a visit of protocol \(model.studyOID) (visits: \(visitList))")
            }
            if needsWindow && visit.plannedDay == nil {
                throw fail(line, key, "\(oid) has no planned study day in the protocol, so its window cannot be judged")
            }
            return visit
        }
        func item(_ oid: String, _ line: Int, _ key: String, at visitOID: String?) throws -> TrialProtocol.Item {
            guard let item = model.item(oid) else {
                throw fail(line, key, "\(oid) is not an item of protocol \(model.studyOID)")
            }
            if let visitOID, let visit = model.visit(visitOID), !visit.itemOIDs.contains(oid) {
                throw fail(line, key, "\(oid) is not collected at \(visitOID) (its items: \(visit.itemOIDs.joined(separator: ", ")))")
            }
            return item
        }
        switch terms {
        case let .payouts(terms):
            let dayOne = try visit(terms.dayOne, terms.dayOneLine, "day-one", needsWindow: true)
            guard dayOne.plannedDay == 1 else {
                throw fail(terms.dayOneLine, "day-one", "\(terms.dayOne) is planned on study day \(dayOne.plannedDay!), not day 1")
            }
            for rule in terms.visits {
                _ = try visit(rule.visit, rule.line, "visit", needsWindow: true)
                for oid in rule.items { _ = try item(oid, rule.line, "items", at: rule.visit) }
            }
            if let bonus = terms.bonus {
                for oid in bonus.requires { _ = try visit(oid, bonus.line, "requires") }
                for oid in bonus.requires where !terms.visits.contains(where: { $0.visit == oid }) {
                    throw fail(bonus.line, "requires", "\(oid) has no visit rule in this contract, so its completion is never judged")
                }
            }
        case let .adherence(terms):
            let line = { (key: String) in terms.lines[key] ?? 1 }
            if let oid = terms.dosingVisit { _ = try visit(oid, line("dosing.visit"), "visit") }
            let dosing = try item(terms.dosingItem, line("dosing.item"), "item", at: terms.dosingVisit)
            if let listOID = dosing.codeListOID, let list = model.codeList(listOID) {
                for value in terms.takenValues where !list.values.contains(value) {
                    throw fail(line("dosing.taken"), "taken", "\(value) is not in code list \(listOID) of \(terms.dosingItem) (values: \(list.values.joined(separator: ", ")))")
                }
            }
            _ = try visit(terms.periodFrom, line("period.from"), "from")
            if let oid = terms.periodTo { _ = try visit(oid, line("period.to"), "to", needsWindow: true) }
            if let oid = terms.armVisit { _ = try visit(oid, line("arm.visit"), "visit") }
            if let oid = terms.armItem { _ = try item(oid, line("arm.item"), "item", at: terms.armVisit) }
        }
    }
}
