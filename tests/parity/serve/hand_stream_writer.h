// TEST-ONLY producer: writes a stream directory byte by byte, the way a
// v2.9.10 server expects to find it on start-up, from StreamContents. It
// exists so the serve harness can run before our FileStore write path does;
// once that lands, tests call the real writer instead and this file goes.
//
// Layout written (FORMAT.md §2, §3, §5, §8):
//   meta.inf   FileStreamInfo JSON (EncodeFileStreamInfo); encrypted: nonce ‖
//              aek.Seal(nonce, json) with the stream key
//   meta.sum   hex HH64 (key SHA-256(stream name)) of meta.inf as stored
//   meta.key   wrapped stream key (encrypted only)
//   msgs/N.blk message records (AppendRecord) and skip records
//              (AppendSkipRecord, ebit); gaps are simply absent sequences;
//              encrypted: the whole file XORed with the block keystream
//   msgs/N.key wrapped block key (encrypted only)
// Nothing v2.10+ (tombstones, compression, index.db) and no legacy .idx/.fss:
// 2.9.10 rebuilds block state from the records when .idx is missing.
#ifndef NATSCPP_TESTS_PARITY_SERVE_HAND_STREAM_WRITER_H_
#define NATSCPP_TESTS_PARITY_SERVE_HAND_STREAM_WRITER_H_

#include <cstdint>
#include <filesystem>
#include <optional>
#include <vector>

#include "server_process.h"
#include "stream_contents.h"

namespace natscpp::parity::serve {

// How the hand writer cuts records into blocks: a record whose sequence is
// in block_starts begins a new block (msgs/1.blk, 2.blk, ...).
struct HandBlockLayout {
  std::vector<uint64_t> block_starts;
};

// Writes `contents` as stream directory `dir` (created; must not hold a
// stream yet). With `encryption` the files are sealed for account "$G".
// Throws GenError on any failure.
void WriteHandMadeStream(const StreamContents& contents, const HandBlockLayout& layout,
                         const std::optional<Encryption>& encryption, const std::filesystem::path& dir);

}  // namespace natscpp::parity::serve

#endif  // NATSCPP_TESTS_PARITY_SERVE_HAND_STREAM_WRITER_H_
