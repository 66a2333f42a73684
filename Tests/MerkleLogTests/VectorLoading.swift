import Foundation
import MerkleLog

/// Reads the vector files copied from `shared/vectors` (see `Vectors/README.md`).
enum Vectors {
    static var directory: URL {
        Bundle.module.url(forResource: "Vectors", withExtension: nil)!
    }

    static func load<T: Decodable>(_ type: T.Type, _ relativePath: String) throws -> T {
        let data = try Data(contentsOf: directory.appendingPathComponent(relativePath))
        return try JSONDecoder().decode(T.self, from: data)
    }

    /// Every JSON file below a folder of `Vectors/`, sorted by path.
    static func files(under folder: String) throws -> [URL] {
        let root = directory.appendingPathComponent(folder)
        let enumerator = FileManager.default.enumerator(at: root, includingPropertiesForKeys: nil)!
        return enumerator.compactMap { $0 as? URL }.filter { $0.pathExtension == "json" }
            .sorted { $0.path < $1.path }
    }
}

func hex(_ text: String) -> [UInt8] { Hex.decode(text)! }

func base64(_ text: String?) -> [UInt8] {
    guard let text else { return [] }
    return Array(Data(base64Encoded: text)!)
}

struct ClassicVectors: Decodable {
    struct Hasher: Decodable {
        let desc: String
        let want: String
        let leaf_hex: String?
        let left_hex: String?
        let right_hex: String?
    }
    struct Inclusion: Decodable {
        let leaf_index: UInt64
        let tree_size: UInt64
        let proof: [String]
    }
    struct Consistency: Decodable {
        let size1: UInt64
        let size2: UInt64
        let proof: [String]
    }
    let hasher: [Hasher]
    let leaves_hex: [String]
    let roots_by_size: [String: String]
    let inclusion: [Inclusion]
    let consistency: [Consistency]

    var leaves: [[UInt8]] { leaves_hex.map(hex) }
    func root(_ size: UInt64) -> [UInt8] { hex(roots_by_size[String(size)]!) }
}

struct InclusionProbe: Decodable {
    let leafIdx: UInt64
    let treeSize: UInt64
    let root: String?
    let leafHash: String?
    let proof: [String]?
    let desc: String
    let wantErr: Bool
}

struct ConsistencyProbe: Decodable {
    let size1: UInt64
    let size2: UInt64
    let root1: String?
    let root2: String?
    let proof: [String]?
    let desc: String
    let wantErr: Bool
}
