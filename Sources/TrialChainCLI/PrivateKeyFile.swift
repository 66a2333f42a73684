import Foundation
import SignedNote

/// A private key file given on the command line (from `trialchain keys generate`).
enum PrivateKeyFile {
    /// - parameter type: `.cosignatureV1` for a witness's key.
    /// - throws: `UsageError` naming the file when it cannot be read or is not a key.
    static func signer(_ path: String, type: NoteKeyType = .ed25519) throws -> NoteSigner {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw UsageError("\(path): cannot read the key file" + (FileManager.default.fileExists(atPath: path) ? " (permission denied)" : " (no such file)"))
        }
        do {
            return try NoteSigner(privateKeyText: String(decoding: data, as: UTF8.self), type: type)
        } catch {
            throw UsageError("\(path): \(error)")
        }
    }
}
