// VerifyStreamDir, obs/: every consumer directory opened the way the
// server recovers it (ConsumerFileStore::OpenReadOnly). A consumer the
// server would skip or keep offline, or whose o.dat does not decode, is
// damage; a missing o.dat only means no state was written yet.
#include <algorithm>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "filestore/consumer_file_store.h"
#include "filestore/verify_internal.h"
#include "util/filestore_constants.h"

namespace natscpp::store::filestore::verify {
namespace {

// OpenReadOnly names the failing file at the start of its message; turn
// that into the finding's relative name and the rest of the message.
void ReportOpenError(const std::filesystem::path& odir, const std::string& rel_dir, const Error& e,
                     Findings& out) {
  static constexpr std::string_view kFiles[] = {kConsumerStateFile, kConsumerMetaKeyFile,
                                                kConsumerMetaSumFile, kConsumerMetaFile};
  const std::string& msg = e.message();
  for (const auto f : kFiles) {
    const std::string prefix = (odir / f).string() + ": ";
    if (msg.starts_with(prefix)) {
      out.Damage(rel_dir + "/" + std::string(f), std::nullopt,
                 msg.substr(prefix.size()) + ": the server does not recover the consumer as stored");
      return;
    }
  }
  out.Damage(rel_dir, std::nullopt, msg + ": the server does not recover the consumer as stored");
}

}  // namespace

void VerifyConsumers(const StreamContext& ctx, Findings& out) {
  const auto obs = ctx.dir / kConsumerDir;
  std::error_code ec;
  if (!std::filesystem::is_directory(obs, ec)) return;
  std::vector<std::filesystem::path> dirs;
  for (const auto& e : std::filesystem::directory_iterator(obs, ec)) {
    if (e.is_directory(ec)) {
      dirs.push_back(e.path());
    } else {
      out.Note(std::string(kConsumerDir) + "/" + e.path().filename().string(),
               "not a consumer directory; the server ignores it");
    }
  }
  std::sort(dirs.begin(), dirs.end());

  for (const auto& odir : dirs) {
    const std::string rel = std::string(kConsumerDir) + "/" + odir.filename().string();
    auto c = ConsumerFileStore::OpenReadOnly(odir, ctx.stream, ctx.prf, ctx.cipher);
    if (!c) {
      ReportOpenError(odir, rel, c.error(), out);
    } else {
      if (!(*c)->MetaSumMatches()) {
        out.Note(rel + "/" + std::string(kConsumerMetaSumFile),
                 "does not match meta.inf (the server does not check it for consumers; meta.inf "
                 "decodes)");
      }
      if (ctx.prf && !(*c)->Encrypted()) {
        out.Note(rel, "not encrypted although the stream is: the server seals it on start-up");
      } else if ((*c)->Encrypted() && (*c)->Cipher() != ctx.cipher) {
        out.Note(rel + "/" + std::string(kConsumerMetaKeyFile),
                 "made with the other cipher: the server converts the consumer");
      }
    }
    std::vector<std::string> tmps;
    for (const auto& e : std::filesystem::directory_iterator(odir, ec)) {
      const auto name = e.path().filename().string();
      if (name.ends_with(".tmp")) tmps.push_back(name);
    }
    std::sort(tmps.begin(), tmps.end());
    for (const auto& t : tmps) {
      out.Note(rel + "/" + t, "leftover of an interrupted atomic write; the real file is unaffected");
    }
  }
}

}  // namespace natscpp::store::filestore::verify
