#include <iostream>
#include <string>

#include "jsstore/commands.h"
#include "jsstore/consumer_view.h"

namespace natscpp::jsstore {

int RunConsumers(const StoreSettings& s, bool json) {
  auto fs = OpenOrReport(s);
  if (!fs) return kExitUnreadable;
  Json all = Json::array();
  for (const std::string& name : fs->ConsumerNames()) {
    auto c = fs->LoadConsumer(name);
    if (!c) {
      ReportError((s.stream_dir / "obs" / name).string(), c.error());
      return kExitUnreadable;
    }
    auto j = ConsumerJson(*fs, *c);
    if (!j) {
      ReportError((s.stream_dir / "obs" / name / "meta.inf").string(), j.error());
      return kExitUnreadable;
    }
    all.push_back(std::move(*j));
  }
  if (json) {
    std::cout << DumpJson(all, 2) << "\n";
    return kExitOk;
  }
  if (all.empty()) std::cout << "no consumers\n";
  for (const Json& c : all) {
    const Json& cfg = c["config"];
    std::string filter = cfg.value("filter_subject", std::string());
    if (cfg.contains("filter_subjects")) filter = cfg["filter_subjects"].dump();
    std::cout << c["name"].get<std::string>() << "\n"
              << "  created " << c["created"].get<std::string>() << ", ack " << cfg.value("ack_policy", "?")
              << ", deliver " << cfg.value("deliver_policy", "?") << ", filter " << (filter.empty() ? "-" : filter)
              << "\n"
              << "  delivered  consumer " << c["delivered"]["consumer_seq"] << ", stream "
              << c["delivered"]["stream_seq"] << "\n"
              << "  ack floor  consumer " << c["ack_floor"]["consumer_seq"] << ", stream "
              << c["ack_floor"]["stream_seq"] << "\n"
              << "  ack pending " << c["num_ack_pending"] << ", redelivered " << c["num_redelivered"]
              << ", pending " << (c.contains("num_pending") ? c["num_pending"].dump() : "?") << "\n";
  }
  return kExitOk;
}

}  // namespace natscpp::jsstore
