import CLibCSV
import CLibXML2
import Foundation
import Testing

/// The C module maps link and behave as the ingest code will rely on.
@Suite("C library module maps")
struct CLibraryModuleTests {
    final class Collector {
        var fields: [String] = []
        var rows: [[String]] = []
    }

    @Test func libcsvStreamsQuotedFieldsAndRows() {
        var parser = csv_parser()
        #expect(csv_init(&parser, UInt8(CSV_STRICT | CSV_APPEND_NULL)) == 0)
        defer { csv_free(&parser) }
        let collector = Collector()
        let input = Array("a,\"b,\"\"c\"\"\"\r\n1,\"two\nlines\"\n".utf8)
        let onField: @convention(c) (UnsafeMutableRawPointer?, Int, UnsafeMutableRawPointer?) -> Void = { data, length, context in
            let collector = Unmanaged<Collector>.fromOpaque(context!).takeUnretainedValue()
            let bytes = data.map { UnsafeRawBufferPointer(start: $0, count: length) } ?? UnsafeRawBufferPointer(start: nil, count: 0)
            collector.fields.append(String(decoding: bytes, as: UTF8.self))
        }
        let onRow: @convention(c) (Int32, UnsafeMutableRawPointer?) -> Void = { _, context in
            let collector = Unmanaged<Collector>.fromOpaque(context!).takeUnretainedValue()
            collector.rows.append(collector.fields)
            collector.fields = []
        }
        withExtendedLifetime(collector) {
            let context = Unmanaged.passUnretained(collector).toOpaque()
            // Feed in two pieces to show that state carries across calls.
            input.withUnsafeBytes { raw in
                let half = raw.count / 2
                #expect(csv_parse(&parser, raw.baseAddress, half, onField, onRow, context) == half)
                #expect(csv_parse(&parser, raw.baseAddress! + half, raw.count - half, onField, onRow, context) == raw.count - half)
            }
            csv_fini(&parser, onField, onRow, context)
        }
        #expect(collector.rows == [["a", "b,\"c\""], ["1", "two\nlines"]])
    }

    @Test func libcsvStrictModeRejectsAStrayQuote() {
        var parser = csv_parser()
        #expect(csv_init(&parser, UInt8(CSV_STRICT)) == 0)
        defer { csv_free(&parser) }
        let input = Array("a,\"b\"x\n".utf8)
        let consumed = input.withUnsafeBytes { csv_parse(&parser, $0.baseAddress, $0.count, nil, nil, nil) }
        #expect(consumed < input.count)
        #expect(csv_error(&parser) == CSV_EPARSE)
    }

    @Test func libxml2ParsesWithoutNetworkOrEntities() {
        let xml = "<?xml version=\"1.0\"?><ODM xmlns=\"http://www.cdisc.org/ns/odm/v1.3\" ODMVersion=\"1.3.2\"><Study OID=\"S\"/></ODM>"
        let options = Int32(XML_PARSE_NONET.rawValue | XML_PARSE_NOERROR.rawValue | XML_PARSE_NOWARNING.rawValue)
        let document = xml.withCString { xmlReadMemory($0, Int32(strlen($0)), "test.xml", nil, options) }
        #expect(document != nil)
        defer { xmlFreeDoc(document) }
        let root = xmlDocGetRootElement(document)
        #expect(String(cString: root!.pointee.name) == "ODM")
        let version = xmlGetProp(root, "ODMVersion")
        #expect(version.map { String(cString: $0) } == "1.3.2")
        cxml_free(version)
    }
}
