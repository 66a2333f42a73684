import Foundation
import Ingest

/// Writing to the terminal: errors and progress on standard error, progress only when it is a
/// terminal (quiet when piped or in CI).
enum Terminal {
    static let stderrIsTerminal = isatty(STDERR_FILENO) == 1

    static func error(_ message: String) {
        // Multi-line messages keep their newlines; every other control character is escaped.
        let lines = message.split(separator: "\n", omittingEmptySubsequences: false).map { escaped(String($0)) }
        FileHandle.standardError.write(Data("trialchain: error: \(lines.joined(separator: "\n"))\n".utf8))
    }

    /// A warning: something the user should act on, though the command did its work.
    static func warning(_ message: String) {
        FileHandle.standardError.write(Data("trialchain: warning: \(escaped(message))\n".utf8))
    }

    /// A line of status on standard error (printed whether or not it is a terminal).
    static func status(_ message: String) {
        FileHandle.standardError.write(Data("\(escaped(message))\n".utf8))
    }

    /// Text from input files (names, values) with control characters written as `\u{…}`, so that
    /// a file name holding a newline cannot print as another line.
    static func escaped(_ text: String) -> String { InputPath.printable(text) }

    /// A note for a person watching (skipped when standard error is not a terminal).
    static func note(_ message: String) {
        guard stderrIsTerminal else { return }
        FileHandle.standardError.write(Data("\(message)\n".utf8))
    }

    /// Rewrites the current status line (terminal only).
    static func progress(_ message: String) {
        guard stderrIsTerminal else { return }
        FileHandle.standardError.write(Data("\r\u{1B}[2K\(message)".utf8))
    }

    /// Clears the status line.
    static func endProgress() {
        guard stderrIsTerminal else { return }
        FileHandle.standardError.write(Data("\r\u{1B}[2K".utf8))
    }
}

/// A usage problem found by the CLI itself.
struct UsageError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
