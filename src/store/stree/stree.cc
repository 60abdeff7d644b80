// The subject tree is a class template (stree.h); this unit anchors the
// header so it is compiled on its own with the library's warnings.
#include "stree/stree.h"

namespace natscpp::store::stree {

template class SubjectTree<int>;

}  // namespace natscpp::store::stree
