@testable import Audit
import Attestation
import Foundation
import Testing
import Workspace
import ZIPFoundation

/// Issue 12: the unzip step never trusts the ZIP. Sizes are counted while inflating, the whole
/// bundle has a size limit, and ZIP-level damage is an altered bundle, said in words.
@Suite("Bundle bombs and damaged ZIPs", .serialized)
struct BundleBombTests {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("bombs-\(UUID().uuidString)")

    init() throws { try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true) }

    /// A ZIP with `bundle.json` listing `trialchain.sqlite` at `listed` bytes, whose member holds
    /// `actual` zero bytes (deflated), and whose headers then claim `claimed` bytes.
    func bomb(listed: Int64, actual: Int, claimed: UInt32?, manifestPadding: Int = 0) throws -> URL {
        let url = folder.appendingPathComponent("bomb-\(UUID().uuidString).zip")
        let manifest = CanonicalJSON.encode([
            "type": .string(TrialBundle.type), "padding": .string(String(repeating: " ", count: manifestPadding)),
            "files": [["path": "trialchain.sqlite", "sha256": .string(String(repeating: "0", count: 64)), "size": .integer(listed)]],
        ])
        let archive = try Archive(url: url, accessMode: .create)
        try archive.addEntry(with: "bundle.json", type: .file, uncompressedSize: Int64(manifest.count), compressionMethod: .deflate) { position, size in
            Data(manifest[Int(position)..<Int(position) + size])
        }
        let zeros = Data(count: actual)
        try archive.addEntry(with: "trialchain.sqlite", type: .file, uncompressedSize: Int64(actual), compressionMethod: .deflate) { position, size in
            zeros.subdata(in: Int(position)..<Int(position) + size)
        }
        guard let claimed else { return url }
        // Rewrite the member's uncompressed size in its local and central headers.
        var bytes = try Data(contentsOf: url)
        let name = Array("trialchain.sqlite".utf8)
        func patch(signature: [UInt8], nameOffset: Int, sizeOffset: Int) {
            var index = 0
            while index + nameOffset + name.count <= bytes.count {
                if Array(bytes[index..<index + 4]) == signature, Array(bytes[index + nameOffset..<index + nameOffset + name.count]) == name {
                    withUnsafeBytes(of: claimed.littleEndian) { bytes.replaceSubrange(index + sizeOffset..<index + sizeOffset + 4, with: $0) }
                }
                index += 1
            }
        }
        patch(signature: [0x50, 0x4B, 0x03, 0x04], nameOffset: 30, sizeOffset: 22)
        patch(signature: [0x50, 0x4B, 0x01, 0x02], nameOffset: 46, sizeOffset: 24)
        try bytes.write(to: url)
        return url
    }

    func openError(_ url: URL, limit: Int64 = TrialBundle.defaultMaximumTotalBytes) -> BundleError? {
        do {
            _ = try TrialBundle.open(url, into: folder.appendingPathComponent("open-\(UUID().uuidString)"), maximumTotalBytes: limit)
            return nil
        } catch {
            return error as? BundleError
        }
    }

    @Test func aMemberThatInflatesPastItsManifestSizeIsStoppedWhileInflating() throws {
        let url = try bomb(listed: 100, actual: 8 << 20, claimed: 100)
        let error = openError(url)
        guard case let .altered(_, reason)? = error else { Issue.record("expected an altered bundle, got \(String(describing: error))"); return }
        #expect(reason.contains("inflates to more bytes than its manifest lists") || reason.contains("CRC-32"), "\(reason)")
        // Nothing near the inflated size reached the disk.
        let written = (FileManager.default.subpaths(atPath: folder.path) ?? []).filter { $0.hasSuffix("trialchain.sqlite") }
            .compactMap { try? FileManager.default.attributesOfItem(atPath: folder.appendingPathComponent($0).path)[.size] as? NSNumber }
        #expect(written.allSatisfy { $0.intValue <= 1 << 20 }, "\(written)")
    }

    @Test func aManifestThatInflatesPastItsLimitIsStopped() throws {
        let url = try bomb(listed: 1, actual: 1, claimed: nil, manifestPadding: 80 << 20)
        guard case let .altered(_, reason)? = openError(url) else { Issue.record("a manifest bomb was read"); return }
        #expect(reason.contains("inflates past"), "\(reason)")
    }

    @Test func aBundleLargerThanTheLimitIsRefusedUnlessRaised() throws {
        let url = try bomb(listed: 4096, actual: 4096, claimed: nil)
        guard case let .notABundle(_, reason)? = openError(url, limit: 1000) else { Issue.record("the limit was not applied"); return }
        #expect(reason.contains("--max-bundle-bytes"), "\(reason)")
        // With the limit raised, it gets as far as the digest (the test manifest's is zeros).
        guard case let .altered(_, raised)? = openError(url, limit: 1 << 20) else { Issue.record("expected the digest check"); return }
        #expect(raised.contains("does not have the SHA-256"), "\(raised)")
    }

    @Test func zipDamageIsAnAlteredBundleInWords() throws {
        let url = try bomb(listed: 4096, actual: 4096, claimed: nil)
        var bytes = try Data(contentsOf: url)
        // Flip a byte of the deflated member's data (after its local header and name).
        let name = Array("trialchain.sqlite".utf8)
        let signature: [UInt8] = [0x50, 0x4B, 0x03, 0x04]
        func isMemberHeader(_ index: Int) -> Bool {
            Array(bytes[index..<index + 4]) == signature && Array(bytes[index + 30..<index + 30 + name.count]) == name
        }
        let found: Int? = (0..<bytes.count - 50).first(where: isMemberHeader)
        let start = try #require(found)
        bytes[start + 30 + name.count + 2] ^= 0xFF
        try bytes.write(to: url)
        guard case let .altered(_, reason)? = openError(url) else { Issue.record("a damaged ZIP was not an altered bundle"); return }
        #expect(!reason.contains("ArchiveError") && !reason.contains("Error("), "\(reason)")
    }
}
