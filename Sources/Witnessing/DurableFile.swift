import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Small state files that must survive a crash whole: a witness's or a monitor's memory.
enum DurableFile {
    /// Replaces the file: written beside it, flushed, renamed over it, and the folder flushed, so
    /// that after a crash the file holds either the old bytes or the new ones.
    /// - throws: `WitnessError.unusable` naming the file when it cannot be written.
    static func replace(_ url: URL, with bytes: [UInt8], what: String) throws {
        let temporary = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).\(getpid()).tmp")
        func fail(_ step: String) -> WitnessError {
            .unusable("cannot write \(what) \(url.path): \(step) (\(String(cString: strerror(errno))))")
        }
        let fd = open(temporary.path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw fail("cannot create \(temporary.lastPathComponent)") }
        let written = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
        guard written == bytes.count, fsync(fd) == 0 else { close(fd); unlink(temporary.path); throw fail("write failed") }
        close(fd)
        guard rename(temporary.path, url.path) == 0 else { unlink(temporary.path); throw fail("rename failed") }
        let folder = open(url.deletingLastPathComponent().path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if folder >= 0 { _ = fsync(folder); close(folder) }
    }
}
