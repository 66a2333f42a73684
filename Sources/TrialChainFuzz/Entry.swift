import Foundation

/// The parser under test: `TRIALCHAIN_FUZZ_TARGET` (csv, odm, consent, checkpoint, proof,
/// pipeline, contract, json).
let fuzzTarget = ProcessInfo.processInfo.environment["TRIALCHAIN_FUZZ_TARGET"] ?? "json"

#if FUZZING
/// libFuzzer's entry point (built with `-sanitize=fuzzer -DFUZZING`; see the README).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    FuzzTargets.run(fuzzTarget, Array(UnsafeBufferPointer(start: data, count: size)))
    return 0
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
