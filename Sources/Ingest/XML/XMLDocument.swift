import CLibXML2
import Foundation

/// A parsed XML document (libxml2 DOM), parsed safely: no network, no external entities, no DTD
/// loading, no entity expansion; documents that declare entities are refused outright.
final class XMLDocument {
    let pointer: xmlDocPtr
    let file: String

    /// Largest document accepted (protocols are small).
    static let maximumBytes = 64 << 20

    private init(pointer: xmlDocPtr, file: String) {
        self.pointer = pointer
        self.file = file
    }

    deinit { xmlFreeDoc(pointer) }

    static let safeOptions = Int32(XML_PARSE_NONET.rawValue | XML_PARSE_NOERROR.rawValue | XML_PARSE_NOWARNING.rawValue
        | XML_PARSE_NOCDATA.rawValue)

    /// Parses bytes.
    /// - throws: `ProtocolError.notWellFormed` with the first error's line, `.forbiddenDTD`.
    static func parse(_ bytes: [UInt8], file: String) throws -> XMLDocument {
        XMLDocument.installNoNetworkLoader()
        guard bytes.count <= maximumBytes else {
            throw ProtocolError.unreadable(file: file, reason: "larger than \(maximumBytes >> 20) MiB")
        }
        let log = XMLErrorLog()
        guard let context = xmlNewParserCtxt() else { throw ProtocolError.unreadable(file: file, reason: "libxml2 could not start") }
        defer { xmlFreeParserCtxt(context) }
        let document: xmlDocPtr? = withExtendedLifetime(log) {
            xmlSetStructuredErrorFunc(log.context, XMLErrorLog.callback)
            defer { xmlSetStructuredErrorFunc(nil, nil) }
            return bytes.withUnsafeBytes { raw in
                raw.withMemoryRebound(to: CChar.self) { chars in
                    xmlCtxtReadMemory(context, chars.baseAddress, Int32(chars.count), file, nil, safeOptions)
                }
            }
        }
        if let first = log.failures.first {
            if let document { xmlFreeDoc(document) }
            if first.message.contains("Entity") || first.message.contains("entity") {
                throw ProtocolError.forbiddenDTD(file: file, line: doctypeLine(bytes) ?? first.line)
            }
            throw ProtocolError.notWellFormed(file: file, line: first.line, message: first.message)
        }
        guard let document else { throw ProtocolError.notWellFormed(file: file, line: 1, message: "no document") }
        let parsed = XMLDocument(pointer: document, file: file)
        // Trial data formats use no DTD: any DOCTYPE is refused, so nothing is ever expanded
        // (billion laughs) or fetched (XXE, external DTDs), even when declared but unused.
        if document.pointee.intSubset != nil || document.pointee.extSubset != nil {
            throw ProtocolError.forbiddenDTD(file: file, line: doctypeLine(bytes) ?? 1)
        }
        return parsed
    }

    /// The line of `<!DOCTYPE`, for error messages.
    private static func doctypeLine(_ bytes: [UInt8]) -> Int? {
        let marker = Array("<!DOCTYPE".utf8)
        guard bytes.count >= marker.count,
              let start = (0...(bytes.count - marker.count)).first(where: { bytes[$0..<($0 + marker.count)].elementsEqual(marker) }) else { return nil }
        return bytes[..<start].filter { $0 == 0x0A }.count + 1
    }

    /// libxml2 set up once, before its first use (Swift runs this initializer exactly once):
    /// `xmlInitParser` must precede use from several threads. Without it, two threads that parse
    /// at once can both set up libxml2's globals and deadlock on its random-number mutex (seen:
    /// two test suites ingesting protocols at the same time hung in `__xmlRandom`). Then every
    /// external resource is refused: schemas are loaded from local files only.
    private static let installNoNetwork: Void = {
        xmlInitParser()
        xmlSetExternalEntityLoader(xmlNoNetExternalEntityLoader)
    }()

    static func installNoNetworkLoader() { _ = installNoNetwork }

    var root: xmlNodePtr? { xmlDocGetRootElement(pointer) }

