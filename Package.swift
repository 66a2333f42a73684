// swift-tools-version:6.1
// TrialChain: a clinical-trial provenance pipeline anchored in an RFC 6962 Merkle log.
import PackageDescription

let package = Package(
    name: "TrialChain",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "trialchain", targets: ["TrialChainCLI"]),
        .executable(name: "trialchain-bench", targets: ["TrialChainBench"]),
        .executable(name: "trialchain-fuzz", targets: ["TrialChainFuzz"]),
        .library(name: "MerkleLog", targets: ["MerkleLog"]),
        .library(name: "SignedNote", targets: ["SignedNote"]),
        .library(name: "Attestation", targets: ["Attestation"]),
        .library(name: "Workspace", targets: ["Workspace"]),
        .library(name: "Ingest", targets: ["Ingest"]),
        .library(name: "Contracts", targets: ["Contracts"]),
        .library(name: "Reports", targets: ["Reports"]),
        .library(name: "Audit", targets: ["Audit"]),
        .library(name: "Pipeline", targets: ["Pipeline"]),
        .library(name: "Witnessing", targets: ["Witnessing"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto", "3.12.3"..<"4.0.0"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/weichsel/ZIPFoundation", from: "0.9.20"),
        // Exact rational sums (the mean PDC is the mean of exact fractions, rounded once).
        .package(url: "https://github.com/attaswift/BigInt", from: "6.0.1"),
        // HTTP: `trialchain serve` (the tlog-tiles read API straight from the workspace).
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        // multipart/form-data: site submissions over HTTP (a streaming parser, so uploads go to disk).
        .package(url: "https://github.com/vapor/multipart-kit", from: "4.7.1"),
        // HTTP client: witnesses, monitors and site submissions (no URLSession: FoundationNetworking
        // and the libcurl it loads cost every trialchain process 8 ms before main).
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
    ],
    targets: [
        // Thin C module maps. Nothing but these targets sees a C header.
        .systemLibrary(name: "CLibXML2", path: "Sources/CLibXML2", pkgConfig: "libxml-2.0",
                       providers: [.apt(["libxml2-dev"])]),
        .systemLibrary(name: "CLibCSV", path: "Sources/CLibCSV", providers: [.apt(["libcsv-dev"])]),
        // One C call Swift cannot make (variadic `sqlite3_config`); its header exposes no SQLite type.
        .target(name: "CSQLiteTuning", linkerSettings: [.linkedLibrary("sqlite3")]),
        // syncfs(2) and sync_file_range(2), which Swift's Glibc module does not export: one flush for a
        // stage's many blobs, and the measurement stage's WAL written out while it runs.
        .target(name: "CFileSync"),

        // RFC 6962/9162 Merkle trees: hashing, tiles, proofs, verification. Knows nothing of trials.
        .target(name: "MerkleLog", dependencies: [.product(name: "Crypto", package: "swift-crypto")]),
        // C2SP signed notes, checkpoints and cosignatures (Ed25519).
        .target(name: "SignedNote", dependencies: [
            "MerkleLog", .product(name: "Crypto", package: "swift-crypto"),
        ]),
        // RFC 8785 canonical JSON, in-toto Statement v1, DSSE envelopes.
        .target(name: "Attestation", dependencies: [
            "SignedNote", "MerkleLog", .product(name: "Crypto", package: "swift-crypto"),
        ]),
        // The on-disk workspace: SQLite ledger store, object store, keys.
        .target(name: "Workspace", dependencies: [
            "MerkleLog", "SignedNote", "Attestation", "CSQLiteTuning", "CFileSync",
            .product(name: "GRDB", package: "GRDB.swift"),
            .product(name: "GRDBSQLite", package: "GRDB.swift"),
            .product(name: "Crypto", package: "swift-crypto"),
        ]),
        // Reading and validating trial inputs: CSV (libcsv), CDISC ODM (libxml2), FHIR Consent.
        .target(name: "Ingest", dependencies: [
            "CLibCSV", "CLibXML2", "MerkleLog", "SignedNote", "Attestation", "Workspace",
            .product(name: "Crypto", package: "swift-crypto"),
        ], resources: [.copy("Resources/odm-1.3.2")]),
        // Milestone contracts (YAML): payouts and adherence, evaluated over anchored records.
        .target(name: "Contracts", dependencies: [
            "Ingest", "Workspace", "Attestation", "MerkleLog", .product(name: "Yams", package: "Yams"),
            .product(name: "Crypto", package: "swift-crypto"), .product(name: "BigInt", package: "BigInt"),
        ]),
        // Payout and adherence reports (CSV, JSON, self-contained HTML), anchored as stage outputs.
        .target(name: "Reports", dependencies: [
            "Contracts", "Workspace", "Attestation", "MerkleLog", .product(name: "Crypto", package: "swift-crypto"),
        ]),
        // Audit: record proofs, and what an auditor checks offline.
        .target(name: "Audit", dependencies: [
            "Workspace", "Ingest", "Contracts", "Reports", "MerkleLog", "SignedNote", "Attestation", .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "ZIPFoundation", package: "ZIPFoundation"),
        ]),
        // Witnessing (C2SP tlog-witness): the witness's decisions and state, the request format,
        // the witness list's client that sends each new checkpoint and keeps the cosignatures,
        // and witness policies (k of n) for verify.
        .target(name: "Witnessing", dependencies: [
            "Workspace", "SignedNote", "MerkleLog", "Attestation", .product(name: "AsyncHTTPClient", package: "async-http-client"),
            .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOHTTP1", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOSSL", package: "swift-nio-ssl"),
        ]),
        // The HTTP front ends (Hummingbird): the log's tlog-tiles read API over a workspace, and a
        // witness's tlog-witness API; cache headers, tokens, access log.
        .target(name: "LedgerServer", dependencies: [
            "Workspace", "Witnessing", "Ingest", "Audit", "MerkleLog", "SignedNote", "Attestation", .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "MultipartKit", package: "multipart-kit"),
        ], resources: [.copy("Explorer")]),
        // Pipeline files (YAML) and the batch runner.
        .target(name: "Pipeline", dependencies: ["Ingest", "Contracts", "Reports", "Workspace", .product(name: "Yams", package: "Yams")]),
        .executableTarget(name: "TrialChainCLI", dependencies: [
            "MerkleLog", "SignedNote", "Attestation", "Workspace", "Ingest", "Contracts", "Reports", "Audit", "Pipeline", "LedgerServer", "Witnessing",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        .executableTarget(name: "TrialChainBench", dependencies: [
            "MerkleLog", "SignedNote", "Attestation", "Workspace", "Ingest", "Contracts", "Reports", .product(name: "Crypto", package: "swift-crypto"),
        ]),

        // Parsers under libFuzzer (`-sanitize=fuzzer -DFUZZING`), or a corpus replayer without it.
        .executableTarget(name: "TrialChainFuzz", dependencies: [
            "Ingest", "SignedNote", "Attestation", "Audit", "Contracts", "Pipeline",
        ]),

        .testTarget(name: "MerkleLogTests", dependencies: ["MerkleLog"], resources: [.copy("Vectors")]),
        .testTarget(name: "SignedNoteTests", dependencies: ["SignedNote", "MerkleLog"], resources: [.copy("Vectors")]),
        .testTarget(name: "AttestationTests", dependencies: ["Attestation", "SignedNote"]),
        .testTarget(name: "WorkspaceTests", dependencies: [
            "Workspace", "MerkleLog", "SignedNote", "Attestation", .product(name: "GRDB", package: "GRDB.swift"),
        ]),
        .testTarget(name: "IngestTests", dependencies: [
            "Ingest", "Attestation", "Workspace", "MerkleLog", .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "GRDB", package: "GRDB.swift"),
        ], resources: [.copy("Corpus")]),
        .testTarget(name: "ContractsTests", dependencies: ["Contracts", "Ingest", "Workspace", "Attestation"]),
        .testTarget(name: "ReportsTests", dependencies: ["Reports", "Contracts", "Ingest", "Workspace", "Attestation"]),
        .testTarget(name: "AuditTests", dependencies: ["Audit", "Witnessing", "Workspace", "Ingest", "Contracts", "Reports", "Pipeline", "MerkleLog", "SignedNote", "Attestation",
            .product(name: "GRDB", package: "GRDB.swift"), .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "ZIPFoundation", package: "ZIPFoundation"),
        ]),
        .testTarget(name: "PipelineTests", dependencies: ["Pipeline", "Contracts", "Reports", "Ingest", "Workspace", "Attestation",
                                                       .product(name: "GRDB", package: "GRDB.swift")]),
        .testTarget(name: "LedgerServerTests", dependencies: [
            "LedgerServer", "Workspace", "Ingest", "Attestation", "MerkleLog", "SignedNote", .product(name: "Crypto", package: "swift-crypto"), .product(name: "GRDB", package: "GRDB.swift"),
            .product(name: "Hummingbird", package: "hummingbird"), .product(name: "HummingbirdTesting", package: "hummingbird"),
        ]),
        .testTarget(name: "WitnessingTests", dependencies: [
            "Witnessing", "LedgerServer", "Workspace", "MerkleLog", "SignedNote",
            .product(name: "Hummingbird", package: "hummingbird"), .product(name: "HummingbirdTesting", package: "hummingbird"),
        ], resources: [.copy("Vectors")]),
        .testTarget(name: "CInteropTests", dependencies: ["CLibXML2", "CLibCSV"]),
        .testTarget(name: "TrialChainCLITests", dependencies: [
            "MerkleLog", "SignedNote", "TrialChainCLI", .product(name: "GRDB", package: "GRDB.swift"),
        ]),
    ]
)
