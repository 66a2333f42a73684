import Foundation

/// The parser under test: `TRIALCHAIN_FUZZ_TARGET` (csv, odm, consent, checkpoint, proof,
/// pipeline, contract, json).
let fuzzTarget = ProcessInfo.processInfo.environment["TRIALCHAIN_FUZZ_TARGET"] ?? "json"

#if FUZZING
/// libFuzzer's driver, for a program with a main of its own (SwiftPM gives executables one).
@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(_ argc: UnsafeMutablePointer<CInt>,
                         _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
                         _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt) -> CInt

/// Built with `-sanitize=fuzzer -DFUZZING` (see the README): libFuzzer runs the target.
@main
struct Fuzz {
    static func main() {
        var argc = CommandLine.argc
        var argv = CommandLine.unsafeArgv
        exit(LLVMFuzzerRunDriver(&argc, &argv) { data, size in
            FuzzTargets.run(fuzzTarget, data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? [])
            return 0
        })
    }
}
#else
/// Without libFuzzer: replays files (a corpus, or a crash a fuzzer found) through a target.
/// `trialchain-fuzz TARGET FILE_OR_DIR...`
@main
struct Replay {
    static func main() {
        let arguments = Array(CommandLine.arguments.dropFirst())
        guard let target = arguments.first, FuzzTargets.names.contains(target) else {
            FileHandle.standardError.write(Data("usage: trialchain-fuzz \(FuzzTargets.names.joined(separator: "|")) FILE_OR_DIR...\n".utf8))
            exit(2)
        }
        var files: [String] = []
        for path in arguments.dropFirst() {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { continue }
            if isDirectory.boolValue {
                files += ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).sorted().map { path + "/" + $0 }
            } else {
                files.append(path)
            }
        }
        for file in files {
            guard let data = FileManager.default.contents(atPath: file) else { continue }
            FuzzTargets.run(target, Array(data))
        }
        print("replayed \(files.count) inputs through \(target): no crash")
    }
}
#endif
