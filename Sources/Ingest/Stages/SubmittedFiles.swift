import Foundation
import Workspace

extension Submission {
    /// Reads a submission file and the files it names, from the submission's own folder.
    /// - parameter name: the submission as named on the command line (for messages and the
    ///   names recorded for its files: its folder, then each file's name).
    /// - returns: the submission and its files, each checked against the digest the site signed.
    /// - throws: `SubmissionError` for a malformed submission, a missing file or changed bytes;
    ///   `WorkspaceError.unreadableFile` for an unreadable or refused path.
    public static func load(at url: URL, name: String) throws -> (Submission, [InputFile]) {
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw WorkspaceError.unreadableFile(path: name, reason: FileManager.default.fileExists(atPath: url.path) ? "permission denied" : "no such file")
        }
        let submission = try Submission(bytes: Array(data), file: name)
        let folder = url.deletingLastPathComponent()
        let prefix = (name as NSString).deletingLastPathComponent
        let files = try submission.files.map { signed -> InputFile in
            let path = folder.appendingPathComponent(signed.name)
            guard FileManager.default.fileExists(atPath: path.path) else {
                throw SubmissionError.fileMismatch(file: name, name: signed.name, reason: "the submission names it, but it is not beside the submission")
            }
            let input = try InputFile(url: path, name: prefix.isEmpty ? signed.name : prefix + "/" + signed.name, root: folder)
            guard input.sha256 == signed.sha256 else {
                throw SubmissionError.fileMismatch(file: name, name: signed.name, reason: "its bytes are not the ones the site signed (SHA-256 \(input.sha256.prefix(12))…, signed \(signed.sha256.prefix(12))…): the file was changed after it was submitted")
            }
            return input
        }
        return (submission, files)
    }
}
