#include <iostream>
#include <string>

#include "jsstore/commands.h"
#include "jsstore/json_views.h"
#include "util/friendly_bytes.h"

namespace natscpp::jsstore {
namespace {

std::string Join(const std::vector<std::string>& v) {
  std::string out;
  for (const std::string& s : v) out += (out.empty() ? "" : ", ") + s;
  return out.empty() ? "-" : out;
}

std::string Field(const Json& cfg, const char* key) {
  return cfg.contains(key) && cfg[key].is_string() ? cfg[key].get<std::string>() : "-";
}

// cfg: the config's JSON view, for the policy names as the API spells them.
void PrintSummary(store::FileStore& fs, const Json& cfg, const Json& state) {
  const store::FileStreamInfo& info = fs.Info();
  const store::StreamConfig& c = info.config;
  auto created = store::FormatRfc3339Nano(info.created);
  std::cout << "Stream " << c.name << " (created " << (created ? *created : "?") << ")\n"
            << "  Subjects:    " << Join(c.subjects) << "\n"
            << "  Storage:     " << Field(cfg, "storage") << ", retention " << Field(cfg, "retention")
            << ", discard " << Field(cfg, "discard") << ", compression " << Field(cfg, "compression") << "\n"
            << "  Limits:      max_msgs " << c.max_msgs << ", max_bytes " << c.max_bytes << ", max_age "
            << c.max_age.count() << "ns, max_msgs_per_subject " << c.max_msgs_per << "\n";
  const store::StreamState st = [&] {
    store::StreamState s;
    fs.FastState(&s);
    return s;
  }();
  std::cout << "State\n"
            << "  Messages:    " << st.msgs << "\n"
            << "  Bytes:       " << st.bytes << " (" << store::FriendlyBytes(static_cast<double>(st.bytes)) << ")\n"
            << "  First:       #" << st.first_seq << " @ " << state["first_ts"].get<std::string>() << "\n"
            << "  Last:        #" << st.last_seq << " @ " << state["last_ts"].get<std::string>() << "\n"
            << "  Subjects:    " << st.num_subjects << "\n"
            << "  Deleted:     " << state.value("num_deleted", 0) << "\n";
  if (state.contains("lost")) {
    const Json& lost = state["lost"];
    std::cout << "  Lost:        " << (lost["msgs"].is_array() ? lost["msgs"].size() : 0) << " messages, "
              << lost["bytes"].get<uint64_t>() << " bytes\n";
  }
  std::cout << "  Consumers:   " << st.consumers << "\n";
  const auto& notes = fs.RecoveryNotes();
  if (!notes.empty()) {
    std::cout << "Recovery notes\n";
    for (const store::RecoveryNote& n : notes) std::cout << "  " << n.file << ": " << n.message << "\n";
  }
}

}  // namespace

int RunInfo(const StoreSettings& s, bool json) {
  auto fs = OpenOrReport(s);
  if (!fs) return kExitUnreadable;
  const Json state = StreamStateView(*fs);
  auto config = StreamConfigJson(fs->Info().config);
  if (!config) {
    ReportError((s.stream_dir / "meta.inf").string(), config.error());
    return kExitUnreadable;
  }
  if (!json) {
    PrintSummary(*fs, *config, state);
    return kExitOk;
  }
  Json out = Json::object();
  out["config"] = std::move(*config);
  out["state"] = state;
  std::cout << DumpJson(out, 2) << "\n";
  return kExitOk;
}

}  // namespace natscpp::jsstore
