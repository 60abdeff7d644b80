// Inner node with up to 10 children, kept unsorted, in the order they were added.
#ifndef NATSCPP_STORE_STREE_NODE10_H_
#define NATSCPP_STORE_STREE_NODE10_H_

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string_view>

#include "stree/node.h"

namespace natscpp::store::stree {

class Node10 final : public Meta {
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

  std::array<std::unique_ptr<Node>, 10> child;
  std::array<std::uint8_t, 10> key{};
};

std::unique_ptr<Node10> newNode10(std::string_view prefix);

}  // namespace natscpp::store::stree

#endif  // NATSCPP_STORE_STREE_NODE10_H_
