// Inner node with up to 48 children: a 256-entry key table maps a byte to
// its 1-based slot in the child array (0 meaning no child).
#ifndef NATSCPP_STORE_STREE_NODE48_H_
#define NATSCPP_STORE_STREE_NODE48_H_

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string_view>

#include "stree/node.h"

namespace natscpp::store::stree {

class Node48 final : public Meta {
 public:
  void addChild(std::uint8_t c, std::unique_ptr<Node> nn) override;
  std::unique_ptr<Node>* findChild(std::uint8_t c) override;
  bool isFull() const override;
  std::unique_ptr<Node> grow() override;
  void deleteChild(std::uint8_t c) override;
  std::unique_ptr<Node> shrink() override;
  void iter(const std::function<bool(Node*)>& f) override;
  std::span<std::unique_ptr<Node>> children() override;
  std::string_view kind() const override;

  std::array<std::unique_ptr<Node>, 48> child;
  std::array<std::uint8_t, 256> key{};
};

std::unique_ptr<Node48> newNode48(std::string_view prefix);

}  // namespace natscpp::store::stree

#endif  // NATSCPP_STORE_STREE_NODE48_H_
