import Foundation
import Workspace

/// A file handed to a stage: where it is, the name recorded for it, and its SHA-256.
public struct InputFile: Sendable {
    public let url: URL
    public let name: String
    public let sha256: String

    /// Hashes the file (streaming).
    /// - parameter root: the folder the input must stay inside (a pipeline's root, a folder given
    ///   on the command line): no symbolic link on the way from it to the file, no `..` out of it.
    /// - throws: `WorkspaceError.unreadableFile` when it cannot be read, its name holds control
    ///   characters, or it is (or lies behind) a symbolic link or outside `root`.
    public init(url: URL, name: String, root: URL? = nil) throws {
        if let problem = InputPath.nameProblem(name) ?? InputPath.problem(url.path, within: root?.path) {
            throw WorkspaceError.unreadableFile(path: InputPath.printable(name), reason: problem)
        }
        let sha256 = try ObjectStore.sha256(ofFileAt: url.path, name: name)
        self.url = url
        self.name = name
        self.sha256 = sha256
    }

    var material: StageMaterial { StageMaterial(name: name, sha256: sha256) }

    /// The file name without its folders: artifacts are named `<kind>/<basename>`.
    var baseName: String { (name as NSString).lastPathComponent }
}

/// Where inputs may come from. A stage stores, anchors and exports what it reads, so an input
/// that is a symbolic link (or lies behind one) or resolves outside the folder it was given in
/// could smuggle any file of the machine (`/etc/passwd`, a private key) into a bundle.
public enum InputPath {
    /// Why `path` may not be read as an input inside `root` (nil: it may). Without a root, only
    /// the file itself is checked.
    public static func problem(_ path: String, within root: String?) -> String? {
        let standardized = lexical(path)
        var start = ""
        if let root {
            let base = lexical(root)
            guard standardized == base || standardized.hasPrefix(base.hasSuffix("/") ? base : base + "/") else {
                return "it resolves outside \(printable(root)), the folder it was given in: inputs are refused outside their folder"
            }
            start = base
        }
        // Every component from the root (or the file itself) on must be a real file or folder.
        var components: [String] = []
        if root == nil {
            components = [standardized]
        } else {
            var current = start
            for part in standardized.dropFirst(start.count).split(separator: "/") {
                current += "/" + part
                components.append(current)
            }
        }
        for component in components {
            var info = stat()
            if lstat(component, &info) == 0, (info.st_mode & S_IFMT) == S_IFLNK {
                return "\(printable(component)) is a symbolic link: inputs are read only from real files (copy the file in instead)"
            }
        }
        return nil
    }

    /// The absolute path with `.` and `..` removed by their spelling alone (no symbolic link is
    /// followed: that is what the caller checks).
    static func lexical(_ path: String) -> String {
        let absolute = path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
        var parts: [Substring] = []
        for part in absolute.split(separator: "/") {
            if part == "." || part.isEmpty { continue }
            if part == ".." { if !parts.isEmpty { parts.removeLast() }; continue }
            parts.append(part)
        }
        return "/" + parts.joined(separator: "/")
    }

    /// Why a file name cannot be recorded (nil: it can): control characters would let a name
    /// print as something else (a newline that fakes another log line, say).
    public static func nameProblem(_ name: String) -> String? {
        guard name.unicodeScalars.contains(where: isControl) else { return nil }
        return "its name contains control characters (a newline, say), which would print as something else: rename the file"
    }

    /// The text with control characters written as `\u{…}` escapes, for messages.
    public static func printable(_ text: String) -> String {
        var out = ""
        for scalar in text.unicodeScalars {
            if isControl(scalar) { out += "\\u{\(String(scalar.value, radix: 16))}" } else { out.unicodeScalars.append(scalar) }
        }
        return out
    }

    static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value) || scalar.value == 0x2028 || scalar.value == 0x2029
    }
}
