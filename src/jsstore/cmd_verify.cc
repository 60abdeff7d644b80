#include <iostream>
#include <string>

#include "jsstore/commands.h"
#include "jsstore/json_views.h"
#include "natscpp/store/verify.h"

namespace natscpp::jsstore {

int RunVerify(const StoreSettings& s, bool json) {
  auto opts = OpenOptionsFor(s);
  if (!opts) {
    ReportError("--cipher", opts.error());
    return kExitUnreadable;
  }
  store::VerifyOptions vo;
  vo.encryption = opts->encryption;
  const store::VerifyReport report = store::VerifyStreamDir(s.stream_dir, vo);
  const bool damaged = report.Damaged();
  if (json) {
    Json findings = Json::array();
    for (const store::Finding& f : report.findings) {
      Json j = Json::object();
      j["kind"] = f.kind == store::FindingKind::kDamage ? "damage" : "note";
      j["file"] = f.file;
      if (f.offset) j["offset"] = *f.offset;
      j["message"] = f.message;
      findings.push_back(std::move(j));
    }
    Json out = Json::object();
    out["readable"] = report.readable;
    out["damaged"] = damaged;
    out["findings"] = std::move(findings);
    std::cout << DumpJson(out, 2) << "\n";
  } else {
    for (const store::Finding& f : report.findings) {
      std::cout << (f.kind == store::FindingKind::kDamage ? "damage " : "note   ")
                << (f.file.empty() ? std::string(".") : f.file);
      if (f.offset) std::cout << " @" << *f.offset;
      std::cout << ": " << f.message << "\n";
    }
    std::cout << (!report.readable ? "unreadable" : damaged ? "damaged" : "ok") << "\n";
  }
  if (!report.readable) {
    // The one-line reason on stderr as for the other commands.
    for (const store::Finding& f : report.findings) {
      if (f.kind == store::FindingKind::kDamage) {
        ReportError((s.stream_dir / f.file).string(), store::Error(store::ErrorCode::kCorrupt, f.message));
        break;
      }
    }
    return kExitUnreadable;
  }
  return damaged ? kExitDamaged : kExitOk;
}

}  // namespace natscpp::jsstore
