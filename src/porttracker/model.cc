#include "model.h"

namespace natscpp::porttracker {

using nlohmann::json;

json ToJson(const Item& i) {
  json j = {{"id", i.id},           {"kind", i.kind},         {"file", i.file},
            {"name", i.name},       {"start", i.start_line},  {"end", i.end_line},
            {"lines", i.line_count}, {"batch", i.batch},      {"status", i.status},
            {"reason", i.reason},   {"cpp_symbol", i.cpp_symbol}, {"cpp_file", i.cpp_file}};
  if (!i.IsTest()) j["gtests"] = i.gtests;
  if (i.IsTest()) {
    j["gtest"] = i.gtest;
    j["covers"] = i.covers;
    j["covers_manual"] = i.covers_manual;
  }
  return j;
}

Item ItemFromJson(const json& j) {
  Item i;
  i.id = j.at("id").get<std::string>();
  i.kind = j.at("kind").get<std::string>();
  i.file = j.at("file").get<std::string>();
  i.name = j.at("name").get<std::string>();
  i.start_line = j.at("start").get<int>();
  i.end_line = j.at("end").get<int>();
  i.line_count = j.at("lines").get<int>();
  i.batch = j.at("batch").get<std::string>();
  i.status = j.at("status").get<std::string>();
  i.reason = j.value("reason", "");
  i.cpp_symbol = j.value("cpp_symbol", "");
  i.cpp_file = j.value("cpp_file", "");
  i.gtest = j.value("gtest", "");
  i.covers = j.value("covers", std::vector<std::string>{});
  i.gtests = j.value("gtests", std::vector<std::string>{});
  i.covers_manual = j.value("covers_manual", false);
  return i;
}

json ToJson(const HistoryEntry& h) {
  return {{"id", h.id},   {"seq", h.seq},           {"from", h.from},
          {"to", h.to},   {"evidence", h.evidence}, {"evidence_files", h.evidence_files},
          {"at", h.at}};
}

HistoryEntry HistoryFromJson(const json& j) {
  HistoryEntry h;
  h.id = j.at("id").get<std::string>();
  h.seq = j.at("seq").get<int>();
  h.from = j.at("from").get<std::string>();
  h.to = j.at("to").get<std::string>();
  h.evidence = j.at("evidence").get<std::string>();
  h.evidence_files = j.value("evidence_files", std::vector<std::string>{});
  h.at = j.value("at", "");
  return h;
}

json ToJson(const Batch& b) {
  return {{"id", b.id},
          {"name", b.name},
          {"scope", b.scope},
          {"depends_on", b.depends_on},
          {"description", b.description},
          {"completed", b.completed},
          {"completed_evidence", b.completed_evidence}};
}

Batch BatchFromJson(const json& j) {
  Batch b;
  b.id = j.at("id").get<std::string>();
  b.name = j.at("name").get<std::string>();
  b.scope = j.at("scope").get<std::string>();
  b.depends_on = j.value("depends_on", std::vector<std::string>{});
  b.description = j.value("description", "");
  b.completed = j.value("completed", false);
  b.completed_evidence = j.value("completed_evidence", "");
  return b;
}

}  // namespace natscpp::porttracker
