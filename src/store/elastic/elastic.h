// A pointer that can be switched between holding its target alive (strong)
// and merely observing it (weak). The file store keeps caches behind one of
// these so memory pressure can drop them while they are idle, and makes the
// reference strong again while they are in use.
//
// Go builds this on weak.Pointer and the garbage collector; here the target
// is owned by std::shared_ptr and the weak side is a std::weak_ptr.
// Not thread safe, like the Go type: callers lock around it.
#ifndef NATSCPP_STORE_ELASTIC_ELASTIC_H_
#define NATSCPP_STORE_ELASTIC_ELASTIC_H_

#include <memory>
#include <utility>

namespace natscpp::store::elastic {

template <typename T>
class Pointer {
 public:
  Pointer() = default;

  // Points at ptr, weakly.
  template <typename U>
  friend Pointer<U> Make(const std::shared_ptr<U>& ptr);

  // Repoints at ptr, staying strong if the pointer was strong.
  void Set(const std::shared_ptr<T>& ptr);
  // Holds the current target alive, if it still exists.
  void Strengthen();
  // Stops holding the target alive; it survives only while others own it.
  void Weaken();
  // The target, or null if it was weak and has been released.
  std::shared_ptr<T> Value() const;

  bool IsStrong() const { return strong_ != nullptr; }

 private:
  std::weak_ptr<T> weak_;
  std::shared_ptr<T> strong_;
};

// go: server/elastic/elastic.go:Make
template <typename T>
Pointer<T> Make(const std::shared_ptr<T>& ptr) {
  Pointer<T> p;
  p.weak_ = ptr;
  return p;
}

// go: server/elastic/elastic.go:(*Pointer).Set
template <typename T>
void Pointer<T>::Set(const std::shared_ptr<T>& ptr) {
  weak_ = ptr;
  if (strong_ != nullptr) strong_ = ptr;
}

// go: server/elastic/elastic.go:(*Pointer).Strengthen
template <typename T>
void Pointer<T>::Strengthen() {
  if (strong_ != nullptr) return;
  strong_ = weak_.lock();
}

// go: server/elastic/elastic.go:(*Pointer).Weaken
template <typename T>
void Pointer<T>::Weaken() {
  strong_.reset();
}

// go: server/elastic/elastic.go:(*Pointer).Value
template <typename T>
std::shared_ptr<T> Pointer<T>::Value() const {
  if (strong_ != nullptr) return strong_;
  return weak_.lock();
}

}  // namespace natscpp::store::elastic

#endif  // NATSCPP_STORE_ELASTIC_ELASTIC_H_
