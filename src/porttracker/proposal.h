// Reads a batch proposal (the markdown format of BATCHES-PROPOSAL.md:
// "## Bnn — Name" sections with ID lists in fenced blocks) and places the
// tracked items it lists into its batches.
#ifndef NATSCPP_PORTTRACKER_PROPOSAL_H_
#define NATSCPP_PORTTRACKER_PROPOSAL_H_

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "tracker.h"

namespace natscpp::porttracker {

struct Proposal {
  // batch -> IDs listed under it (test helpers and type/const/var entries
  // left out: the tracker does not track them).
  std::map<std::string, std::vector<std::string>> ids;
};
Proposal ParseProposal(std::string_view markdown);

struct AdoptReport {
  int placed = 0;
  std::vector<std::string> unknown;  // listed, but not in the inventory
  std::vector<std::string> twice;    // listed under more than one batch
};
AdoptReport AdoptProposal(Tracker& tracker, const Proposal& proposal);

}  // namespace natscpp::porttracker

#endif  // NATSCPP_PORTTRACKER_PROPOSAL_H_
