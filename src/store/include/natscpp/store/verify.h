// An offline check of one stream directory (.../ACCOUNT/streams/NAME): is
// every file the server reads on start-up intact, and where is it not.
//
// The verifier opens files read-only and writes nothing, not even a
// temporary. It separates damage (data the server cannot read back: a
// record failing its checksum, a cut block, a lost key, an undecodable
// meta.inf or o.dat) from notes (what the server rebuilds or cleans up on
// its own without losing data: a stale or corrupt index.db, a stale legacy
// .idx, leftover temporaries, orphan key files).
#ifndef NATSCPP_STORE_VERIFY_H_
#define NATSCPP_STORE_VERIFY_H_

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "natscpp/store/file_store.h"

namespace natscpp::store {

enum class FindingKind {
  kDamage,  // stored data the server cannot read back as written
  kNote,    // something the server repairs or ignores without losing data
};

struct Finding {
  FindingKind kind = FindingKind::kNote;
  // Relative to the stream directory, with '/' separators: "meta.inf",
  // "msgs/3.blk", "obs/billing/o.dat". Empty for the directory itself.
  std::string file;
  // Where in the file, when it is known: for blocks, the offset in the
  // record plaintext (after decryption and decompression).
  std::optional<uint64_t> offset;
  std::string message;
};

struct VerifyOptions {
  // The server's JetStream encryption settings; required when the stream
  // has a meta.key.
  std::optional<StoreEncryption> encryption;
};

struct VerifyReport {
  // False when the store cannot be read at all: not a stream directory, or
  // a meta.key that does not open with the given key (or no key given). A
  // damage finding then says why, and the other checks were not made.
  bool readable = true;
  std::vector<Finding> findings;

  bool Damaged() const;
};

// Checks STREAM_DIR as the server would read it on start-up (FORMAT.md
// §2-§9, §12): meta.inf/meta.sum/meta.key, every message block with its key
// file, index.db against the blocks, legacy .idx/.fss, thw.db/sched.db,
// every consumer under obs/, and leftovers of interrupted writes. Findings
// come in that order; within msgs/ blocks go by index.
VerifyReport VerifyStreamDir(const std::filesystem::path& stream_dir, const VerifyOptions& options);

}  // namespace natscpp::store

#endif  // NATSCPP_STORE_VERIFY_H_
