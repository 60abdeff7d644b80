#include "jsstore/import.h"

#include <nlohmann/json.hpp>

#include <filesystem>
#include <string>
#include <vector>

#include "natscpp/store/go_time.h"

namespace natscpp::jsstore {
namespace {

using Json = nlohmann::json;

// Gaps up to this long get one skip record per sequence, which 2.9.10
// reads back as deleted wherever they sit; longer ones one record for the
// range (v2.10+ reads those, and a long range would be that many records).
constexpr uint64_t kPerSequenceSkips = 64 * 1024;

store::Result<std::vector<uint8_t>> DecodeBase64(std::string_view in) {
  static constexpr std::string_view kAlphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::vector<uint8_t> out;
  uint32_t acc = 0;
  int bits = 0;
  size_t pad = 0;
  for (char c : in) {
    if (c == '=') {
      ++pad;
      continue;
    }
    const size_t v = kAlphabet.find(c);
    if (v == std::string_view::npos || pad > 0) {
      return store::MakeError(store::ErrorCode::kBadEncoding, "invalid base64");
    }
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<uint8_t>(acc >> bits));
    }
  }
  if ((in.size() % 4) != 0 || pad > 2) {
    return store::MakeError(store::ErrorCode::kBadEncoding, "invalid base64 length");
  }
  return out;
}

store::Error LineError(uint64_t line, std::string what) {
  return store::Error(store::ErrorCode::kInvalidArgument, "line " + std::to_string(line) + ": " + what);
}

}  // namespace

store::Result<store::FileStreamInfo> ParseStreamJson(std::string_view text) {
  Json j = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) {
    return store::MakeError(store::ErrorCode::kBadEncoding, "stream.json: not a JSON object");
  }
  store::FileStreamInfo info;
  const Json* cfg = &j;
  if (j.contains("config") && j["config"].is_object()) {
    cfg = &j["config"];
    if (j.contains("created") && j["created"].is_string()) {
      auto t = store::ParseRfc3339(j["created"].get<std::string>());
      if (!t) return store::MakeError(store::ErrorCode::kBadEncoding, "stream.json: created: " + t.error().message());
      info.created = *t;
    }
  }
  auto sc = store::DecodeStreamConfig(cfg->dump(), store::JsonMode::kLenient);
  if (!sc) return store::MakeError(sc.error().code(), "stream.json: " + sc.error().message());
  info.config = std::move(*sc);
  if (info.config.name.empty()) {
    return store::MakeError(store::ErrorCode::kInvalidArgument, "stream.json: the config has no name");
  }
  if (info.config.storage != store::StorageType::kFile) {
    return store::MakeError(store::ErrorCode::kInvalidArgument, "stream.json: storage is not \"file\"");
  }
  return info;
}

store::Result<ImportStats> ImportMessages(const StoreSettings& s, const store::FileStreamInfo& info,
                                          store::FileStoreConfig fcfg, std::istream& lines) {
  std::error_code ec;
  // The server finds a stream by its directory name and checks meta.sum
  // with it: the two must agree.
  const auto dir_name = s.stream_dir.lexically_normal().filename().string();
  if (dir_name != info.config.name) {
    return store::MakeError(store::ErrorCode::kInvalidArgument,
                            s.stream_dir.string() + ": the directory must be named after the stream (\"" +
                                info.config.name + "\")");
  }
  if (std::filesystem::exists(s.stream_dir / "meta.inf", ec) ||
      std::filesystem::exists(s.stream_dir / "msgs", ec)) {
    return store::MakeError(store::ErrorCode::kInvalidArgument,
                            s.stream_dir.string() + ": already holds a stream; import creates a new one");
  }
  if (!s.key.empty()) {
    auto cipher = ParseCipher(s.cipher);
    if (!cipher) return std::unexpected(cipher.error());
    fcfg.encryption = store::StoreEncryption{s.key, *cipher, s.account};
  }
  store::GoTime created = info.created;
  if (created.IsZero()) {
    created = store::GoTime::FromUnixNanos(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                               std::chrono::system_clock::now().time_since_epoch())
                                               .count());
  }
  auto fs = store::FileStore::Create(s.stream_dir, fcfg, info.config, created);
  if (!fs) return std::unexpected(fs.error());

  ImportStats stats;
  uint64_t last = 0;
  std::string text;
  for (uint64_t line = 1; std::getline(lines, text); ++line) {
    if (text.find_first_not_of(" \t\r") == std::string::npos) continue;
    Json j = Json::parse(text, nullptr, false);
    if (j.is_discarded() || !j.is_object()) return std::unexpected(LineError(line, "not a JSON object"));
    if (!j.contains("seq") || !j["seq"].is_number_unsigned() || !j.contains("subject") ||
        !j["subject"].is_string() || !j.contains("time") || !j["time"].is_string()) {
      return std::unexpected(LineError(line, "needs \"seq\", \"subject\" and \"time\""));
    }
    const uint64_t seq = j["seq"].get<uint64_t>();
    if (seq <= last) {
      return std::unexpected(LineError(line, "sequence " + std::to_string(seq) + " does not follow " +
                                                 std::to_string(last)));
    }
    auto t = store::ParseRfc3339(j["time"].get<std::string>());
    if (!t) return std::unexpected(LineError(line, "time: " + t.error().message()));
    std::vector<uint8_t> hdr, data;
    for (const char* field : {"hdrs", "data"}) {
      if (!j.contains(field)) continue;
      if (!j[field].is_string()) return std::unexpected(LineError(line, std::string(field) + " is not a string"));
      auto b = DecodeBase64(j[field].get<std::string>());
      if (!b) return std::unexpected(LineError(line, std::string(field) + ": " + b.error().message()));
      (std::string_view(field) == "hdrs" ? hdr : data) = std::move(*b);
    }
    // The sequences in between were deleted.
    const uint64_t gap = seq - last - 1;
    if (gap > kPerSequenceSkips) {
      if (auto r = (*fs)->SkipMsgs(last + 1, gap); !r) return std::unexpected(LineError(line, r.error().message()));
    } else {
      for (uint64_t k = last + 1; k < seq; ++k) {
        if (auto r = (*fs)->SkipMsg(k); !r) return std::unexpected(LineError(line, r.error().message()));
      }
    }
    stats.skipped += gap;
    auto r = (*fs)->StoreRawMsg(j["subject"].get<std::string>(), hdr, data, seq, t->UnixNanos(), 0,
                                /*discard_new_check=*/false);
    if (!r) return std::unexpected(LineError(line, r.error().message()));
    ++stats.messages;
    last = seq;
  }
  if (lines.bad()) return store::MakeError(store::ErrorCode::kIo, "reading the messages failed");
  stats.last_seq = last;
  if (auto r = (*fs)->Stop(); !r) return std::unexpected(r.error());
  return stats;
}

}  // namespace natscpp::jsstore
