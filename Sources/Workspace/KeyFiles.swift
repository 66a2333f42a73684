import Foundation
import SignedNote

/// Reading and writing key files: private keys as Go `PRIVATE+KEY+…` text with mode 0600,
/// public keys as signed-note verifier keys.
enum KeyFiles {
    static func write(_ signer: NoteSigner, role: KeyRole, layout: WorkspaceLayout) throws {
        let fileManager = FileManager.default
        try fileManager.createDirectory(at: layout.keys, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let privatePath = layout.privateKey(role).path
        // Create with 0600 from the start so the key is never readable by others, even briefly.
        guard fileManager.createFile(atPath: privatePath, contents: Data((signer.privateKeyText + "\n").utf8),
                                     attributes: [.posixPermissions: 0o600]) else {
            throw WorkspaceError.keyProblem(path: privatePath, reason: "could not be created")
        }
        try Data((signer.verifierKey.description + "\n").utf8).write(to: layout.publicKey(role))
    }

    static func readSigner(role: KeyRole, layout: WorkspaceLayout) throws -> NoteSigner {
        let url = layout.privateKey(role)
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw WorkspaceError.keyProblem(path: url.path, reason: "missing or unreadable; the \(role.rawValue) key is needed to sign")
        }
        if let attributes = try? FileManager.default.attributesOfItem(atPath: url.path),
           let mode = attributes[.posixPermissions] as? NSNumber, mode.intValue & 0o077 != 0 {
            throw WorkspaceError.keyProblem(path: url.path, reason: "is readable by other users (mode \(String(mode.intValue, radix: 8))); run chmod 600 on it")
        }
        do {
            return try NoteSigner(privateKeyText: String(decoding: data, as: UTF8.self))
        } catch {
            throw WorkspaceError.keyProblem(path: url.path, reason: "\(error)")
        }
    }
}
