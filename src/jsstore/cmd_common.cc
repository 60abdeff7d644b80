#include <iostream>
#include <string>

#include "jsstore/commands.h"

namespace natscpp::jsstore {

void ReportError(std::string_view what, const store::Error& e) {
  // One line, whatever the message holds.
  std::string msg = e.message().empty() ? std::string("unknown error") : e.message();
  for (char& ch : msg) {
    if (ch == '\n' || ch == '\r') ch = ' ';
  }
  std::cerr << "jsstore: ";
  if (!what.empty()) std::cerr << what << ": ";
  std::cerr << msg << "\n";
}

std::unique_ptr<store::FileStore> OpenOrReport(const StoreSettings& s) {
  auto fs = OpenStore(s);
  if (!fs) {
    ReportError(s.stream_dir.string(), fs.error());
    return nullptr;
  }
  return std::move(*fs);
}

}  // namespace natscpp::jsstore
