import CLibXML2
import Foundation

/// A streaming XML reader (libxml2's `xmlTextReader`): the document is never held in memory, so
/// clinical data exports of any size are read in constant memory. Safe like `XMLDocument`: no
/// network, no DTD (a DOCTYPE is refused), no entity expansion (an entity reference is refused).
final class XMLStreamReader {
    private let reader: xmlTextReaderPtr
    let file: String
    /// The file as libxml2 reads it (through `XMLStreamReader.readCallback`), when observed.
    private let input: ObservedInput?

    /// An open file whose bytes are shown to an observer as libxml2 reads them.
    private final class ObservedInput {
        let descriptor: Int32
        let observe: (UnsafeRawBufferPointer) -> Void

        init(descriptor: Int32, observe: @escaping (UnsafeRawBufferPointer) -> Void) {
            self.descriptor = descriptor
            self.observe = observe
        }

        deinit { close(descriptor) }
    }

    /// No network, no parser messages on stderr, CDATA as text.
    private static let options = Int32(XML_PARSE_NONET.rawValue | XML_PARSE_NOERROR.rawValue | XML_PARSE_NOWARNING.rawValue | XML_PARSE_NOCDATA.rawValue)

    /// libxml2's read callback: read(2) on the file, each chunk shown to the observer.
    private static let readCallback: xmlInputReadCallback = { context, buffer, length in
        guard let context, let buffer else { return -1 }
        let input = Unmanaged<ObservedInput>.fromOpaque(context).takeUnretainedValue()
        while true {
            let count = read(input.descriptor, buffer, Int(length))
            if count < 0, errno == EINTR { continue }
            if count > 0 { input.observe(UnsafeRawBufferPointer(start: buffer, count: count)) }
            return Int32(count)
        }
    }

    /// Node types (libxml2's `xmlReaderTypes`).
    enum Kind: Int32 {
        case element = 1, text = 3, cdata = 4, entityReference = 5, documentType = 10, significantWhitespace = 14, endElement = 15
    }

    /// - throws: `XMLStreamError.unreadable` when the file cannot be opened.
    init(path: String, file: String) throws {
        XMLDocument.installNoNetworkLoader()
        guard FileManager.default.isReadableFile(atPath: path), let reader = xmlReaderForFile(path, nil, XMLStreamReader.options) else {
            throw XMLStreamError.unreadable(file: file, reason: FileManager.default.fileExists(atPath: path) ? "permission denied" : "no such file")
        }
        self.reader = reader
        self.file = file
        self.input = nil
    }

    /// A reader that shows `observe` every chunk of the file's bytes as libxml2 reads them, so a
    /// stage can hash and store exactly the bytes it parses.
    /// - throws: `XMLStreamError.unreadable` when the file cannot be opened.
    init(path: String, file: String, observing observe: @escaping (UnsafeRawBufferPointer) -> Void) throws {
        XMLDocument.installNoNetworkLoader()
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else {
            throw XMLStreamError.unreadable(file: file, reason: errno == ENOENT ? "no such file" : errno == EACCES ? "permission denied" : String(cString: strerror(errno)))
        }
        let input = ObservedInput(descriptor: descriptor, observe: observe)
        // No close callback: the descriptor belongs to `input`, which this reader keeps.
        guard let reader = xmlReaderForIO(XMLStreamReader.readCallback, nil, Unmanaged.passUnretained(input).toOpaque(), path, nil, XMLStreamReader.options) else {
            throw XMLStreamError.unreadable(file: file, reason: "libxml2 could not start reading it")
        }
        self.reader = reader
        self.file = file
        self.input = input
    }

    deinit {
        xmlTextReaderClose(reader)
        xmlFreeTextReader(reader)
        withExtendedLifetime(input) {}
    }

    /// Moves to the next node.
    /// - returns: false at the end of the document.
    /// - throws: `XMLStreamError.malformed` (with the line) or `.forbidden` for a DTD or entity.
    func next() throws -> Bool {
        let result = xmlTextReaderRead(reader)
        if result == 0 { return false }
        guard result == 1 else {
            let message = xmlGetLastError()?.pointee.message.map { String(cString: $0).trimmingCharacters(in: .whitespacesAndNewlines) }
            throw XMLStreamError.malformed(file: file, line: line, message: message ?? "not well-formed XML")
        }
        switch nodeType {
        case Kind.documentType.rawValue: throw XMLStreamError.forbidden(file: file, line: line, what: "a DOCTYPE (data files use no DTD)")
        case Kind.entityReference.rawValue: throw XMLStreamError.forbidden(file: file, line: line, what: "an entity reference")
        default: return true
        }
    }

    var nodeType: Int32 { xmlTextReaderNodeType(reader) }
    var isElement: Bool { nodeType == Kind.element.rawValue }
    var isEndElement: Bool { nodeType == Kind.endElement.rawValue }
    var isEmptyElement: Bool { xmlTextReaderIsEmptyElement(reader) == 1 }
    var depth: Int { Int(xmlTextReaderDepth(reader)) }
    /// The line of the current node (its start tag), else the parser's position.
    var line: Int {
        if let node = xmlTextReaderCurrentNode(reader) {
            let number = Int(xmlGetLineNo(node))
            if number > 0 { return number }
        }
        return Int(xmlTextReaderGetParserLineNumber(reader))
    }
    var localName: String { xmlTextReaderConstLocalName(reader).map { String(cString: $0) } ?? "" }
    var namespaceURI: String? { xmlTextReaderConstNamespaceUri(reader).map { String(cString: $0) } }
    /// The text of a text node.
    var value: String? { xmlTextReaderConstValue(reader).map { String(cString: $0) } }

    /// An attribute of the current element (no namespace, or the given one).
    func attribute(_ name: String, namespace: String? = nil) -> String? {
        let raw = namespace.map { xmlTextReaderGetAttributeNs(reader, name, $0) } ?? xmlTextReaderGetAttribute(reader, name)
        guard let raw else { return nil }
        defer { cxml_free(raw) }
        return String(cString: raw)
    }
}

/// Why an XML data file cannot be read.
public enum XMLStreamError: Error, Equatable, Sendable, CustomStringConvertible {
    case unreadable(file: String, reason: String)
    case malformed(file: String, line: Int, message: String)
    case forbidden(file: String, line: Int, what: String)
    /// The file is XML but not what the stage reads.
    case notClinicalData(file: String, line: Int, message: String)

    public var description: String {
        switch self {
        case let .unreadable(file, reason): return "cannot read \(file): \(reason)"
        case let .malformed(file, line, message): return "\(file):\(line): not well-formed XML: \(message)"
        case let .forbidden(file, line, what): return "\(file):\(line): refused \(what)"
        case let .notClinicalData(file, line, message): return "\(file):\(line): \(message)"
        }
    }
}
