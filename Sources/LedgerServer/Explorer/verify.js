// TrialChain explorer: checks the log in the browser, trusting nothing the server says about it.
// Signed notes and checkpoints (C2SP signed-note, tlog-checkpoint), tiles (C2SP tlog-tiles),
// RFC 6962 hashing, Ed25519 through WebCrypto. Every failure is a TrialCheckError with words a
// non-specialist can act on.
"use strict";

class TrialCheckError extends Error {}

const TrialVerify = (() => {
  const enc = new TextEncoder();
  const MAX_SIZE = 2 ** 40;

  function fail(message) { throw new TrialCheckError(message); }

  function base64(text, what) {
    if (typeof text !== "string" || !/^[A-Za-z0-9+/]*={0,2}$/.test(text) || text.length % 4 !== 0) fail(what + " is not base64.");
    const binary = atob(text);
    const bytes = new Uint8Array(binary.length);
    for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
    return bytes;
  }

  function hex(bytes) { return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join(""); }
  function equal(a, b) { return a.length === b.length && a.every((v, i) => v === b[i]); }
  function concat(...parts) {
    const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let offset = 0;
    for (const p of parts) { out.set(p, offset); offset += p.length; }
    return out;
  }
  async function sha256(bytes) { return new Uint8Array(await crypto.subtle.digest("SHA-256", bytes)); }
  const leafHash = (entry) => sha256(concat(new Uint8Array([0]), entry));
  const nodeHash = (left, right) => sha256(concat(new Uint8Array([1]), left, right));

  // A note verifier key: name+hex8+base64(0x01 || 32-byte Ed25519 key); the key ID is the first
  // 4 bytes of SHA-256(name || "\n" || 0x01 || key).
  async function parseKey(text) {
    const trimmed = (text || "").trim();
    const first = trimmed.indexOf("+"), second = trimmed.indexOf("+", first + 1);
    if (first <= 0 || second < 0) fail("The ledger key is not a verifier key: it should look like name+1a2b3c4d+AbC… (three parts joined by +).");
    const name = trimmed.slice(0, first), id = trimmed.slice(first + 1, second);
    const raw = base64(trimmed.slice(second + 1), "The key's last part");
    if (!/^[0-9a-f]{8}$/.test(id) || raw.length !== 33 || raw[0] !== 1) fail("The ledger key is not an Ed25519 verifier key (type 0x01, 32 bytes).");
    const computed = (await sha256(concat(enc.encode(name + "\n"), raw))).slice(0, 4);
    if (hex(computed) !== id) fail("The ledger key's ID does not match its name and key: it was mistyped or altered.");
    const key = await crypto.subtle.importKey("raw", raw.slice(1), { name: "Ed25519" }, false, ["verify"]);
    return { name, id: computed, key, text: trimmed };
  }

  // A signed note: text up to its last blank line, then "— name base64" signature lines.
  function parseNote(text) {
    if (typeof text !== "string" || text.length > 1_000_000) fail("The server's checkpoint is not a signed note.");
    const split = text.lastIndexOf("\n\n");
    if (split < 0 || !text.endsWith("\n")) fail("The server's checkpoint is not a signed note (no signature block).");
    const body = text.slice(0, split + 1);
    const signatures = text.slice(split + 2, -1).split("\n").map((line) => {
      const match = /^\u2014 (\S+) ([A-Za-z0-9+/=]+)$/.exec(line);
      if (!match) fail("The server's checkpoint has a malformed signature line.");
      const bytes = base64(match[2], "A signature");
      if (bytes.length < 5) fail("The server's checkpoint has a signature too short to check.");
      return { name: match[1], id: bytes.slice(0, 4), signature: bytes.slice(4) };
    });
    return { body, signatures };
  }

  function parseCheckpoint(body) {
    const lines = body.split("\n");
    if (lines.length < 4 || !/^(0|[1-9][0-9]{0,15})$/.test(lines[1])) fail("The checkpoint does not have an origin, a size and a root hash.");
    const size = Number(lines[1]);
    if (size > MAX_SIZE) fail("The checkpoint claims an impossible size.");
    const root = base64(lines[2], "The checkpoint's root hash");
    if (root.length !== 32) fail("The checkpoint's root hash is not 32 bytes.");
    return { origin: lines[0], size, root };
  }

  // C2SP tlog-tiles path element: 3-digit groups, all but the last prefixed with x.
  function pathElement(n) {
    let groups = [];
    do { groups.unshift(String(n % 1000).padStart(3, "0")); n = Math.floor(n / 1000); } while (n > 0);
    return groups.map((g, i) => (i < groups.length - 1 ? "x" + g : g)).join("/");
  }

  class Tiles {
    constructor(size, fetchBytes) { this.size = size; this.fetchBytes = fetchBytes; this.cache = new Map(); this.used = []; }
    width(level, index) {
      const count = Math.floor(this.size / 256 ** level);
      return Math.min(256, count - index * 256);
    }
    path(level, index) {
      const width = this.width(level, index);
      return `tile/${level}/${pathElement(index)}` + (width < 256 ? `.p/${width}` : "");
    }
    // The hash at (level, n): the root of the n-th subtree of 256^level leaves.
    async hash(level, n) {
      const index = Math.floor(n / 256), width = this.width(level, index);
      if (width <= 0) fail("The checkpoint's tree needs a tile the tree is too small to have.");
      const path = this.path(level, index);
      if (!this.cache.has(path)) {
        const bytes = await this.fetchBytes(path);
        if (bytes.length !== 32 * width) fail(`The server sent a malformed tile (${path}: ${bytes.length} bytes, expected ${32 * width}).`);
        this.cache.set(path, bytes);
        this.used.push(path);
      }
      const position = n % 256;
      return this.cache.get(path).slice(32 * position, 32 * position + 32);
    }
    // RFC 6962 MTH of leaves [lo, lo + n), from the tiles: an aligned subtree of 256^L leaves
    // (L ≥ 1) is read from level L unless `inside` asks for its leaves (the proved entry, or
    // every leaf of a small tree), so the hashes actually sent are the ones that add up.
    async root(lo, n, inside) {
      if (n === 1) return this.hash(0, lo);
      for (let level = 3; level >= 1; level--) {
        const span = 256 ** level;
        if (n === span && lo % span === 0 && !inside(lo, n)) return this.hash(level, lo / span);
      }
      let k = 1;
      while (k * 2 < n) k *= 2;
      return nodeHash(await this.root(lo, k, inside), await this.root(lo + k, n - k, inside));
    }
  }

  // The entry bundle holding entry `index`: uint16 big-endian length, then the entry, repeated.
  function bundleEntry(bytes, offsetInTile, width) {
    let offset = 0;
    const entries = [];
    while (offset < bytes.length) {
      if (offset + 2 > bytes.length) fail("The server sent a malformed entry bundle.");
      const length = (bytes[offset] << 8) | bytes[offset + 1];
      if (offset + 2 + length > bytes.length) fail("The server sent a malformed entry bundle.");
      entries.push(bytes.slice(offset + 2, offset + 2 + length));
      offset += 2 + length;
    }
    if (entries.length !== width) fail("The server sent an entry bundle with the wrong number of entries.");
    return entries[offsetInTile];
  }

  function fromHex(text, what) {
    if (typeof text !== "string" || !/^[0-9a-f]{64}$/.test(text)) fail(what + " is not a 32-byte hash.");
    return Uint8Array.from(text.match(/../g), (h) => parseInt(h, 16));
  }

  // RFC 9162 §2.1.3.2 inclusion verification (numbers kept below 2^53: no bit operators).
  async function verifyInclusion(index, size, leaf, proof, root) {
    if (!Number.isSafeInteger(index) || !Number.isSafeInteger(size) || index < 0 || index >= size) return false;
    let fn = index, sn = size - 1, r = leaf;
    for (const p of proof) {
      if (sn === 0) return false;
      if (fn % 2 === 1 || fn === sn) {
        r = await nodeHash(p, r);
        if (fn % 2 === 0) { while (fn % 2 === 0 && fn !== 0) { fn = Math.floor(fn / 2); sn = Math.floor(sn / 2); } }
      } else {
        r = await nodeHash(r, p);
      }
      fn = Math.floor(fn / 2); sn = Math.floor(sn / 2);
    }
    return sn === 0 && equal(r, root);
  }

  /// Checks a record proof (`prove record`) from the record's bytes to a checkpoint signed by
  /// the pinned ledger key: record → its run's record root → the attestation that signs that
  /// root → the attestation's place in the ledger → the signed checkpoint.
  async function checkRecordProof(proof, key, step) {
    if (!proof || proof.type !== "https://trialchain.dev/record-proof/v1") fail("The server's record proof is not a TrialChain record proof.");
    const canonical = base64(proof.record && proof.record.canonical, "The record's bytes");
    let content;
    try { content = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(canonical)).record; } catch (_) { fail("The record's bytes are not a TrialChain record."); }
    const tree = proof.recordTree || {};
    const leaf = await leafHash(canonical);
    if (!(await verifyInclusion(tree.index, tree.size, leaf, (tree.proof || []).map((h) => fromHex(h, "A record-tree hash")), fromHex(tree.root, "The record root")))) {
      fail("The record as the server sent it is not in its run's record tree: the server altered the record or its proof.");
    }
    step(true, `The record (${content.participant || "?"}, ${content.visit || content.kind || "?"}, ${content.item || ""} = ${content.value === undefined ? "—" : content.value}) is record ${tree.index + 1} of its run's ${tree.size}.`);
    const entry = base64(proof.attestation && proof.attestation.entry, "The attestation");
    let statement;
    try {
      const envelope = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(entry));
      statement = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(base64(envelope.payload, "The attestation's payload")));
    } catch (error) {
      if (error instanceof TrialCheckError) throw error;
      fail("The attestation in the proof cannot be read.");
    }
    const predicate = statement.predicate || {};
    if (predicate.recordRoot !== tree.root || predicate.recordCount !== tree.size) fail("The attestation does not sign that record tree: the proof mixes two runs.");
    if (proof.record.id !== undefined && predicate.firstRecord + tree.index !== proof.record.id) fail("The proof calls the record by another number than its attestation does.");
    step(true, `Its run's record root is the one signed in ledger entry ${proof.attestation.index} (stage ${predicate.stage || "?"}).`);
    const note = parseNote(proof.checkpoint);
    const signature = note.signatures.find((s) => s.name === key.name && equal(s.id, key.id));
    if (!signature || !(await crypto.subtle.verify({ name: "Ed25519" }, key.key, signature.signature, enc.encode(note.body)))) {
      fail("The proof's checkpoint is not signed by the ledger key you gave.");
    }
    const checkpoint = parseCheckpoint(note.body);
    const ledger = proof.ledger || {};
    if (checkpoint.size !== ledger.size) fail("The proof's checkpoint is not of the size the proof is for.");
    if (!(await verifyInclusion(proof.attestation.index, ledger.size, await leafHash(entry), (ledger.proof || []).map((h) => fromHex(h, "A ledger hash")), checkpoint.root))) {
      fail("The attestation is not in the ledger at the signed checkpoint: the server altered the attestation or its proof.");
    }
    step(true, `That entry is in the ledger at the checkpoint of ${checkpoint.size} entries signed by the ledger key.`);
  }

  /// Runs every check, reporting each step to `step(ok, text)`.
  /// - options: { keyText, entry (index or null), fetchText, fetchBytes, canReadEntries, storage }
  async function run(options, step) {
    if (!window.crypto || !crypto.subtle) fail("This browser cannot check signatures (no WebCrypto). Use a current browser over https or on localhost.");
    const key = await parseKey(options.keyText);
    step(true, `The ledger key is well formed: ${key.name}.`);
    const noteText = await options.fetchText("checkpoint");
    const note = parseNote(noteText);
    const signature = note.signatures.find((s) => s.name === key.name && equal(s.id, key.id));
    if (!signature) fail(`The checkpoint is not signed by the key you gave (${key.name}): it is another log's, or the server replaced it.`);
    const valid = await crypto.subtle.verify({ name: "Ed25519" }, key.key, signature.signature, enc.encode(note.body));
    if (!valid) fail("The checkpoint's signature does not verify with the key you gave: the server altered the checkpoint.");
    const checkpoint = parseCheckpoint(note.body);
    if (checkpoint.origin !== key.name) fail(`The checkpoint is for ${checkpoint.origin}, but the key you gave is for ${key.name}.`);
    step(true, `The checkpoint is signed by the ledger key: ${checkpoint.size} entries, root ${hex(checkpoint.root).slice(0, 16)}….`);
    if (checkpoint.size === 0) return { checkpoint };

    const tiles = new Tiles(checkpoint.size, options.fetchBytes);
    let target = options.entry;
    if (target !== null && target !== undefined && (!Number.isInteger(target) || target < 0 || target >= checkpoint.size)) {
      fail(`Entry ${target} is not in the log: it has entries 0 to ${checkpoint.size - 1}.`);
    }
    const small = checkpoint.size <= 65536;
    const inside = (lo, n) => small || (target !== null && target !== undefined && target >= lo && target < lo + n);
    const root = await tiles.root(0, checkpoint.size, inside);
    if (!equal(root, checkpoint.root)) {
      fail(`The tiles the server sent do not add up to the signed root: the server altered the log's hashes (tiles ${tiles.used.join(", ")}).`);
    }
    step(true, small ? `Every leaf hash of the log (${checkpoint.size}) adds up to the signed root, in ${tiles.used.length} tile(s).`
                     : `The tiles add up to the signed root (${tiles.used.length} tile(s) read).`);

    if (target !== null && target !== undefined) {
      const leaf = await tiles.hash(0, target);
      step(true, `Entry ${target} is in the log: its leaf hash ${hex(leaf).slice(0, 16)}… is on the path to the signed root.`);
      if (options.canReadEntries) {
        const tile = Math.floor(target / 256), width = Math.min(256, checkpoint.size - tile * 256);
        const path = `tile/entries/${pathElement(tile)}` + (width < 256 ? `.p/${width}` : "");
        const entry = bundleEntry(await options.fetchBytes(path), target % 256, width);
        if (!equal(await leafHash(entry), leaf)) fail(`Entry ${target}'s bytes as the server sent them do not hash to its leaf: the server altered the entry.`);
        step(true, `Entry ${target}'s bytes hash to its leaf (${entry.length} bytes).`);
      }
    }

    // Consistency with the checkpoint this browser saw last for this log.
    const storageKey = "trialchain:checkpoint:" + checkpoint.origin;
    const last = options.storage && JSON.parse(options.storage.getItem(storageKey) || "null");
    if (last && Number.isInteger(last.size) && typeof last.root === "string") {
      const lastRoot = base64(last.root, "The stored checkpoint's root");
      if (checkpoint.size < last.size) fail(`This browser saw ${last.size} entries before; the server now shows ${checkpoint.size}: the log was rolled back.`);
      const earlier = await tiles.root(0, last.size, (lo, n) => small || false);
      if (!equal(earlier, lastRoot)) fail(`The log's first ${last.size} entries are not the ones this browser saw before: the server shows a different history (a fork).`);
      step(true, `The log extends the checkpoint this browser saw before (${last.size} entries).`);
    } else {
      step(true, "This browser had not seen this log before; it remembers this checkpoint for next time.");
    }
    if (options.storage) options.storage.setItem(storageKey, JSON.stringify({ size: checkpoint.size, root: btoa(String.fromCharCode(...checkpoint.root)) }));
    if (options.record !== null && options.record !== undefined) {
      await checkRecordProof(await options.fetchJSON(`v1/records/${options.record}/proof`), key, step);
    }
    return { checkpoint };
  }

  return { run, parseKey, parseNote, parseCheckpoint, pathElement, verifyInclusion, checkRecordProof, TrialCheckError };
})();
