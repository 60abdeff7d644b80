#include <iostream>
#include <string>

#include "jsstore/commands.h"
#include "jsstore/json_views.h"
#include "subject/subject.h"

namespace natscpp::jsstore {
namespace {

// A short printable preview of a payload for the human-readable listing.
std::string Preview(std::span<const uint8_t> data) {
  constexpr size_t kMax = 64;
  std::string out;
  for (size_t i = 0; i < data.size() && i < kMax; ++i) {
    const uint8_t b = data[i];
    out += (b >= 0x20 && b < 0x7f) ? static_cast<char>(b) : '.';
  }
  if (data.size() > kMax) out += "...";
  return out;
}

}  // namespace

int RunDump(const StoreSettings& s, const DumpOptions& d) {
  const bool all = d.subject.empty() || d.subject == ">";
  if (!all && !store::subject::IsValidSubject(d.subject)) {
    ReportError("--subject", store::Error(store::ErrorCode::kBadSubject, "invalid subject \"" + d.subject + "\""));
    return kExitUnreadable;
  }
  auto fs = OpenOrReport(s);
  if (!fs) return kExitUnreadable;
  auto walked = WalkMessages(*fs, d.subject, d.from, [&](const store::StoreMsg& m) {
    if (d.json) {
      std::cout << DumpJson(StoredMsgJson(m)) << "\n";
    } else {
      std::cout << "#" << m.seq << "  " << GoTimeString(m.ts) << "  " << m.subject;
      if (m.hdr_len > 0) std::cout << "  hdrs " << m.hdr_len << "B";
      std::cout << "  data " << m.msg().size() << "B  " << Preview(m.msg()) << "\n";
    }
    return static_cast<bool>(std::cout);
  });
  std::cout.flush();
  if (!walked) {
    ReportError(s.stream_dir.string(), walked.error());
    return kExitUnreadable;
  }
  return kExitOk;
}

}  // namespace natscpp::jsstore
