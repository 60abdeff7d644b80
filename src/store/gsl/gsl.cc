// Non-template parts of the generic sublist.
#include "gsl/gsl.h"

namespace natscpp::store::gsl {

// The gsl package keeps its own copy of the tokenizer; it behaves exactly
// like the one in the subject helpers, so it shares that code.
// go: server/gsl/gsl.go:tokenizeSubjectIntoSlice
void TokenizeSubjectIntoSlice(subject::TokenVec& tts, std::string_view subj) {
  subject::TokenizeSubjectIntoSlice(tts, subj);
}

}  // namespace natscpp::store::gsl