    /// Validates against a compiled schema.
    /// - returns: the validation errors as `line N: message` (empty when valid).
    func validate(against schema: XMLSchema) -> [String] {
        guard let context = xmlSchemaNewValidCtxt(schema.pointer) else { return ["libxml2 could not start a validation"] }
        defer { xmlSchemaFreeValidCtxt(context) }
        let log = XMLErrorLog()
        let result: Int32 = withExtendedLifetime(log) {
            xmlSchemaSetValidStructuredErrors(context, XMLErrorLog.callback, log.context)
            return xmlSchemaValidateDoc(context, pointer)
        }
        let errors = log.failures.map { "line \($0.line): \($0.message)" }
        if result != 0 && errors.isEmpty { return ["the document does not validate (libxml2 code \(result))"] }
        return errors
    }
}

/// A compiled XML Schema.
final class XMLSchema: @unchecked Sendable {
    let pointer: xmlSchemaPtr

    /// Compiles the schema at a local path (its imports are resolved next to it).
    init(path: String) throws {
        XMLDocument.installNoNetworkLoader()
        guard let parser = xmlSchemaNewParserCtxt(path) else { throw ProtocolError.unreadable(file: path, reason: "cannot open schema") }
        defer { xmlSchemaFreeParserCtxt(parser) }
        let log = XMLErrorLog()
        let schema: xmlSchemaPtr? = withExtendedLifetime(log) {
            xmlSchemaSetParserStructuredErrors(parser, XMLErrorLog.callback, log.context)
            return xmlSchemaParse(parser)
        }
        guard let schema else {
            throw ProtocolError.unreadable(file: path, reason: log.failures.first?.message ?? "invalid schema")
        }
        pointer = schema
    }

    deinit { xmlSchemaFree(pointer) }
}

/// Reading the DOM without C types leaking out of this folder.
extension xmlNodePtr {
    var name: String { String(cString: pointee.name) }
    var namespaceURI: String? { pointee.ns.flatMap { $0.pointee.href }.map { String(cString: $0) } }
    var line: Int { Int(xmlGetLineNo(self)) }

    /// Element children, optionally only those with a local name in a namespace.
    func elements(_ localName: String? = nil, namespace: String? = nil) -> [xmlNodePtr] {
        var out: [xmlNodePtr] = []
        var child = pointee.children
        while let node = child {
            if node.pointee.type == XML_ELEMENT_NODE,
               localName == nil || node.name == localName,
               namespace == nil || node.namespaceURI == namespace {
                out.append(node)
            }
            child = node.pointee.next
        }
        return out
    }

    func element(_ localName: String, namespace: String) -> xmlNodePtr? { elements(localName, namespace: namespace).first }

    /// An attribute without namespace, or in `namespace`.
    func attribute(_ name: String, namespace: String? = nil) -> String? {
        let value: UnsafeMutablePointer<xmlChar>? = namespace.map { xmlGetNsProp(self, name, $0) } ?? xmlGetNoNsProp(self, name)
        guard let value else { return nil }
        defer { cxml_free(value) }
        return String(cString: value)
    }

    /// The text content.
    var text: String {
        guard let content = xmlNodeGetContent(self) else { return "" }
        defer { cxml_free(content) }
        return String(cString: content)
    }

    /// Removes, in place, every element and attribute in a namespace not in `kept` (vendor
    /// extensions such as REDCap's), so that the rest validates against the ODM schema.
    func removeForeignNamespaces(keeping kept: Set<String>) {
        var attribute = pointee.properties
        while let current = attribute {
            attribute = current.pointee.next
            if let href = current.pointee.ns?.pointee.href, !kept.contains(String(cString: href)) {
                xmlRemoveProp(current)
            }
        }
        for child in elements() {
            if let namespace = child.namespaceURI, !kept.contains(namespace) {
                xmlUnlinkNode(child)
                xmlFreeNode(child)
            } else {
                child.removeForeignNamespaces(keeping: kept)
            }
        }
    }
}
